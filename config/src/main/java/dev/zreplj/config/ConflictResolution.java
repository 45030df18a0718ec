package dev.zreplj.config;

/** zrepl's {@code conflict_resolution}; zreplj adds {@code allow_rollback} (default false). */
public record ConflictResolution(InitialReplication initialReplication, boolean allowRollback) {
    public enum InitialReplication {
        MOST_RECENT,
        ALL,
        FAIL
    }

    public static ConflictResolution defaults() {
        return new ConflictResolution(InitialReplication.MOST_RECENT, false);
    }
}
