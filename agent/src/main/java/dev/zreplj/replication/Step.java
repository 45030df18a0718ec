package dev.zreplj.replication;

import dev.zreplj.zfs.ZfsVersion;

/**
 * One send/receive: full when {@code from} is null, else incremental from a snapshot or bookmark.
 * {@code rollback} asks the receiver for {@code zfs recv -F}: only planned when the config allows it.
 */
public record Step(ZfsVersion from, ZfsVersion to, boolean rollback) {
    public boolean isFull() {
        return from == null;
    }

    @Override
    public String toString() {
        return (from == null ? "full " : from.relativeName() + " -> ") + to.relativeName();
    }
}
