package dev.zreplj.cli;

import dev.zreplj.agent.SnapPass;
import dev.zreplj.config.Config;
import dev.zreplj.config.PushJob;
import dev.zreplj.config.SinkJob;
import dev.zreplj.config.SnapJob;
import dev.zreplj.files.ThisProcess;
import dev.zreplj.replication.Watchdog;
import dev.zreplj.stdinserver.StdinServer;
import dev.zreplj.zfs.Zfs;
import dev.zreplj.zfs.ZfsException;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/** The zfs a command runs: the configured binary or the one on PATH, its probe's answers kept in the state directory. */
final class LocalZfs {
    /** In the state directory: the zfs capability probe's answers (docs/box.md, "Locks and state"). */
    static final String PROBE_CACHE = "zfs-probe";

    private LocalZfs() {}

    /**
     * The config's zfs, each call that is not a stream bounded by {@link #callBound the config's bound}: a command
     * outside a pass ({@code prune}, {@code release-stale}, {@code status}, {@code restore}, {@code box setup}, ...)
     * stuck on a zfs that never answers (a suspended pool) would otherwise never end. A pass and a stdinserver
     * process bound it again by their own job ({@link dev.zreplj.agent.PushPass}, {@link StdinServer#bounded}).
     */
    static Zfs of(Config config) throws ZfsException {
        Path binary = config.global().zfsBinary() != null
                ? config.global().zfsBinary()
                : Zfs.locate().binary();
        return bounded(new Zfs(binary, probeCache(config.global().stateDir())), config);
    }

    /**
     * The probe's answers are read only from a directory of the reading user's ({@code StateFiles.readOwn}): in the
     * state directory for its owner (the box user), else in the agent's own {@code jobs/} below it (root, in the
     * state directory the package gives the box user on every machine).
     */
    static Path probeCache(Path stateDir) {
        try {
            if (!ThisProcess.owns(stateDir)) {
                return stateDir.resolve("jobs").resolve(PROBE_CACHE);
            }
        } catch (IOException e) {
            // No state directory yet, or no owners: where it was, which the next write creates or skips.
        }
        return stateDir.resolve(PROBE_CACHE);
    }

    /** {@code zfs} bounded by {@link #callBound the config's bound}; as it is for a config without jobs. */
    static Zfs bounded(Zfs zfs, Config config) {
        Optional<CallBound> bound = callBound(config);
        return bound.isEmpty()
                ? zfs
                : zfs.withCallLimit(bound.get().limit(), bound.get().text());
    }

    /** @param text the bound as a failure names it: "10m0s (replication.timeout of push job 'laptop')" */
    record CallBound(Duration limit, String text) {}

    /**
     * The longest of the bounds the config's jobs set for their zfs calls (a push job's {@code replication.timeout},
     * a sink job's {@code serve.zreplj.stream_timeout}): no command waits on a call longer than a pass or a box
     * process would. Empty for a config without jobs.
     */
    static Optional<CallBound> callBound(Config config) {
        List<CallBound> bounds = new ArrayList<>();
        for (PushJob job : config.pushJobs()) {
            bounds.add(new CallBound(
                    job.replication().timeout(),
                    Watchdog.goDuration(job.replication().timeout()) + " (replication.timeout of push job '"
                            + job.name() + "')"));
        }
        for (SnapJob job : config.snapJobs()) {
            bounds.add(new CallBound(SnapPass.CALL_LIMIT, SnapPass.callLimitText(job)));
        }
        for (SinkJob job : config.sinkJobs()) {
            bounds.add(new CallBound(job.limits().streamTimeout(), StdinServer.boundText(job)));
        }
        return bounds.stream().max(Comparator.comparing(CallBound::limit));
    }
}
