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
     *                            (empty where a filesystem has none; such a one counts only when all are)
     */
    public static boolean due(
            Snapshotting snapshotting, Collection<Optional<Instant>> newestPerFilesystem, Instant now, ZoneId zone) {
        if (snapshotting.type() == Snapshotting.Type.MANUAL || newestPerFilesystem.isEmpty()) {
            return false;
        }
        // The filesystem that is furthest behind decides: one call snapshots all of them. As in zrepl's sync
        // point (snapper/periodic.go findSyncPoint), filesystems without a prefixed snapshot do not take part
        // while another has one: a new one waits for the next snapshot of the others, and one that never
        // gets a snapshot (a fatal pre_snapshot hook) does not make one due at every check. Only when no
        // filesystem has one is a snapshot due at once.
        Optional<Instant> oldestOrNone =
                newestPerFilesystem.stream().flatMap(Optional::stream).min(Instant::compareTo);
        if (oldestOrNone.isEmpty()) {
            return true;
        }
        Instant oldest = oldestOrNone.get();
        if (snapshotting.type() == Snapshotting.Type.PERIODIC) {
            return !oldest.plus(snapshotting.interval()).isAfter(now);
        }
        Instant nextFire = CronSchedule.parse(snapshotting.cron())
                .next(oldest.atZone(zone))
                .toInstant();
        return !nextFire.isAfter(now);
    }
}
