package dev.zreplj.zfs;

import java.time.Instant;

/** A snapshot or bookmark of a filesystem: the unit replication and pruning reason about. */
public record ZfsVersion(
        DatasetName filesystem, VersionType type, String name, long guid, long createtxg, Instant creation) {
    public ZfsVersion {
        DatasetName.validateComponent(name, type == VersionType.SNAPSHOT ? "snapshot name" : "bookmark name");
    }

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
