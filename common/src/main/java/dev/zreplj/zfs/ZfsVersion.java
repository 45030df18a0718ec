package dev.zreplj.zfs;

import java.time.Instant;

/** A snapshot or bookmark of a filesystem: the unit replication and pruning reason about. */
public record ZfsVersion(
        DatasetName filesystem, VersionType type, String name, long guid, long createtxg, Instant creation) {
    public ZfsVersion {
        DatasetName.validateComponent(name, type == VersionType.SNAPSHOT ? "snapshot name" : "bookmark name");
    }

    /**
     * 9999-12-31T23:59:59Z in seconds: the latest creation a version is given. zfs recv gives a snapshot its
     * stream's drr_creation_time, which a client chooses; a later time is one nothing downstream can hold
     * (Java's Instant ends in the year 1000000000, and every listing of such a snapshot failed).
     */
    public static final long LATEST_CREATION = 253_402_300_799L;

    /** {@code pool/fs@name} or {@code pool/fs#name}. */
    public String fullName() {
        return filesystem.value() + type.separator() + name;
    }

    /** {@code @name} or {@code #name}, the form {@code zfs send -i} takes relative to the filesystem. */
    public String relativeName() {
        return type.separator() + name;
    }

    @Override
    public String toString() {
        return fullName();
    }
}
