package dev.zreplj.agent;

import dev.zreplj.config.SnapshotNaming;
import dev.zreplj.config.Snapshotting;
import dev.zreplj.zfs.DatasetName;
import dev.zreplj.zfs.SourceZfs;
import dev.zreplj.zfs.VersionType;
import dev.zreplj.zfs.ZfsException;
import dev.zreplj.zfs.ZfsVersion;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The snapshot stage of a pass: takes the job's snapshot of every selected filesystem in one atomic
 * call when the schedule says it is due. One place, so that hooks (before/after a snapshot) can wrap it.
 */
final class SnapshotStage {
    private static final Logger log = LoggerFactory.getLogger(SnapshotStage.class);

    private final String job;
    private final Snapshotting snapshotting;
    private final SourceZfs zfs;
    private final Clock clock;

    SnapshotStage(String job, Snapshotting snapshotting, SourceZfs zfs, Clock clock) {
        this.job = job;
        this.snapshotting = snapshotting;
        this.zfs = zfs;
        this.clock = clock;
    }

    /** A snapshot that is due but failed. */
    static final class SnapshotFailed extends Exception {
        private static final long serialVersionUID = 1L;

        SnapshotFailed(String message, ZfsException cause) {
            super(message, cause);
        }
    }

    /**
     * The name of the snapshot taken, or empty when none was due (or snapshotting is manual).
     *
     * @param force take one even if none is due
     */
    Optional<String> takeIfDue(List<DatasetName> selected, Map<DatasetName, List<ZfsVersion>> versions,
                               boolean force) throws SnapshotFailed {
        if (snapshotting.type() == Snapshotting.Type.MANUAL) {
            return Optional.empty();
        }
        List<Optional<Instant>> newest = new ArrayList<>();
        for (DatasetName fs : selected) {
            newest.add(versions.getOrDefault(fs, List.of()).stream()
                    .filter(v -> v.type() == VersionType.SNAPSHOT && v.name().startsWith(snapshotting.prefix()))
                    .map(ZfsVersion::creation)
                    .max(Instant::compareTo));
        }
        Instant now = clock.instant();
        if (!force && !SnapshotSchedule.due(snapshotting, newest, now, clock.getZone())) {
            log.info("job {}: no snapshot due", job);
            return Optional.empty();
        }
        String name = SnapshotNaming.of(snapshotting.prefix(), snapshotting.timestampFormat()).name(now);
        String what = "@" + name + " of " + selected.size() + " filesystem" + (selected.size() == 1 ? "" : "s");
        try {
            zfs.snapshot(selected, name);
        } catch (ZfsException e) {
            throw new SnapshotFailed("taking " + what + " failed: " + e.getMessage(), e);
        }
        log.info("job {}: took {}", job, what);
        return Optional.of(name);
    }
}
