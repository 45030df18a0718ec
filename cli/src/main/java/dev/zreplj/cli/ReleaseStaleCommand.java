package dev.zreplj.cli;

import dev.zreplj.config.Config;
import dev.zreplj.config.PushJob;
import dev.zreplj.config.SinkJob;
import dev.zreplj.replication.StaleMarks;
import dev.zreplj.stdinserver.StaleReceiverMarks;
import dev.zreplj.zfs.DatasetName;
import dev.zreplj.zfs.Zfs;
import java.io.PrintWriter;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * zrepl's {@code zfs-abstraction release-stale}. On the agent (a config with push jobs): the replication
 * cursors and holds of push jobs that are no longer in the config (a renamed job), which keep snapshots from
 * being destroyed. On the backup box (a config with sink jobs): the last-received holds, below each sink's
 * root_fs, of push jobs that another job has superseded on that filesystem ({@link StaleReceiverMarks}).
 * One line each, {@code released<TAB>WHAT} or with {@code --dry-run} {@code stale<TAB>WHAT}.
 */
@Command(
        name = "release-stale",
        description = "Release the holds and cursors of push jobs no longer in the "
                + "config (agent) or superseded by another job (backup box); --dry-run only lists them.")
final class ReleaseStaleCommand implements Callable<Integer> {
    @ParentCommand
    Main parent;

    @Spec
    CommandSpec spec;

    @Option(names = "--dry-run", description = "list what would be released; change nothing")
    boolean dryRun;

    /** Releases one mark; throws when that fails. */
    private interface Release {
        void run() throws Exception;
    }

    @Override
    public Integer call() throws Exception {
        Config config = parent.loadConfig();
        if (config.pushJobs().isEmpty() && config.sinkJobs().isEmpty()) {
            throw CliException.usage("release-stale: the config has no push job (agent) and no sink job (backup box)");
        }
        PrintWriter out = spec.commandLine().getOut();
        boolean failed = false;
        if (!config.pushJobs().isEmpty()) {
            Set<String> jobs = config.pushJobs().stream().map(PushJob::name).collect(Collectors.toSet());
            Zfs zfs = LocalZfs.of(config);
            List<DatasetName> sinkRoots =
                    config.sinkJobs().stream().map(SinkJob::rootFs).toList();
            for (StaleMarks.Mark mark : StaleMarks.find(zfs, jobs, StaleMarks.pools(zfs))) {
                // below a sink's root_fs the holds are the clients', named after their jobs, not ours
                if (sinkRoots.stream().noneMatch(r -> mark.filesystem().isSelfOrDescendantOf(r))) {
                    if (mark.kept() != null) {
                        out.print("kept\t" + mark + ": " + mark.kept() + "\n");
                    } else {
                        failed |= !handle(out, mark.toString(), () -> StaleMarks.release(zfs, mark));
                    }
                }
            }
        }
        if (!config.sinkJobs().isEmpty()) {
            Zfs zfs = LocalZfs.of(config);
            Set<DatasetName> existing = new HashSet<>(zfs.listAllFilesystems());
            for (SinkJob job : config.sinkJobs()) {
                if (!existing.contains(job.rootFs())) {
                    continue;
                }
                for (StaleReceiverMarks.Mark mark : StaleReceiverMarks.find(zfs, job.rootFs())) {
                    failed |= !handle(
                            out,
                            mark.toString(),
                            () -> StaleReceiverMarks.release(
                                    zfs, config.global().stateDir(), mark));
                }
            }
        }
        out.flush();
        return failed ? ExitCodes.FAILURE : ExitCodes.OK;
    }

    /** Prints one line for the mark; false when releasing it failed. */
    private boolean handle(PrintWriter out, String mark, Release release) {
        if (dryRun) {
            out.print("stale\t" + mark + "\n");
            return true;
        }
        try {
            release.run();
            out.print("released\t" + mark + "\n");
            return true;
        } catch (Exception e) {
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            out.print("failed\t" + mark + ": " + e.getMessage() + "\n");
            return false;
        }
    }
}
