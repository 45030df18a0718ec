package dev.zreplj.replication;

import dev.zreplj.zfs.ResumeToken;
import dev.zreplj.zfs.VersionType;
import dev.zreplj.zfs.ZfsVersion;
import java.util.ArrayList;
import java.util.List;

/**
 * One send/receive: full when {@code from} is null, else incremental from a snapshot or bookmark.
 * {@code rollback} asks the receiver for {@code zfs recv -F}: only planned when the config allows it.
 * {@code resume}, when set, makes the step {@code zfs send -t} of the box's token: it continues the
 * partial receive of {@code to} (from {@code from}) that the box holds. {@code discardPartial} tells the
 * box to discard its stale partial receive of the filesystem before receiving. {@code between}: the
 * snapshots after {@code from} and before {@code to}, oldest first, that the same stream carries
 * ({@code zfs send -I}); empty for one snapshot ({@code -i} or full).
 */
public record Step(
        ZfsVersion from,
        ZfsVersion to,
        boolean rollback,
        ResumeToken resume,
        boolean discardPartial,
        List<ZfsVersion> between) {
    public Step {
        between = List.copyOf(between);
        if (resume != null && (rollback || discardPartial)) {
            throw new IllegalArgumentException("a resumed step neither rolls back nor discards what it resumes");
        }
        if (!between.isEmpty() && (from == null || from.type() != VersionType.SNAPSHOT || resume != null)) {
            throw new IllegalArgumentException("several snapshots go in one stream only from a snapshot (zfs send -I)");
        }
    }

    public Step(ZfsVersion from, ZfsVersion to, boolean rollback, ResumeToken resume, boolean discardPartial) {
        this(from, to, rollback, resume, discardPartial, List.of());
    }

    public Step(ZfsVersion from, ZfsVersion to, boolean rollback) {
        this(from, to, rollback, null, false);
    }

    public boolean isFull() {
        return from == null;
    }

    /** Whether the stream carries more than {@code to}: {@code zfs send -I}. */
    public boolean isSeries() {
        return !between.isEmpty();
    }

    /** Every snapshot the stream carries, oldest first; {@code to} last. */
    public List<ZfsVersion> snapshots() {
        List<ZfsVersion> all = new ArrayList<>(between);
        all.add(to);
        return all;
    }

    @Override
    public String toString() {
        return (from == null ? "full " : from.relativeName() + (between.isEmpty() ? " -> " : " => "))
                + to.relativeName()
                + (between.isEmpty() ? "" : " (" + (between.size() + 1) + " snapshots in one stream)")
                + (resume == null ? "" : " (resumed at " + resume.bytes() + " bytes)");
    }
}
