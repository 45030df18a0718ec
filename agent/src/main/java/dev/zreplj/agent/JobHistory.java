package dev.zreplj.agent;

import dev.zreplj.zfs.DatasetName;
import java.util.Optional;
import java.util.Set;

/**
 * What earlier passes of a job left in its status file that the next pass goes by: the filesystems they
 * recorded (one the listing cannot see any more fails the pass instead of dropping out of it unnoticed), and
 * the job's last snapshot round (the schedule counts from its start), and its last round that took no snapshot
 * at all (the schedule counts from that too, so that a failing pre_snapshot hook runs once an interval).
 */
public record JobHistory(
        Set<DatasetName> recorded, Optional<SnapshotRound> lastRound, Optional<SnapshotRound> lastRoundInVain) {
    public static final JobHistory NONE = new JobHistory(Set.of(), Optional.empty(), Optional.empty());

    public JobHistory {
        recorded = Set.copyOf(recorded);
    }

    public JobHistory(Set<DatasetName> recorded, Optional<SnapshotRound> lastRound) {
        this(recorded, lastRound, Optional.empty());
    }
}
