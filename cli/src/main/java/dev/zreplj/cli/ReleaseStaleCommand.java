package dev.zreplj.cli;

import dev.zreplj.config.Config;
import dev.zreplj.config.PushJob;
import dev.zreplj.replication.StaleMarks;
import dev.zreplj.zfs.Zfs;
import dev.zreplj.zfs.ZfsException;
import java.io.PrintWriter;
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
 * zrepl's {@code zfs-abstraction release-stale} for the agent: the replication cursors and holds of push
 * jobs that are no longer in the config (a renamed job), which keep snapshots from being destroyed.
 * One line each, {@code released<TAB>WHAT} or with {@code --dry-run} {@code stale<TAB>WHAT}.
 */
@Command(name = "release-stale", description = "Release the holds and cursors of push jobs no longer in the "
        + "config (on this machine's pools); --dry-run only lists them.")
final class ReleaseStaleCommand implements Callable<Integer> {
    @ParentCommand
    Main parent;

    @Spec
    CommandSpec spec;

    @Option(names = "--dry-run", description = "list what would be released; change nothing")
    boolean dryRun;

    @Override
    public Integer call() throws Exception {
        Config config = parent.loadConfig();
        Set<String> jobs = config.pushJobs().stream().map(PushJob::name).collect(Collectors.toSet());
        if (jobs.isEmpty()) {
            throw CliException.usage("release-stale: the config has no push job, so every mark would look stale; "
                    + "run it on the agent, with the agent's config (on the backup box, holds are named after the "
                    + "agents' jobs, which the box's config does not list)");
        }
        Zfs zfs = AgentJobs.zfs(config);
        List<StaleMarks.Mark> marks = StaleMarks.find(zfs, jobs, StaleMarks.pools(zfs));
        PrintWriter out = spec.commandLine().getOut();
        boolean failed = false;
        for (StaleMarks.Mark mark : marks) {
            if (dryRun) {
                out.print("stale\t" + mark + "\n");
                continue;
            }
            try {
                StaleMarks.release(zfs, mark);
                out.print("released\t" + mark + "\n");
            } catch (ZfsException e) {
                out.print("failed\t" + mark + ": " + e.getMessage() + "\n");
                failed = true;
            }
        }
        out.flush();
        return failed ? ExitCodes.FAILURE : ExitCodes.OK;
    }
}
