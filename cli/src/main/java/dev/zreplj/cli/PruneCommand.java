package dev.zreplj.cli;

import dev.zreplj.agent.BoxConnection;
import dev.zreplj.agent.JobLock;
import dev.zreplj.agent.SnapPass;
import dev.zreplj.config.Config;
import dev.zreplj.config.Job;
import dev.zreplj.config.PushJob;
import dev.zreplj.config.SnapJob;
import dev.zreplj.prune.PruneReport;
import dev.zreplj.prune.PruneRun;
import dev.zreplj.replication.ReplicationCursor;
import dev.zreplj.replication.SenderListing;
import dev.zreplj.replication.Watchdog;
import dev.zreplj.zfs.DatasetName;
import dev.zreplj.zfs.Zfs;
import dev.zreplj.zfs.ZfsException;
import java.io.IOException;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/**
 * Pruning on its own, without snapshotting or replicating: the same run {@code agent once} ends with.
 * When the box cannot be reached the sender is still pruned (its guard is the local replication
 * cursor) and the exit status is 1.
 */
@Command(
        name = "prune",
        description = "Prune sender and receiver by the push jobs' keep rules, and the snap jobs' filesystems.")
final class PruneCommand implements Callable<Integer> {
    @ParentCommand
    Main parent;

    @Option(names = "--job", paramLabel = "NAME", description = "only this push or snap job (repeatable; default: all)")
    List<String> jobs = new ArrayList<>();

    @Option(names = "--dry-run", description = "print what would be destroyed and why; change nothing")
    boolean dryRun;

    @Override
    public Integer call() throws Exception {
        Config config = parent.loadConfig();
        List<Job> selected = AgentJobs.selectAgentJobs(config, jobs);
        if (dryRun) {
            return prune(config, selected);
        }
        // A pass prunes with the same rules, from its own listing; two at once destroy from stale listings
        // and fail on each other's destroys. A dry run changes nothing and may watch a running pass.
        try (JobLock lock = AgentJobs.lock(config, selected)) {
            return prune(config, selected);
        }
    }

    private int prune(Config config, List<Job> selected) throws ZfsException {
        Zfs zfs = LocalZfs.of(config);
        boolean failed = false;
        PrintStream out = System.out;
        for (Job job : selected) {
            List<DatasetName> filesystems = List.of();
            PruneReport report;
            try {
                if (job instanceof SnapJob snap) {
                    SenderListing listing = SenderListing.load(zfs, snap.filesystems(), null);
                    filesystems = listing.selected();
                    report = PruneRun.local(
                            snap,
                            config.pushJobs(),
                            zfs.withCallLimit(SnapPass.CALL_LIMIT, SnapPass.callLimitText(snap)),
                            listing,
                            dryRun);
                } else {
                    PushJob push = (PushJob) job;
                    SenderListing listing = SenderListing.load(
                            zfs, push.filesystems(), ReplicationCursor.listedProperty(zfs, push.name()));
                    filesystems = listing.selected();
                    report = prune(push, zfs, listing);
                }
            } catch (ZfsException e) {
                // This job's failure, reported as such; the next job is pruned all the same.
                report = PruneRun.unlisted(dryRun, e);
            }
            out.println("job " + job.name() + ": " + (dryRun ? "prune plan (dry run)" : "pruned") + ", "
                    + filesystems.size() + " filesystem" + (filesystems.size() == 1 ? "" : "s") + ", "
                    + report.destroyedCount() + (dryRun ? " to destroy" : " destroyed")
                    + (report.refusedCount() == 0 ? "" : ", " + report.refusedCount() + " refused by the backup box")
                    + (report.failed() ? ", with failures" : ""));
            AgentJobs.printPrune(report, true, out);
            out.flush();
            failed |= report.failed();
        }
        return failed ? ExitCodes.FAILURE : ExitCodes.OK;
    }

    private PruneReport prune(PushJob job, Zfs zfs, SenderListing listing) {
        ReplicationCursor cursor;
        try {
            cursor = ReplicationCursor.load(zfs, job.name(), listing);
        } catch (ZfsException e) {
            return PruneRun.unlisted(dryRun, e);
        }
        try (Watchdog watchdog = Watchdog.start(job.replication().timeout())) {
            PruneRun run = new PruneRun(job, zfs);
            try (BoxConnection box = BoxConnection.open(job, watchdog)) {
                // Closing says goodbye; a goodbye that fails does not undo the pruning.
                return run.run(listing, cursor, box.first(), null, null, dryRun);
            } catch (IOException e) {
                return run.run(
                        listing, cursor, null, null, "no session with the backup box: " + e.getMessage(), dryRun);
            }
        }
    }
}
