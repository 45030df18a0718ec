package dev.zreplj.agent;

import dev.zreplj.config.PushJob;
import dev.zreplj.config.Snapshotting;
import dev.zreplj.protocol.RemoteFilesystem;
import dev.zreplj.protocol.RemoteVersion;
import dev.zreplj.prune.PruneReport;
import dev.zreplj.prune.PruneRun;
import dev.zreplj.prune.ReceiverListing;
import dev.zreplj.replication.Box;
import dev.zreplj.replication.BoxChannel;
import dev.zreplj.replication.Failure;
import dev.zreplj.replication.FilesystemPlan;
import dev.zreplj.replication.FilesystemResult;
import dev.zreplj.replication.Planner;
import dev.zreplj.replication.Progress;
import dev.zreplj.replication.ReplicationCursor;
import dev.zreplj.replication.SenderListing;
import dev.zreplj.replication.Watchdog;
import dev.zreplj.zfs.DatasetName;
import dev.zreplj.zfs.RefusedName;
import dev.zreplj.zfs.SourceZfs;
import dev.zreplj.zfs.VersionType;
import dev.zreplj.zfs.ZfsException;
import dev.zreplj.zfs.ZfsVersion;
import java.io.IOException;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs one pass of a push job in zrepl's order: snapshot, replicate, prune. No stage's failure ends the
 * pass early: a failed snapshot still replicates what exists and prunes, an unreachable box still prunes
 * the sender under its cursor. Every failed stage leaves one line in the result; no exception but an
 * interrupt leaves {@link #run}.
 */
public final class PassDriver {
    private static final Logger log = LoggerFactory.getLogger(PassDriver.class);
    /** Why the receiver was not pruned, when the pass's connect or replicate line already says it in full. */
    static final String SKIPPED_NO_SESSION = "no session with the backup box (see the connect failure)";

    static final String SKIPPED_BOX_LOST = "the backup box became unreachable (see the replicate failure)";

    static final String SKIPPED_BOX_REFUSED = "the backup box refused the pass's requests (see the replicate failure)";

    private final PushJob job;
    private final SourceZfs zfs;
    private final Box.Opener opener;
    private final Clock clock;
    private final Sleeper sleeper;
    private final Progress progress;
    private final JobHistory history;

    public PassDriver(PushJob job, SourceZfs zfs, Box.Opener opener, Clock clock, Sleeper sleeper) {
        this(job, zfs, opener, clock, sleeper, Progress.quiet(), JobHistory.NONE);
    }

    /**
     * @param progress shows each stage and every send (quiet unless on a terminal)
     * @param history what earlier passes of the job recorded in its status
     */
    public PassDriver(
            PushJob job,
            SourceZfs zfs,
            Box.Opener opener,
            Clock clock,
            Sleeper sleeper,
            Progress progress,
            JobHistory history) {
        this.job = job;
        this.zfs = zfs;
        this.opener = opener;
        this.clock = clock;
        this.sleeper = sleeper;
        this.progress = progress;
        this.history = history;
    }

    private static String connecting(PushJob job) {
        return "job " + job.name() + ": connecting to " + job.connect().target();
    }

    /**
     * @param forceSnapshot take a snapshot even if none is due (never for manual snapshotting)
     * @param connect       when the pass opens a session with the box
     */
    public PushPass.Result run(boolean forceSnapshot, PushPass.Connect connect) throws InterruptedException {
        Pass pass = new Pass();
        try {
            return pass.run(forceSnapshot, connect);
        } catch (ZfsException e) {
            return pass.failed("listing the sender failed: " + e.getMessage());
        } catch (RuntimeException e) {
            log.debug("job {}: unexpected error", job.name(), e);
            return pass.failed("unexpected error: " + e);
        }
    }

    /** The state of one run: what it took, what it warned about, which stages failed. */
    private final class Pass {
        private final List<String> warnings = new ArrayList<>();
        private final List<String> stageFailures = new ArrayList<>();
        private Optional<SnapshotRound> taken = Optional.empty();
        /** The snapshot a failed {@code zfs snapshot} was to take; empty when none failed. */
        private Optional<SnapshotRound> failedSnapshot = Optional.empty();
        /** The round this pass ran that took no snapshot anywhere; empty when it took one or ran none. */
        private Optional<SnapshotRound> roundInVain = Optional.empty();
        /** When the job's next round comes; empty before the snapshot stage and for manual snapshotting. */
        private Optional<Instant> nextRound = Optional.empty();
        /** The filesystems a fatal pre_snapshot hook kept out of {@link #taken}. */
        private List<String> notSnapshotted = List.of();
        /** A failed result for each dataset the filter names that the sender does not have. */
        private final List<FilesystemResult> missing = new ArrayList<>();
        /** What the listing selected, for the status of a pass that fails as a whole. */
        private List<String> selectedNames = List.of();
        /** For each filesystem replicated or found up to date, its newest snapshot's creation. */
        private final Map<String, Long> newestOnBox = new LinkedHashMap<>();

        PushPass.Result run(boolean forceSnapshot, PushPass.Connect connect) throws ZfsException, InterruptedException {
            // The session is being opened beside the listing from this moment on (EarlyConnect), unless
            // agent run's check connects only when there is something to send.
            progress.phase(
                    connect == PushPass.Connect.ALWAYS
                            ? connecting(job)
                            : "job " + job.name() + ": listing filesystems");
            SenderListing listing =
                    SenderListing.load(zfs, job.filesystems(), ReplicationCursor.listedProperty(zfs, job.name()));
            List<DatasetName> selected = listing.selected();
            selectedNames = selected.stream().map(DatasetName::value).toList();
            for (DatasetName fs : listing.missing()) {
                // Without this the filesystem would drop out of the pass and its status unnoticed (an external
                // pool not imported), while the pass said "all ok" about the rest.
                String why = "does not exist on the sender, though the filesystems filter names it (a pool not"
                        + " imported, a dataset renamed or destroyed); import the pool, or take it out of the filter";
                log.warn("job {}: {} {}", job.name(), fs, why);
                missing.add(new FilesystemResult(fs, FilesystemResult.Outcome.FAILED, 0, 0, why));
            }
            Set<DatasetName> reported = new HashSet<>(listing.missing());
            for (DatasetName fs : history.recorded()) {
                // Earlier passes backed it up and the filter still selects it, but the listing did not look
                // where it is: with "<": true the roots are the pools zfs lists, so a pool not imported would
                // drop its filesystems out of the pass, the status and the metrics without a word.
                if (job.filesystems().accepts(fs) && !listing.covers(fs) && reported.add(fs)) {
                    String why = "was backed up by earlier passes and the filter still selects it, but the sender"
                            + " has neither it nor a dataset above it (pool '" + fs.pool() + "' not imported, a"
                            + " dataset renamed or destroyed); import the pool, or take it out of the filter";
                    log.warn("job {}: {} {}", job.name(), fs, why);
                    missing.add(new FilesystemResult(fs, FilesystemResult.Outcome.FAILED, 0, 0, why));
                }
            }
            for (RefusedName r : listing.refused()) {
                // Not a filesystem result: it is keyed by a name zreplj refuses. A stage failure all the same,
                // so that the pass does not say "all ok" while a filesystem the job selects is not backed up.
                String error = "filesystems: '" + r.name() + "' is selected by the filter but cannot be replicated: "
                        + r.reason() + "; " + RefusedName.ADVICE;
                log.warn("job {}: {}", job.name(), error);
                stageFailures.add(error);
            }
            if (selected.isEmpty()) {
                return failed("the filesystems filter selects no filesystem (check it with 'zreplj test filesystems"
                        + " --job " + job.name() + "')");
            }
            ReplicationCursor cursor = ReplicationCursor.load(zfs, job.name(), listing);
            snapshot(selected, listing.versions(), cursor, forceSnapshot);
            if (taken.isPresent() || failedSnapshot.isPresent()) {
                listing = listing.refresh(zfs, selected);
            }
            if (taken.isEmpty() && failedSnapshot.isPresent()) {
                partlyTaken(listing, selected, failedSnapshot.get());
            }
            if (taken.isPresent()) {
                Set<DatasetName> still = new HashSet<>(listing.selected());
                for (DatasetName fs : selected) {
                    if (!still.contains(fs)) {
                        // Else it would leave the pass without a result while the pass said "all ok".
                        String why = "disappeared from the sender during the pass (after the snapshot): a pool"
                                + " exported, a dataset renamed or destroyed meanwhile";
                        log.warn("job {}: {} {}", job.name(), fs, why);
                        missing.add(new FilesystemResult(fs, FilesystemResult.Outcome.FAILED, 0, 0, why));
                    }
                }
            } else if (connect == PushPass.Connect.AFTER_SNAPSHOT
                    || (connect == PushPass.Connect.WHEN_UNREPLICATED
                            && stageFailures.isEmpty()
                            && !unreplicated(listing, cursor))) {
                return result(null, List.of(), null);
            }
            try (Watchdog watchdog = Watchdog.start(job.replication().timeout())) {
                Box box;
                try {
                    progress.phase(connecting(job));
                    box = opener.open(watchdog);
                } catch (IOException e) {
                    String error = "connect: no session with the backup box: " + e.getMessage();
                    log.warn("job {}: {}", job.name(), error);
                    stageFailures.add(error);
                    // Without the box the sender is still pruned: its guard is the local cursor. The
                    // transport's words are on the pass's own line already; the prune line points there.
                    return result(
                            error, List.of(), prune(listing, cursor, List.of(), SKIPPED_NO_SESSION, true, null, null));
                }
                try (box) {
                    return replicateAndPrune(box, watchdog, listing, cursor);
                }
            }
        }

        /**
         * Whether a selected filesystem has a snapshot newer than its cursor (any, without one): agent run's
         * idle check replicates it though it took none itself (snapshotting: manual, a snapshot made by hand).
         */
        private static boolean unreplicated(SenderListing listing, ReplicationCursor cursor) {
            for (DatasetName fs : listing.selected()) {
                List<ZfsVersion> versions = listing.versions().getOrDefault(fs, List.of());
                long after =
                        cursor.current(fs, versions).map(ZfsVersion::createtxg).orElse(Long.MIN_VALUE);
                for (ZfsVersion v : versions) {
                    if (v.type() == VersionType.SNAPSHOT && v.createtxg() > after) {
                        return true;
                    }
                }
            }
            return false;
        }

        private void snapshot(
                List<DatasetName> selected,
                Map<DatasetName, List<ZfsVersion>> versions,
                ReplicationCursor cursor,
                boolean force)
                throws InterruptedException {
            Map<DatasetName, Optional<ZfsVersion>> cursors = new LinkedHashMap<>();
            if (job.snapshotting().type() != Snapshotting.Type.MANUAL) {
                for (DatasetName fs : selected) {
                    cursors.put(fs, cursor.current(fs, versions.getOrDefault(fs, List.of())));
                }
                Optional<String> backlog = BacklogCap.check(job.snapshotting(), selected, versions, cursors);
                if (backlog.isPresent()) {
                    log.warn("job {}: {}", job.name(), backlog.get());
                    warnings.add(backlog.get());
                    return;
                }
            }
            progress.phase("job " + job.name() + ": snapshotting " + selected.size() + " filesystem"
                    + (selected.size() == 1 ? "" : "s") + " if due");
            SnapshotStage.Outcome outcome = new SnapshotStage(job.name(), job.snapshotting(), zfs, clock, sleeper)
                    .takeIfDue(selected, versions, cursors, history.lastRound(), history.lastRoundInVain(), force);
            taken = outcome.taken();
            failedSnapshot = outcome.failed();
            roundInVain = outcome.inVain();
            nextRound = outcome.nextRound();
            notSnapshotted = outcome.left().stream().map(DatasetName::value).toList();
            warnings.addAll(outcome.warnings());
            outcome.failures().forEach(f -> stageFailures.add("snapshot: " + f));
        }

        /**
         * After a failed {@code zfs snapshot}: zfs takes one call per pool (zfs-fuse: per subtree), so the pools
         * before the one that failed (full, say) have the snapshot. Those are replicated in this pass, as a taken
         * snapshot's are, and recorded so; before, they waited for the next pass while the status timed their last
         * snapshot by the one before.
         */
        private void partlyTaken(SenderListing listing, List<DatasetName> selected, SnapshotRound round) {
            Set<String> got = selected.stream()
                    .filter(fs -> listing.versions().getOrDefault(fs, List.of()).stream()
                            .anyMatch(v ->
                                    v.type() == VersionType.SNAPSHOT && v.name().equals(round.name())))
                    .map(DatasetName::value)
                    .collect(Collectors.toSet());
            if (got.isEmpty()) {
                return;
            }
            log.info(
                    "job {}: @{} was taken of {} of the {} filesystems before zfs snapshot failed",
                    job.name(),
                    round.name(),
                    got.size(),
                    selected.size());
            taken = Optional.of(round);
            notSnapshotted = selected.stream()
                    .map(DatasetName::value)
                    .filter(fs -> !got.contains(fs))
                    .toList();
        }

        private PushPass.Result replicateAndPrune(
                Box box, Watchdog watchdog, SenderListing listing, ReplicationCursor cursor)
                throws InterruptedException {
            List<DatasetName> selected = listing.selected();
            Map<DatasetName, List<ZfsVersion>> versions = listing.versions();
            ReplicationAttempts.Outcome replicated;
            try {
                replicated = new ReplicationAttempts(job, zfs, watchdog, sleeper, progress)
                        .run(box, selected, versions, cursor);
            } catch (ZfsException e) {
                // Pruning is still safe: the sender keeps what its cursor guards, the box what its rules keep.
                String error = "replicate: planning the replication failed: " + e.getMessage();
                log.warn("job {}: {}", job.name(), error);
                stageFailures.add(error);
                return result(error, List.of(), pruneOver(box, listing, cursor, List.of(), null));
            }
            if (replicated.boxLost() != null) {
                // What the box answered RESULT for before it was lost: no listing confirmed it.
                List<FilesystemResult> unconfirmed =
                        confirmed(replicated.results(), replicated.plans(), null, replicated.boxLost());
                recordNewestOnBox(unconfirmed, versions);
                // A box that answers ERROR (busy, forbidden) is reachable: "unreachable" would send the admin to the
                // network.
                stageFailures.add("replicate: the backup box "
                        + (replicated.boxRefused() ? "refused the pass's requests: " : "became unreachable: ")
                        + replicated.boxLost());
                return result(
                        null,
                        unconfirmed,
                        prune(
                                listing,
                                cursor,
                                moved(cursor, replicated.results()),
                                replicated.boxRefused() ? SKIPPED_BOX_REFUSED : SKIPPED_BOX_LOST,
                                true,
                                null,
                                new ReceiverListing(
                                        List.copyOf(replicated.remote().values()), false)));
            }
            List<DatasetName> changed = new ArrayList<>(moved(cursor, replicated.results()));
            Map<DatasetName, String> cursorFailures = new LinkedHashMap<>();
            for (FilesystemPlan plan : replicated.plans().values()) {
                if (plan instanceof FilesystemPlan.UpToDate
                        && syncCursor(cursor, plan.filesystem(), versions, replicated.remote(), cursorFailures)) {
                    changed.add(plan.filesystem());
                }
            }
            // Without a receive asked for since the replication's LIST, the box holds what that listed.
            boolean received =
                    replicated.plans().values().stream().anyMatch(FilesystemPlan.Replicate.class::isInstance);
            ReceiverListing receiver =
                    new ReceiverListing(List.copyOf(replicated.remote().values()), !received);
            List<FilesystemResult> results = withCursorFailures(replicated.results(), cursorFailures);
            if (received) {
                // RESULT is the box's word; ok needs its listing to hold the exact guid too (the one pruning uses).
                try {
                    List<RemoteFilesystem> after = box.healthy().list();
                    results = confirmed(results, replicated.plans(), after, null);
                    receiver = new ReceiverListing(after, true);
                } catch (IOException e) {
                    // Pruning lists again and fails the pass with it when that fails too.
                    log.warn("job {}: listing the backup box after replicating: {}", job.name(), e.getMessage());
                    results = confirmed(results, replicated.plans(), null, e.getMessage());
                }
            }
            recordNewestOnBox(results, versions);
            return result(null, results, pruneOver(box, listing, cursor, changed, receiver));
        }

        private void recordNewestOnBox(List<FilesystemResult> results, Map<DatasetName, List<ZfsVersion>> versions) {
            for (FilesystemResult r : results) {
                if (r.outcome() == FilesystemResult.Outcome.REPLICATED
                        || r.outcome() == FilesystemResult.Outcome.UP_TO_DATE) {
                    // Replication sends up to the newest snapshot; up to date, the box has it already. Newest by
                    // createtxg, as replication orders them: by creation, one taken while the clock was ahead would
                    // stand for the data's age, and status would call it unknown (ahead of the clock) for as long.
                    versions.getOrDefault(r.filesystem(), List.of()).stream()
                            .filter(v -> v.type() == VersionType.SNAPSHOT)
                            .max(Comparator.comparingLong(ZfsVersion::createtxg))
                            .ifPresent(v -> newestOnBox.put(
                                    r.filesystem().value(), v.creation().getEpochSecond()));
                }
            }
        }

        /**
         * A replicated filesystem whose last received snapshot the box's listing after the receives does not hold
         * (guid for guid) failed: a box that answers RESULT without storing the snapshot (broken, or not a zreplj
         * box) must not make the pass, status and monitoring say a backup exists; nor may one no listing confirmed.
         *
         * @param listed   the box's listing after the receives, or null where it could not be listed
         * @param unlisted why it could not (with {@code listed} null)
         */
        private List<FilesystemResult> confirmed(
                List<FilesystemResult> results,
                Map<DatasetName, FilesystemPlan> plans,
                List<RemoteFilesystem> listed,
                String unlisted) {
            Map<String, Set<Long>> onBox = new LinkedHashMap<>();
            Objects.requireNonNullElse(listed, List.<RemoteFilesystem>of())
                    .forEach(fs -> onBox.put(
                            fs.path(),
                            fs.versions().stream()
                                    .filter(v -> v.type() == VersionType.SNAPSHOT)
                                    .map(RemoteVersion::guid)
                                    .collect(Collectors.toSet())));
            List<FilesystemResult> out = new ArrayList<>();
            for (FilesystemResult r : results) {
                if (r.outcome() != FilesystemResult.Outcome.REPLICATED
                        || !(plans.get(r.filesystem()) instanceof FilesystemPlan.Replicate plan)
                        || plan.steps().isEmpty()) {
                    out.add(r);
                    continue;
                }
                ZfsVersion last = plan.steps().get(plan.steps().size() - 1).to();
                if (onBox.getOrDefault(r.filesystem().value(), Set.of()).contains(last.guid())) {
                    out.add(r);
                    continue;
                }
                String why = listed != null
                        ? "the backup box answered that it received @" + last.name() + " but does not list it (guid "
                                + Long.toUnsignedString(last.guid()) + "): nothing of it counts as backed up; the next"
                                + " pass sends it again"
                        : "the backup box answered that it received @" + last.name() + ", but listing the box to"
                                + " confirm it failed (" + unlisted + "): it counts as backed up once a listing shows"
                                + " it, which the next pass checks";
                log.warn("{}: {}", r.filesystem(), why);
                out.add(FilesystemResult.failed(
                                r.filesystem(),
                                r.stepsDone(),
                                r.bytes(),
                                why,
                                r.estimatedBytes(),
                                listed != null ? Failure.REFUSED : Failure.CONNECTION_LOST)
                        .withEvents(r.events()));
            }
            return out;
        }

        /**
         * An up-to-date filesystem whose cursor could not be set failed, as a replicated one does (Replicator):
         * without a cursor its sender keeps every snapshot, the backlog cap stops snapshots, and agent run's
         * idle check connects every time; "all ok" would hide that until then.
         */
        private static List<FilesystemResult> withCursorFailures(
                List<FilesystemResult> results, Map<DatasetName, String> cursorFailures) {
            if (cursorFailures.isEmpty()) {
                return results;
            }
            List<FilesystemResult> out = new ArrayList<>();
            for (FilesystemResult r : results) {
                String failure = cursorFailures.get(r.filesystem());
                out.add(failure == null ? r : FilesystemResult.failed(r.filesystem(), 0, 0, failure, 0, Failure.ZFS));
            }
            return out;
        }

        /**
         * The filesystems whose listed versions replication changed: where the cursor is a bookmark, every
         * filesystem that received a step got a new one. Holds (zfs-fuse's cursor) are not in the listing,
         * and the cursor knows where it moved them.
         */
        private static List<DatasetName> moved(ReplicationCursor cursor, List<FilesystemResult> results) {
            if (!cursor.usesBookmarks()) {
                return List.of();
            }
            return results.stream()
                    .filter(r -> r.stepsDone() > 0)
                    .map(FilesystemResult::filesystem)
                    .toList();
        }

        /**
         * Prunes both sides over a channel the watchdog left alone; when every one was cut (a stalled step),
         * over a fresh one. A box that cannot even be reached again is a dead link: the sender is still pruned
         * under its cursor and the base the pass's listing of the box showed.
         */
        private PruneReport pruneOver(
                Box box,
                SenderListing listing,
                ReplicationCursor cursor,
                List<DatasetName> changed,
                ReceiverListing receiver) {
            BoxChannel healthy;
            try {
                healthy = box.healthy();
            } catch (IOException e) {
                log.warn("job {}: no channel to the backup box for pruning: {}", job.name(), e.getMessage());
                return prune(
                        listing,
                        cursor,
                        changed,
                        "every channel to the backup box was cut and a new one failed: " + e.getMessage(),
                        false,
                        null,
                        receiver);
            }
            return prune(listing, cursor, changed, null, false, healthy, receiver);
        }

        /** Prunes from the pass's listing, listed again only where replication changed it. */
        private PruneReport prune(
                SenderListing listing,
                ReplicationCursor cursor,
                List<DatasetName> changed,
                String boxUnavailable,
                boolean unavailableReported,
                BoxChannel box,
                ReceiverListing receiver) {
            PruneReport report;
            progress.phase("job " + job.name() + ": pruning");
            try {
                report = new PruneRun(job, zfs)
                        .run(listing.refresh(zfs, changed), cursor, box, receiver, boxUnavailable, false);
            } catch (ZfsException e) {
                report = PruneRun.unlisted(false, e);
            }
            // A box that an earlier stage already reported as gone is that stage's failure, not pruning's.
            report.failureLine(!unavailableReported).ifPresent(line -> stageFailures.add("prune: " + line));
            return report;
        }

        /**
         * An up-to-date filesystem may lack its cursor (a pass killed between receive and cursor, or a
         * crash that left two marks): set it to the newest snapshot both sides have. True when a bookmark
         * may have been made or destroyed.
         */
        private boolean syncCursor(
                ReplicationCursor cursor,
                DatasetName fs,
                Map<DatasetName, List<ZfsVersion>> versions,
                Map<String, RemoteFilesystem> remote,
                Map<DatasetName, String> failures) {
            Optional<ZfsVersion> common =
                    Planner.newestCommon(versions.getOrDefault(fs, List.of()), remote.get(fs.value()));
            if (common.isEmpty() || common.get().type() != VersionType.SNAPSHOT) {
                return false;
            }
            try {
                return cursor.move(common.get()) && cursor.usesBookmarks();
            } catch (ZfsException e) {
                String failure = "up to date on the box, but setting the replication cursor to " + common.get()
                        + " failed: " + e.getMessage();
                log.warn("{}: {}", fs, failure);
                failures.put(fs, failure);
                return cursor.usesBookmarks();
            }
        }

        /** The pass failed as a whole, before any filesystem was looked at. */
        PushPass.Result failed(String error) {
            log.warn("job {}: {}", job.name(), error);
            stageFailures.add(error);
            return result(error, List.of(), null);
        }

        private PushPass.Result result(String error, List<FilesystemResult> filesystems, PruneReport prune) {
            List<FilesystemResult> all = new ArrayList<>(filesystems);
            all.addAll(missing);
            return new PushPass.Result(
                    job.name(),
                    taken.map(SnapshotRound::name),
                    all,
                    error,
                    warnings,
                    prune,
                    stageFailures,
                    notSnapshotted,
                    newestOnBox,
                    selectedNames,
                    taken,
                    roundInVain,
                    nextRound);
        }
    }
}
