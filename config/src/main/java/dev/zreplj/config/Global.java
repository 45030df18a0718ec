package dev.zreplj.config;

import java.nio.file.Path;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * zreplj's own global settings ({@code global.zreplj}) and zrepl's {@code global.monitoring}; zrepl's
 * other global keys (logging, control, serve) are accepted for compatibility and not used.
 *
 * @param stateDir       lock and state files (default /var/lib/zreplj)
 * @param zfsBinary      explicit zfs path, or null to search PATH and the sbin directories
 * @param status         {@code zreplj status}'s default freshness thresholds
 * @param metricsTextfile where the agent (after each pass) and the box (after each receive) write their
 *                       Prometheus metrics for node_exporter's textfile collector; null: not written
 * @param monitoring     zrepl's {@code global.monitoring} Prometheus endpoints, served by {@code agent run}
 */
public record Global(
        Path stateDir,
        @Nullable Path zfsBinary,
        StatusThresholds status,
        @Nullable Path metricsTextfile,
        List<PrometheusListener> monitoring) {
    public static final Path DEFAULT_STATE_DIR = Path.of("/var/lib/zreplj");

    public Global {
        monitoring = List.copyOf(monitoring);
    }

    public Global(Path stateDir, @Nullable Path zfsBinary, StatusThresholds status) {
        this(stateDir, zfsBinary, status, null, List.of());
    }

    public Global(Path stateDir, @Nullable Path zfsBinary) {
        this(stateDir, zfsBinary, StatusThresholds.DEFAULTS);
    }

    public static Global defaults() {
        return new Global(DEFAULT_STATE_DIR, null);
    }
}
