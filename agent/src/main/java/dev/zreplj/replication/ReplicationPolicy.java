package dev.zreplj.replication;

import dev.zreplj.config.ConflictResolution;
import dev.zreplj.config.ConflictResolution.InitialReplication;

/** The parts of a push job's config the planner needs. */
public record ReplicationPolicy(InitialReplication initialReplication, boolean allowRollback) {
    public static ReplicationPolicy of(ConflictResolution resolution) {
        return new ReplicationPolicy(resolution.initialReplication(), resolution.allowRollback());
    }
}
