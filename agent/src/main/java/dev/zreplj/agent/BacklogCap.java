package dev.zreplj.agent;

import dev.zreplj.config.Snapshotting;
import dev.zreplj.zfs.DatasetName;
import dev.zreplj.zfs.VersionType;
import dev.zreplj.zfs.ZfsVersion;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The backlog cap: when replication keeps failing, new snapshots only fill the pool, since the sender
 * prunes nothing newer than the replication cursor. So snapshotting stops once a filesystem holds
 * {@code max_unreplicated} of the job's snapshots newer than its cursor (all of them without one).
 */
public final class BacklogCap {
    private BacklogCap() {}

    /**
     * @param cursors per filesystem, the replication cursor if there is one
     * @return the warning for the summary when the cap is reached on some filesystem, else empty
     */
    public static Optional<String> check(
            Snapshotting snapshotting,
            List<DatasetName> selected,
            Map<DatasetName, List<ZfsVersion>> versions,
            Map<DatasetName, Optional<ZfsVersion>> cursors) {
        DatasetName worst = null;
        long worstCount = -1;
        boolean worstHasCursor = false;
        for (DatasetName fs : selected) {
            Optional<ZfsVersion> cursor = cursors.getOrDefault(fs, Optional.empty());
            long after = cursor.map(ZfsVersion::createtxg).orElse(Long.MIN_VALUE);
            long count = versions.getOrDefault(fs, List.of()).stream()
                    .filter(v -> v.type() == VersionType.SNAPSHOT
                            && v.name().startsWith(snapshotting.prefix())
                            && v.createtxg() > after)
                    .count();
            if (count > worstCount) {
                worst = fs;
                worstCount = count;
                worstHasCursor = cursor.isPresent();
            }
        }
        if (worst == null || worstCount < snapshotting.maxUnreplicated()) {
            return Optional.empty();
        }
        String snapshots = worst + " has " + worstCount + " snapshot" + (worstCount == 1 ? "" : "s") + " with prefix '"
                + snapshotting.prefix() + "'";
        // Without a cursor nothing has failed yet: a first pass after a migration from zrepl or sanoid (years of
        // snapshots, none replicated by this job) meets the cap at once, and "has been failing" would send the
        // admin looking for a failure that is not there.
        return Optional.of((worstHasCursor
                        ? "replication has been failing: " + snapshots + " newer than its replication cursor"
                        : "not replicated by this job yet: " + snapshots + " and no replication cursor")
                + " (snapshotting.max_unreplicated is "
                + snapshotting.maxUnreplicated() + "); not adding more snapshots until replication catches up");
    }
}
