package dev.zreplj.replication;

import dev.zreplj.zfs.CursorProperty;
import dev.zreplj.zfs.DatasetName;
import dev.zreplj.zfs.SourceZfs;
import dev.zreplj.zfs.VersionType;
import dev.zreplj.zfs.ZfsException;
import dev.zreplj.zfs.ZfsVersion;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The sender's mark of the newest snapshot the receiver has, per filesystem and job: sender-side
 * pruning never destroys it nor anything newer, and it stays a valid incremental base.
 *
 * <p>Where zfs has bookmarks the mark is zrepl's bookmark {@code #zrepl_CURSOR_G_<guid as 16 hex>_J_<job>},
 * so a zrepl user switching over keeps their incremental base. Where it has not (zfs-fuse), the mark is
 * a hold {@code zrepl_CURSOR_J_<job>} on the snapshot plus the user property {@code zreplj:cursor:<job>}
 * on the filesystem listing the guids that may carry that hold (zfs-fuse cannot list holds, so the
 * property is how a later run finds them).
 *
 * <p>Moving sets the new mark first and removes the old ones after, so a crash leaves two marks, never
 * none; the newest mark counts, and the next move of that filesystem removes the rest. One instance per
 * pass; filesystems are moved concurrently, each by one thread at a time.
 */
public final class ReplicationCursor {
    private static final Logger log = LoggerFactory.getLogger(ReplicationCursor.class);
    private static final String BOOKMARK_PREFIX = "zrepl_CURSOR_G_";
    private static final Pattern BOOKMARK = Pattern.compile("zrepl_CURSOR_G_([0-9a-f]{16})_J_(.+)");

    private final SourceZfs zfs;
    private final String job;
    private final boolean bookmarks;
    /** Per filesystem: the guids this job's marks point at, oldest first. */
    private final Map<DatasetName, List<Long>> marks = new ConcurrentHashMap<>();
    /** Per filesystem: its versions by guid, to name the snapshot a hold is on. */
    private final Map<DatasetName, Map<Long, ZfsVersion>> byGuid = new ConcurrentHashMap<>();

    private ReplicationCursor(SourceZfs zfs, String job, boolean bookmarks) {
        this.zfs = zfs;
        this.job = job;
        this.bookmarks = bookmarks;
    }

    /**
     * Reads this job's marks: from the listing where they are bookmarks, else with one {@code zfs get}
     * per pool of the listed filesystems.
     */
    public static ReplicationCursor load(SourceZfs zfs, String job, Map<DatasetName, List<ZfsVersion>> versions)
            throws ZfsException {
        return load(
                zfs,
                job,
                versions,
                new TreeSet<>(versions.keySet().stream().map(DatasetName::pool).toList())
                        .stream().map(DatasetName::of).toList(),
                null);
    }

    /**
     * The marks of a pass's listing: where they are properties, from the listing when it read
     * {@link #property}, else with one {@code zfs get} per root it listed.
     */
    public static ReplicationCursor load(SourceZfs zfs, String job, SenderListing listing) throws ZfsException {
        return load(
                zfs,
                job,
                listing.versions(),
                listing.roots(),
                listing.local(CursorProperty.of(job)).orElse(null));
    }

    /** The property a pass's listing should read for this job's cursor: none where it is a bookmark. */
    public static String listedProperty(SourceZfs zfs, String job) throws ZfsException {
        return zfs.capabilities().bookmarks() ? null : CursorProperty.of(job);
    }

    private static ReplicationCursor load(
            SourceZfs zfs,
            String job,
            Map<DatasetName, List<ZfsVersion>> versions,
            List<DatasetName> roots,
            Map<DatasetName, String> listed)
            throws ZfsException {
        ReplicationCursor cursor =
                new ReplicationCursor(zfs, job, zfs.capabilities().bookmarks());
        versions.forEach((fs, list) -> {
            Map<Long, ZfsVersion> guids = new ConcurrentHashMap<>();
            for (ZfsVersion v : list) {
                if (v.type() == VersionType.SNAPSHOT) {
                    guids.put(v.guid(), v);
                }
            }
            cursor.byGuid.put(fs, guids);
        });
        if (cursor.bookmarks) {
            versions.forEach((fs, list) -> {
                List<Long> found = list.stream()
                        .filter(v -> v.type() == VersionType.BOOKMARK)
                        .sorted(Comparator.comparingLong(ZfsVersion::createtxg))
                        .map(v -> parseBookmark(v.name(), job))
                        .filter(OptionalLong::isPresent)
                        .map(OptionalLong::getAsLong)
                        .toList();
                if (!found.isEmpty()) {
                    cursor.marks.put(fs, found);
                }
            });
        } else {
            String property = CursorProperty.of(job);
            Map<DatasetName, String> values = new TreeMap<>();
            if (listed != null) {
                values.putAll(listed);
            } else {
                for (DatasetName root : roots) {
                    values.putAll(zfs.localProperty(root, property));
                }
            }
            values.forEach((fs, value) -> {
                if (versions.containsKey(fs)) {
                    List<Long> guids = parseGuids(value);
                    if (guids.isEmpty()) {
                        log.warn(
                                "{}: ignoring property {}='{}': not a list of 16-digit hex guids", fs, property, value);
                    } else {
                        cursor.marks.put(fs, guids);
                    }
                }
            });
        }
        return cursor;
    }

    /** zrepl's cursor bookmark name for a snapshot guid and job. */
    public static String bookmarkName(long guid, String job) {
        return BOOKMARK_PREFIX + HexFormat.of().withLowerCase().toHexDigits(guid) + "_J_" + job;
    }

