package dev.zreplj.replication;

import dev.zreplj.zfs.ResumeToken;
import dev.zreplj.zfs.ZfsVersion;

/**
 * One send/receive: full when {@code from} is null, else incremental from a snapshot or bookmark.
 * {@code rollback} asks the receiver for {@code zfs recv -F}: only planned when the config allows it.
 * {@code resume}, when set, makes the step {@code zfs send -t} of the box's token: it continues the
 * partial receive of {@code to} (from {@code from}) that the box holds. {@code discardPartial} tells the
 * box to discard its stale partial receive of the filesystem before receiving.
 */
public record Step(ZfsVersion from, ZfsVersion to, boolean rollback, ResumeToken resume, boolean discardPartial) {
    public Step {
        if (resume != null && (rollback || discardPartial)) {
            throw new IllegalArgumentException("a resumed step neither rolls back nor discards what it resumes");
        }
    }

    public Step(ZfsVersion from, ZfsVersion to, boolean rollback) {
        this(from, to, rollback, null, false);
    }

    public boolean isFull() {
        return from == null;
    }

    @Override
    public String toString() {
        return (from == null ? "full " : from.relativeName() + " -> ") + to.relativeName()
                + (resume == null ? "" : " (resumed at " + resume.bytes() + " bytes)");
    }
}
