package dev.zreplj.agent;

import dev.zreplj.config.PushJob;
import dev.zreplj.protocol.StreamCompression;
import dev.zreplj.prune.PruneReport;
import dev.zreplj.replication.FilesystemResult;
import dev.zreplj.replication.Progress;
import dev.zreplj.zfs.DatasetName;
import dev.zreplj.zfs.Zfs;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

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
    private final Set<DatasetName> recorded;

    /**
     * @param progress the terminal's progress line, or {@link Progress#quiet()}
     * @param recorded the filesystems the job's status file holds from earlier passes
     */
    public PushPass(PushJob job, Zfs zfs, Clock clock, Progress progress, Set<DatasetName> recorded) {
        this.job = job;
        this.zfs = zfs;
        this.clock = clock;
        this.progress = progress;
        this.recorded = Set.copyOf(recorded);
    }

    /**
     * The outcome of a pass. {@code error} is set when replication failed as a whole (no connection, the
     * sender could not be listed); {@code warnings} are things the user must know that are not failures of
     * this pass (the backlog cap); {@code prune} is null when the pass did not prune; {@code stageFailures}
     * has one line per stage that failed (snapshot, connect, replicate, prune, an unexpected error);
     * {@code notSnapshotted} the filesystems {@code snapshotTaken} left out (a fatal pre_snapshot hook);
     * {@code newestOnBox}, for each filesystem replicated or found up to date, the creation (unix seconds)
     * of its newest snapshot, which the box now holds: how old the backup's data is; {@code selected} the
     * filesystems the pass's listing selected (empty when it did not get that far), so that a pass that fails
     * as a whole still leaves a new one in the status, as never replicated.
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
            List<String> selected) {
        public Result {
            filesystems = List.copyOf(filesystems);
            warnings = List.copyOf(warnings);
            stageFailures = List.copyOf(stageFailures);
            notSnapshotted = List.copyOf(notSnapshotted);
            newestOnBox = Map.copyOf(newestOnBox);
            selected = List.copyOf(selected);
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
                    filesystems.stream().map(f -> f.filesystem().value()).toList());
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

    /**
     * @param forceSnapshot     take a snapshot even if none is due (never for manual snapshotting)
     * @param onlyAfterSnapshot replicate only when this pass took a snapshot ({@code agent run} between
     *                          its retries), so an idle schedule does not open SSH sessions for nothing
     */
    public Result run(boolean forceSnapshot, boolean onlyAfterSnapshot) throws InterruptedException {
        if (onlyAfterSnapshot) {
            // agent run's idle passes must not connect for nothing: connect only when the box is needed.
            return new PassDriver(
                            job,
                            zfs,
                            watchdog -> BoxConnection.open(job, watchdog),
                            clock,
                            Sleeper.REAL,
                            progress,
                            recorded)
                    .run(forceSnapshot, true);
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
                            recorded)
                    .run(forceSnapshot, false);
        } finally {
            early.closeUnused();
        }
    }
}