    /**
     * Why this job cannot mark {@code fs}: its cursor bookmark's full name would be longer than zfs allows (a
     * long filesystem name under a long job name). Known before anything is sent, so the filesystem is not sent:
     * a received step without a cursor leaves the sender's pruning nothing to stop at. Empty where it fits, and
     * where the mark is a hold (its tag is far below zfs's limit).
     */
    public Optional<String> unmarkable(DatasetName fs) {
        int length = fs.value().length() + 1 + bookmarkName(0, job).length();
        if (!bookmarks || length <= DatasetName.MAX_LENGTH) {
            return Optional.empty();
        }
        return Optional.of("its replication cursor bookmark would be " + length + " characters, over zfs's "
                + DatasetName.MAX_LENGTH + ": shorten the filesystem's name or the job's name (" + job.length()
                + " characters) by " + (length - DatasetName.MAX_LENGTH)
                + ", or exclude the filesystem from the job's filter");
    }

    /** The guid in a cursor bookmark name of {@code job}; empty for any other bookmark. */
    public static OptionalLong parseBookmark(String name, String job) {
        Matcher m = BOOKMARK.matcher(name);
        if (!m.matches() || !m.group(2).equals(job)) {
            return OptionalLong.empty();
        }
        return OptionalLong.of(Long.parseUnsignedLong(m.group(1), 16));
    }

    /** The job of a cursor bookmark name of any job; empty for any other bookmark. */
    public static Optional<String> bookmarkJob(String name) {
        Matcher m = BOOKMARK.matcher(name);
        return m.matches() ? Optional.of(m.group(2)) : Optional.empty();
    }

    /** The hold tag that protects the cursor snapshot where there are no bookmarks. */
    public static String holdTag(String job) {
        return "zrepl_CURSOR_J_" + job;
    }

    static List<Long> parseGuids(String value) {
        List<Long> guids = new ArrayList<>();
        for (String part : value.split(",", -1)) {
            if (!part.matches("[0-9a-f]{16}")) {
                return List.of();
            }
            guids.add(Long.parseUnsignedLong(part, 16));
        }
        return guids;
    }

    static String formatGuids(Set<Long> guids) {
        List<String> parts = new ArrayList<>();
        guids.forEach(g -> parts.add(HexFormat.of().toHexDigits(g)));
        return String.join(",", parts);
    }

    /** Whether this job's marks are bookmarks (else holds plus the property). */
    public boolean usesBookmarks() {
        return bookmarks;
    }

    /**
     * The cursor of {@code fs}: of the versions this job's marks point at, the newest (by createtxg)
     * that {@code versions} still holds; empty when there is none.
     */
    public Optional<ZfsVersion> current(DatasetName fs, List<ZfsVersion> versions) {
        List<Long> guids = marks.getOrDefault(fs, List.of());
        VersionType type = bookmarks ? VersionType.BOOKMARK : VersionType.SNAPSHOT;
        return versions.stream()
                .filter(v -> v.type() == type
                        && guids.contains(v.guid())
                        && (!bookmarks || v.name().equals(bookmarkName(v.guid(), job))))
                .max(Comparator.comparingLong(ZfsVersion::createtxg));
    }

    /** Every mark of {@code fs} (more than one after a crash), oldest first. */
    public List<Long> marks(DatasetName fs) {
        return marks.getOrDefault(fs, List.of());
    }

    /**
     * Makes {@code to} (a snapshot the receiver has confirmed) the cursor of its filesystem and removes
     * every other mark of this job there. Does nothing, and returns false, when it already is the only mark.
     */
    public boolean move(ZfsVersion to) throws ZfsException {
        if (to.type() != VersionType.SNAPSHOT) {
            throw new IllegalArgumentException("a replication cursor marks a snapshot, not " + to);
        }
        DatasetName fs = to.filesystem();
        Optional<String> unmarkable = unmarkable(fs);
        if (unmarkable.isPresent()) {
            throw new ZfsException(unmarkable.get());
        }
        List<Long> old = marks.getOrDefault(fs, List.of());
        if (old.equals(List.of(to.guid()))) {
            return false;
        }
        byGuid.computeIfAbsent(fs, k -> new ConcurrentHashMap<>()).put(to.guid(), to);
        if (bookmarks) {
            if (!old.contains(to.guid())) {
                zfs.bookmark(to, bookmarkName(to.guid(), job));
            }
            for (long guid : old) {
                if (guid != to.guid()) {
                    zfs.destroyBookmark(
                            new ZfsVersion(fs, VersionType.BOOKMARK, bookmarkName(guid, job), guid, 0, Instant.EPOCH));
                }
            }
        } else {
            String property = CursorProperty.of(job);
            Set<Long> all = new LinkedHashSet<>(old);
            all.add(to.guid());
            if (!all.equals(new LinkedHashSet<>(old))) {
                zfs.setProperty(fs, property, formatGuids(all));
            }
            holdTolerant(to);
            for (long guid : old) {
                ZfsVersion snapshot = byGuid.get(fs).get(guid);
                if (guid != to.guid() && snapshot != null) {
                    // The property may list a guid whose hold was never set (a crash) or is gone already.
                    zfs.releaseIfHeld(holdTag(job), snapshot);
                }
            }
            zfs.setProperty(fs, property, formatGuids(Set.of(to.guid())));
        }
        marks.put(fs, List.of(to.guid()));
        log.debug("{}: replication cursor of job {} at {}", fs, job, to);
        return true;
    }

    /** A crash between property and hold, or a second run, finds the hold already there. */
    private void holdTolerant(ZfsVersion snapshot) throws ZfsException {
        try {
            zfs.hold(holdTag(job), snapshot);
        } catch (ZfsException e) {
            if (!e.stderr().toLowerCase(Locale.ROOT).contains("tag already exists")) {
                throw e;
            }
        }
    }
}
