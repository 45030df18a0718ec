package dev.zreplj.agent;

import dev.zreplj.config.PushJob;
import dev.zreplj.config.ReplicationOptions;
import dev.zreplj.config.SnapJob;
import dev.zreplj.prune.PruneReport;
import dev.zreplj.prune.PruneRun;
import dev.zreplj.replication.Progress;
import dev.zreplj.replication.SenderListing;
import dev.zreplj.replication.Watchdog;
import dev.zreplj.zfs.DatasetName;
import dev.zreplj.zfs.RefusedName;
import dev.zreplj.zfs.SourceZfs;
import dev.zreplj.zfs.Zfs;
import dev.zreplj.zfs.ZfsException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One pass of a snap job (zrepl's {@code type: snap}): the push job's snapshot stage, then its sender pruning
 * by the job's {@code keep} rules alone, on this machine; no box, no cursor of its own. Its result has no
 * filesystem results (nothing is replicated): {@code selected} names what it looked at, and every failed stage
 * leaves one line, as a push pass's do.
 */
public final class SnapPass {
    private static final Logger log = LoggerFactory.getLogger(SnapPass.class);
    /** A snap job has no replication.timeout; its zfs calls get the push job's default bound. */
    public static final Duration CALL_LIMIT = ReplicationOptions.defaults().timeout();

    private final SnapJob job;
    private final List<PushJob> pushJobs;
    private final SourceZfs zfs;
    private final Clock clock;
    private final Sleeper sleeper;
    private final Progress progress;
    private final JobHistory history;

    /**
     * @param pushJobs the config's push jobs: the snapshots their replication cursors hold are not pruned
     * @param history what the job's status file recorded: its last snapshot round and last round in vain
     */
    public SnapPass(SnapJob job, List<PushJob> pushJobs, Zfs zfs, Clock clock, Progress progress, JobHistory history) {
        this(job, pushJobs, zfs.withCallLimit(CALL_LIMIT, callLimitText(job)), clock, Sleeper.REAL, progress, history);
    }

    SnapPass(
            SnapJob job,
            List<PushJob> pushJobs,
            SourceZfs zfs,
            Clock clock,
            Sleeper sleeper,
            Progress progress,
            JobHistory history) {
        this.job = job;
        this.pushJobs = List.copyOf(pushJobs);
        this.zfs = zfs;
        this.clock = clock;
        this.sleeper = sleeper;
        this.progress = progress;
        this.history = history;
    }

    /** How a zfs call cut by {@link #CALL_LIMIT} names the bound. */
    public static String callLimitText(SnapJob job) {
        return Watchdog.goDuration(CALL_LIMIT) + " (zreplj's bound for the zfs calls of snap job '" + job.name() + "')";
    }

    /**
     * @param forceSnapshot take a snapshot even if none is due (never for manual snapshotting)
     * @param alwaysPrune   prune even when no snapshot was taken ({@code agent once}, agent run's first check and
     *                      its retries); otherwise a prune that destroyed nothing and did not fail is left out of the
     *                      result, so that agent run's idle checks report nothing
     */
    public PushPass.Result run(boolean forceSnapshot, boolean alwaysPrune) throws InterruptedException {
        List<String> warnings = new ArrayList<>();
        List<String> failures = new ArrayList<>();
        List<String> selectedNames = List.of();
        Optional<SnapshotRound> taken = Optional.empty();
        Optional<SnapshotRound> inVain = Optional.empty();
        Optional<Instant> nextRound = Optional.empty();
        List<String> left = List.of();
        try {
            progress.phase("job " + job.name() + ": listing filesystems");
            SenderListing listing = SenderListing.load(zfs, job.filesystems(), null);
            selectedNames = listing.selected().stream().map(DatasetName::value).toList();
            for (DatasetName fs : listing.missing()) {
                failures.add("filesystems: " + fs + " does not exist, though the filesystems filter names it (a pool"
                        + " not imported, a dataset renamed or destroyed); import the pool, or take it out of the"
                        + " filter");
            }
            for (RefusedName r : listing.refused()) {
                failures.add("filesystems: '" + r.name() + "' is selected by the filter but cannot be snapshotted: "
                        + r.reason() + "; " + RefusedName.ADVICE);
            }
            if (listing.selected().isEmpty()) {
                failures.add("the filesystems filter selects no filesystem (check it with 'zreplj test filesystems"
                        + " --job " + job.name() + "')");
                return result(
                        taken,
                        inVain,
                        nextRound,
                        failures,
                        warnings,
                        null,
                        left,
                        selectedNames,
                        failures.get(failures.size() - 1));
            }
            progress.phase(
                    "job " + job.name() + ": snapshotting " + listing.selected().size() + " filesystem"
                            + (listing.selected().size() == 1 ? "" : "s") + " if due");
            SnapshotStage.Outcome outcome = new SnapshotStage(job.name(), job.snapshotting(), zfs, clock, sleeper)
                    .takeIfDue(
                            listing.selected(),
                            listing.versions(),
                            Map.of(),
                            history.lastRound(),
                            history.lastRoundInVain(),
                            forceSnapshot);
            taken = outcome.taken();
            inVain = outcome.inVain();
            nextRound = outcome.nextRound();
            left = outcome.left().stream().map(DatasetName::value).toList();
            warnings.addAll(outcome.warnings());
            outcome.failures().forEach(f -> failures.add("snapshot: " + f));
            if (taken.isPresent()) {
                listing = listing.refresh(zfs, listing.selected());
            }
            progress.phase("job " + job.name() + ": pruning");
            PruneReport prune = PruneRun.local(job, pushJobs, zfs, listing, false);
            prune.failureLine(true).ifPresent(line -> failures.add("prune: " + line));
            boolean quiet = !alwaysPrune && taken.isEmpty() && !prune.failed() && prune.destroyedCount() == 0;
            return result(
                    taken, inVain, nextRound, failures, warnings, quiet ? null : prune, left, selectedNames, null);
        } catch (ZfsException e) {
            String error = "listing the filesystems failed: " + e.getMessage();
            failures.add(error);
            return result(taken, inVain, nextRound, failures, warnings, null, left, selectedNames, error);
        } catch (RuntimeException e) {
            log.debug("job {}: unexpected error", job.name(), e);
            String error = "unexpected error: " + e;
            failures.add(error);
            return result(taken, inVain, nextRound, failures, warnings, null, left, selectedNames, error);
        } finally {
            failures.forEach(f -> log.warn("job {}: {}", job.name(), f));
        }
    }

    private PushPass.Result result(
            Optional<SnapshotRound> taken,
            Optional<SnapshotRound> inVain,
            Optional<Instant> nextRound,
            List<String> failures,
            List<String> warnings,
            PruneReport prune,
            List<String> left,
            List<String> selected,
            String error) {
        return new PushPass.Result(
                job.name(),
                taken.map(SnapshotRound::name),
                List.of(),
                error,
                warnings,
                prune,
                failures,
                left,
                Map.of(),
                selected,
                taken,
                inVain,
                nextRound);
    }
}
