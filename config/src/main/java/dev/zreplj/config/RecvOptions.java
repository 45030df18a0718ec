package dev.zreplj.config;

import java.util.List;
import java.util.Map;

/**
 * zrepl's sink {@code recv}: property overrides/inherits, {@code placeholder.encryption} and
 * {@code bandwidth_limit} (one bucket for the sink job's receives).
 */
public record RecvOptions(
        Map<String, String> overrideProperties,
        List<String> inheritProperties,
        String placeholderEncryption,
        BandwidthLimit bandwidthLimit) {
    public RecvOptions {
        overrideProperties = Map.copyOf(overrideProperties);
        inheritProperties = List.copyOf(inheritProperties);
        java.util.Objects.requireNonNull(bandwidthLimit, "bandwidthLimit");
    }

    /** Without a bandwidth limit. */
    public RecvOptions(
            Map<String, String> overrideProperties, List<String> inheritProperties, String placeholderEncryption) {
        this(overrideProperties, inheritProperties, placeholderEncryption, BandwidthLimit.unlimited());
    }

    public static RecvOptions defaults() {
        return new RecvOptions(Map.of(), List.of(), "unspecified");
    }
}
