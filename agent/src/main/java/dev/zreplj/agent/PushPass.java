package dev.zreplj.agent;

import dev.zreplj.config.PushJob;
import dev.zreplj.protocol.StreamCompression;
import dev.zreplj.prune.PruneReport;
import dev.zreplj.replication.FilesystemResult;
import dev.zreplj.replication.Progress;
import dev.zreplj.replication.Watchdog;
import dev.zreplj.zfs.Zfs;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * One pass of a push job as the agent runs it: the local zfs, the box over SSH, the system clock and real
 * waits, wired into the {@link PassDriver} (snapshot if due, connect, replicate with retries, prune both
 * sides).
 */
public final class PushPass {
    private final PushJob job;
    private final Zfs zfs;
    private final Clock clock;
    private final Progress progress;
    private final JobHistory history;

    /**
     * @param progress the terminal's progress line, or {@link Progress#quiet()}
     * @param history what the job's status file holds from earlier passes
     */
    public PushPass(PushJob job, Zfs zfs, Clock clock, Progress progress, JobHistory history) {
        this.job = job;
        // The watchdog's bound for the box's replies bounds the local zfs calls too: a pass stuck in one never ends.
        this.zfs = zfs.withCallLimit(
                job.replication().timeout(),
                Watchdog.goDuration(job.replication().timeout()) + " (the job's replication.timeout)");
        this.clock = clock;
        this.progress = progress;
        this.history = history;
    }

    /**
     * The outcome of a pass. {@code error} is set when replication failed as a whole (no connection, the
     * sender could not be listed); {@code warnings} are things the user must know that are not failures of
     * this pass (the backlog cap); {@code prune} is null when the pass did not prune; {@code stageFailures}
     * has one line per stage that failed (snapshot, connect, replicate, prune, an unexpected error);
     * {@code notSnapshotted} the filesystems {@code snapshotTaken} left out (a fatal pre_snapshot hook, a name too long);
     * {@code newestOnBox}, for each filesystem replicated or found up to date, the creation (unix seconds)
     * of its newest snapshot, which the box now holds: how old the backup's data is; {@code selected} the
     * filesystems the pass's listing selected (empty when it did not get that far), so that a pass that fails
     * as a whole still leaves a new one in the status, as never replicated; {@code snapshotRound} the snapshot
     * taken with when its round began, for the status file (the next pass's schedule counts from it);
     * {@code roundInVain} a round the pass ran that took no snapshot at all, which the schedule counts from too;
     * {@code nextRound} when the job's next snapshot round comes (empty for manual snapshotting, or when the pass
     * did not get as far as the schedule), which {@code agent run} wakes up for.
     */
    public record Result(
            String job,
            Optional<String> snapshotTaken,
            List<FilesystemResult> filesystems,
            String error,
            List<String> warnings,
            PruneReport prune,
            List<String> stageFailures,
            List<String> notSnapshotted,
            Map<String, Long> newestOnBox,
            List<String> selected,
            Optional<SnapshotRound> snapshotRound,
            Optional<SnapshotRound> roundInVain,
            Optional<Instant> nextRound) {
        public Result {
            filesystems = List.copyOf(filesystems);
            warnings = List.copyOf(warnings);
            stageFailures = List.copyOf(stageFailures);
            notSnapshotted = List.copyOf(notSnapshotted);
            newestOnBox = Map.copyOf(newestOnBox);
            selected = List.copyOf(selected);
        }

        /** A result without a round in vain or a next round. */
        public Result(
                String job,
                Optional<String> snapshotTaken,
                List<FilesystemResult> filesystems,
                String error,
                List<String> warnings,
                PruneReport prune,
                List<String> stageFailures,
                List<String> notSnapshotted,
                Map<String, Long> newestOnBox,
                List<String> selected,
                Optional<SnapshotRound> snapshotRound) {
            this(
                    job,
                    snapshotTaken,
                    filesystems,
                    error,
                    warnings,
                    prune,
                    stageFailures,
                    notSnapshotted,
                    newestOnBox,
                    selected,
                    snapshotRound,
                    Optional.empty(),
                    Optional.empty());
        }

        /** A result whose snapshot, if one was taken, left none of its filesystems (all selected) out. */
        public Result(
                String job,
                Optional<String> snapshotTaken,
                List<FilesystemResult> filesystems,
                String error,
                List<String> warnings,
                PruneReport prune,
                List<String> stageFailures) {
            this(
                    job,
                    snapshotTaken,
                    filesystems,
                    error,
                    warnings,
                    prune,
                    stageFailures,
                    List.of(),
                    Map.of(),
                    filesystems.stream().map(f -> f.filesystem().value()).toList(),
                    Optional.empty());
        }

        public Result(String job, Optional<String> snapshotTaken, List<FilesystemResult> filesystems, String error) {
            this(job, snapshotTaken, filesystems, error, List.of(), null, error == null ? List.of() : List.of(error));
        }

        public boolean failed() {
            return error != null
                    || !stageFailures.isEmpty()
                    || filesystems.stream().anyMatch(FilesystemResult::failed)
                    || (prune != null && prune.failed());
        }
    }

    /** When a pass opens a session with the box. */
    public enum Connect {
        /** Always: {@code agent once}, and {@code agent run}'s retry of a failed pass. */
        ALWAYS,
        /**
         * After a snapshot this pass took, or when a selected filesystem has one newer than its cursor:
         * {@code agent run}'s check, which must not open SSH sessions for nothing.
         */
        WHEN_UNREPLICATED,
        /** Only after a snapshot this pass took: {@code agent run}'s check while it waits to retry a failed pass. */
        AFTER_SNAPSHOT
    }

    /**
     * @param forceSnapshot take a snapshot even if none is due (never for manual snapshotting)
     * @param connect       when to open a session with the box
     */
    public Result run(boolean forceSnapshot, Connect connect) throws InterruptedException {
        if (connect != Connect.ALWAYS) {
            // agent run's checks must not connect for nothing: connect only when the box is needed.
            return new PassDriver(
                            job,
                            zfs,
                            watchdog -> BoxConnection.open(job, watchdog),
                            clock,
                            Sleeper.REAL,
                            progress,
                            history)
                    .run(forceSnapshot, connect);
        }
        StreamCompression compression = BoxConnection.compression(job);
        EarlyConnect early = EarlyConnect.start(
                job.connect(), job.name(), job.replication().timeout(), compression, SinkChannel.listRoots(job));
        try {
            return new PassDriver(
                            job,
                            zfs,
                            watchdog -> BoxConnection.open(job, watchdog, early.take(), compression),
                            clock,
                            Sleeper.REAL,
                            progress,
                            history)
                    .run(forceSnapshot, Connect.ALWAYS);
        } finally {
            early.closeUnused();
        }
    }
}
