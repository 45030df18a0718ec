package dev.zreplj.agent;

import dev.zreplj.config.CronSchedule;
import dev.zreplj.config.Snapshotting;
import java.time.Instant;
import java.time.ZoneId;
import java.util.Collection;
import java.util.Optional;

/**
 * Whether a job's snapshot is due, decided from the snapshots themselves (the newest one with the job's
 * prefix on each selected filesystem), as zrepl does: no state file can drift from what ZFS holds.
 */
public final class SnapshotSchedule {
    private SnapshotSchedule() {}

    /**
     * @param newestPerFilesystem creation of the newest prefixed snapshot of each selected filesystem
     *                            (empty where a filesystem has none)
     */
    public static boolean due(
            Snapshotting snapshotting, Collection<Optional<Instant>> newestPerFilesystem, Instant now, ZoneId zone) {
        if (snapshotting.type() == Snapshotting.Type.MANUAL || newestPerFilesystem.isEmpty()) {
            return false;
        }
        if (newestPerFilesystem.stream().anyMatch(Optional::isEmpty)) {
            return true;
        }
        // The filesystem that is furthest behind decides: one call snapshots all of them.
        Instant oldest = newestPerFilesystem.stream()
                .map(Optional::get)
                .min(Instant::compareTo)
                .orElseThrow();
        if (snapshotting.type() == Snapshotting.Type.PERIODIC) {
            return !oldest.plus(snapshotting.interval()).isAfter(now);
        }
        Instant nextFire = CronSchedule.parse(snapshotting.cron())
                .next(oldest.atZone(zone))
                .toInstant();
        return !nextFire.isAfter(now);
    }
}
