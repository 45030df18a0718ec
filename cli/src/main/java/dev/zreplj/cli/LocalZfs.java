package dev.zreplj.cli;

import dev.zreplj.config.Config;
import dev.zreplj.zfs.Zfs;
import dev.zreplj.zfs.ZfsException;
import java.nio.file.Path;

/** The zfs a command runs: the configured binary or the one on PATH, its probe's answers kept in the state directory. */
final class LocalZfs {
    /** In the state directory: the zfs capability probe's answers (docs/box.md, "Locks and state"). */
    static final String PROBE_CACHE = "zfs-probe";

    private LocalZfs() {}

    static Zfs of(Config config) throws ZfsException {
        Path binary = config.global().zfsBinary() != null
                ? config.global().zfsBinary()
                : Zfs.locate().binary();
        return new Zfs(binary, config.global().stateDir().resolve(PROBE_CACHE));
    }
}
