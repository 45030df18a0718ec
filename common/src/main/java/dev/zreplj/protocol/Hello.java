package dev.zreplj.protocol;

import java.util.List;

/** The first frame each side sends. Its shape is fixed for all protocol versions. */
public record Hello(int protocol, String software, List<String> capabilities) {
    public Hello {
        capabilities = List.copyOf(capabilities);
    }
}
