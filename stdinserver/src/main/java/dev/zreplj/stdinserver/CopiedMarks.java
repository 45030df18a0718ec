package dev.zreplj.stdinserver;

import dev.zreplj.zfs.DatasetName;
import dev.zreplj.zfs.VersionType;
import dev.zreplj.zfs.Zfs;
import dev.zreplj.zfs.ZfsException;
import dev.zreplj.zfs.ZfsVersion;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The box's own marks in a history copied from another box with {@code zfs send -R | zfs recv} (a new box, or the
 * pool renamed): the placeholder flag and the last-received properties arrive as <em>received</em> values, which the
 * box does not read (it reads only what it set locally, since a client's property stream can set received ones),
 * and the last-received holds do not arrive at all (zfs-fuse's send carries no holds; OpenZFS's only with
 * {@code -h}). Until the client's first receive moved them, its last received snapshots were then no longer refused
 * to a client's DESTROY, and a copied empty placeholder was no placeholder. {@code box setup} turns them back into
 * the box's: each such value set locally, and for a last-received one the hold put on the snapshots it names.
 */
public final class CopiedMarks {
    private CopiedMarks() {}

    /**
     * A received value of {@code property} on {@code filesystem} to be made the box's.
     *
     * @param job the push job a last-received property belongs to; null for the placeholder flag
     */
    public record Mark(DatasetName filesystem, String property, String value, String job) {
        @Override
        public String toString() {
            if (job == null) {
                return "set " + property + "=" + value + " on " + filesystem;
            }
            return "set " + property + "=" + value + " on " + filesystem + " and hold " + LastReceived.tag(job)
                    + " on "
                    + String.join(
                            ", ",
                            LastReceived.names(value).stream()
                                    .map(n -> filesystem + "@" + n)
                                    .toList());
        }
    }

    /**
     * The copied marks at and below {@code root}, on the filesystems the box has not created or received into itself:
     * each of those has its own {@code zrepl:placeholder} set locally (on, or off once received into), and a received
     * value there can only be a client's, from a property stream. Per filesystem the last-received marks come before
     * the placeholder flag, which {@link #adopt} sets last: a setup cut short in between finds the rest again.
     */
    public static List<Mark> find(Zfs zfs, DatasetName root) throws ZfsException {
        Map<DatasetName, Map<String, String>> local = zfs.localPropertiesBelow(root);
        List<Mark> marks = new ArrayList<>();
        for (var fs : zfs.receivedPropertiesBelow(root).entrySet()) {
            if (local.getOrDefault(fs.getKey(), Map.of()).containsKey(Placeholders.PLACEHOLDER_PROPERTY)) {
                continue;
            }
            Mark placeholder = null;
            for (var p : fs.getValue().entrySet()) {
                if (p.getKey().equals(Placeholders.PLACEHOLDER_PROPERTY)) {
                    placeholder = new Mark(fs.getKey(), p.getKey(), p.getValue(), null);
                } else {
                    Optional<String> job = LastReceived.jobOf(p.getKey());
                    if (job.isPresent() && !LastReceived.names(p.getValue()).isEmpty()) {
                        marks.add(new Mark(fs.getKey(), p.getKey(), p.getValue(), job.get()));
                    }
                }
            }
            if (placeholder != null) {
                marks.add(placeholder);
            }
        }
        return marks;
    }

    /**
     * The filesystems of {@code marks}' last-received marks for which {@code stateDir} has no receive times: the old
     * box's {@code received/} files were not copied, or not renamed to the new root_fs, so the keep floor would time
     * that copied history by the creation its client chose (docs/box.md, "Moving the backups to a new box").
     */
    public static List<DatasetName> withoutReceiveTimes(Path stateDir, List<Mark> marks) {
        return marks.stream()
                .filter(m -> m.job() != null)
                .map(Mark::filesystem)
                .distinct()
                .filter(fs -> !Files.exists(ReceiveTimes.path(stateDir, fs), LinkOption.NOFOLLOW_LINKS))
                .toList();
    }

    /**
     * Makes one mark the box's under the filesystem's lock: the property first, then the holds, so that a crash in
     * between leaves the property naming them, which the box's DESTROY honours and its next receive clears. A
     * snapshot the value names that no longer exists is skipped; one that is already held counts as done.
     */
    public static void adopt(Zfs zfs, Path stateDir, Mark mark) throws ZfsException, IOException {
        try (DatasetLock lock = DatasetLock.tryAcquire(stateDir, mark.filesystem())) {
            if (lock == null) {
                throw new ZfsException("a receive or destroy of " + mark.filesystem() + " is running; try again later");
            }
            zfs.setProperty(mark.filesystem(), mark.property(), mark.value());
            if (mark.job() == null) {
                return;
            }
            List<String> names = LastReceived.names(mark.value());
            for (ZfsVersion v : zfs.listOwnVersions(mark.filesystem())) {
                if (v.type() == VersionType.SNAPSHOT && names.contains(v.name())) {
                    zfs.holdIfNotHeld(LastReceived.tag(mark.job()), v);
                }
            }
        }
    }
}
