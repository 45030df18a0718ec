package dev.zreplj.config;

import java.util.List;
import java.util.Map;

/** zrepl's sink {@code recv}: property overrides/inherits and {@code placeholder.encryption}. */
public record RecvOptions(Map<String, String> overrideProperties, List<String> inheritProperties,
                          String placeholderEncryption) {
    public RecvOptions {
        overrideProperties = Map.copyOf(overrideProperties);
        inheritProperties = List.copyOf(inheritProperties);
    }

    public static RecvOptions defaults() {
        return new RecvOptions(Map.of(), List.of(), "unspecified");
    }
}
