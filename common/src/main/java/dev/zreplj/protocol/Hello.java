package dev.zreplj.protocol;

import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * The first frame each side sends. {@code protocol} and {@code software} keep their meaning in every
 * protocol version, so a peer of another version is still told the mismatch in words; the other fields
 * belong to this version.
 *
 * @param job the client's push job name (hold tags on the box carry it); null for none, and always null
 *            from the server
 */
public record Hello(
        int protocol,
        String software,
        List<String> capabilities,
        @Nullable String job) {
    /**
     * The longest {@code job} a box takes: its hold tag and (escaped) property name carry the job and must stay
     * far below ZFS's 255 characters. The config loader refuses a longer job name, so no pass is refused for it.
     */
    public static final int MAX_JOB_LENGTH = 100;

    public Hello {
        capabilities = List.copyOf(capabilities);
    }

    /** A HELLO without a job: every server HELLO, and a client that names none. */
    public Hello(int protocol, String software, List<String> capabilities) {
        this(protocol, software, capabilities, null);
    }

    /** The part of a HELLO every protocol version shares; read first, so the rest is only read when it fits. */
    record Version(int protocol, String software) {}
}
