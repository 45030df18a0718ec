package dev.zreplj.config;

import java.nio.file.Path;

/**
 * zreplj's own global settings ({@code global.zreplj}); zrepl's global keys (logging, monitoring,
 * control, serve) are accepted for compatibility and not used.
 *
 * @param stateDir  lock and state files (default /var/lib/zreplj)
 * @param zfsBinary explicit zfs path, or null to search PATH and the sbin directories
 * @param status    {@code zreplj status}'s default freshness thresholds
 */
public record Global(Path stateDir, Path zfsBinary, StatusThresholds status) {
    public static final Path DEFAULT_STATE_DIR = Path.of("/var/lib/zreplj");

    public Global(Path stateDir, Path zfsBinary) {
        this(stateDir, zfsBinary, StatusThresholds.DEFAULTS);
    }

    public static Global defaults() {
        return new Global(DEFAULT_STATE_DIR, null);
    }
}
