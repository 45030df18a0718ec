package dev.zreplj.agent;

import dev.zreplj.zfs.DatasetName;
import java.util.Optional;
import java.util.Set;

/**
 * What earlier passes of a job left in its status file that the next pass goes by: the filesystems they
 * recorded (one the listing cannot see any more fails the pass instead of dropping out of it unnoticed), and
 * the job's last snapshot round (the schedule counts from its start).
 */
public record JobHistory(Set<DatasetName> recorded, Optional<SnapshotRound> lastRound) {
    public static final JobHistory NONE = new JobHistory(Set.of(), Optional.empty());

    public JobHistory {
        recorded = Set.copyOf(recorded);
    }
}
