package dev.zreplj.replication;

import dev.zreplj.zfs.CursorProperty;
import dev.zreplj.zfs.DatasetName;
import dev.zreplj.zfs.Hold;
import dev.zreplj.zfs.VersionType;
import dev.zreplj.zfs.Zfs;
import dev.zreplj.zfs.ZfsException;
import dev.zreplj.zfs.ZfsVersion;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * zreplj's and zrepl's marks on the sender that belong to jobs no longer in the config: replication
 * cursor bookmarks, cursor holds with the property that lists them (zfs-fuse), and zrepl's
 * last-received holds; and zrepl's step holds of any job. A renamed job leaves them behind, and a held snapshot cannot be destroyed
 * ("dataset is busy"), so pruning stalls on them forever. zrepl's {@code zfs-abstraction release-stale}.
 */
public final class StaleMarks {
    private static final String PLACEHOLDER = "zrepl:placeholder";
    private static final String STEP_HOLD = "zrepl_STEP_J_";
    private static final Pattern ZREPL_HOLD = Pattern.compile("zrepl_(?:CURSOR|STEP|last_received)_J_(.+)");

    private StaleMarks() {}

    public enum Kind {
        BOOKMARK,
        HOLD,
        PROPERTY
    }

    /**
     * @param name     the bookmark's name, the hold's tag or the property
     * @param version  the bookmark or held snapshot; null for a property
     * @param kept     why it stays although its job is gone; null when it is to be released
     */
    public record Mark(Kind kind, DatasetName filesystem, String name, String job, ZfsVersion version, String kept) {
        public Mark(Kind kind, DatasetName filesystem, String name, String job, ZfsVersion version) {
            this(kind, filesystem, name, job, version, null);
        }

        @Override
        public String toString() {
            return switch (kind) {
                        case BOOKMARK -> "bookmark " + version.fullName();
                        case HOLD -> "hold " + name + " on " + version.fullName();
                        case PROPERTY -> "property " + name + " on " + filesystem;
                    }
                    + " (job '" + job + "')";
        }
    }

    /** The pools this machine has imported, by name. */
    public static Set<String> pools(Zfs zfs) throws ZfsException {
        Set<String> pools = new TreeSet<>();
        zfs.listAllFilesystems().forEach(fs -> pools.add(fs.pool()));
        return pools;
    }

    /**
     * Every mark of a job not in {@code jobs} on these pools; holds before the property listing them. Nothing
     * below a placeholder ({@code zrepl:placeholder=on} set locally: a box's jail, a zrepl receiver's parent):
     * the marks there are a receiver's, named after the sending clients' jobs, as when the box runs on this
     * machine with its own config.
     */
    public static List<Mark> find(Zfs zfs, Set<String> jobs, Set<String> pools) throws ZfsException {
        List<Mark> marks = new ArrayList<>();
        for (String pool : pools) {
            Map<DatasetName, Map<String, String>> local = zfs.localPropertiesBelow(DatasetName.of(pool));
            List<DatasetName> received = local.entrySet().stream()
                    .filter(e -> "on".equals(e.getValue().get(PLACEHOLDER)))
                    .map(Map.Entry::getKey)
                    .toList();
            marks.addAll(find(zfs, jobs, pool, local).stream()
                    .filter(m -> received.stream().noneMatch(r -> m.filesystem().isSelfOrDescendantOf(r)))
                    .toList());
        }
        return marks;
    }

    private static List<Mark> find(Zfs zfs, Set<String> jobs, String pool, Map<DatasetName, Map<String, String>> local)
            throws ZfsException {
        List<Mark> marks = new ArrayList<>();
        Map<DatasetName, List<ZfsVersion>> versions = zfs.listVersions(DatasetName.of(pool));
        List<ZfsVersion> snapshots = new ArrayList<>();
        versions.forEach((fs, list) -> list.forEach(v -> {
            if (v.type() == VersionType.BOOKMARK) {
                ReplicationCursor.bookmarkJob(v.name())
                        .filter(j -> !jobs.contains(j))
                        .ifPresent(j -> marks.add(new Mark(
                                Kind.BOOKMARK,
                                fs,
                                v.name(),
                                j,
                                v,
                                keptBecause(v, list, jobs).orElse(null))));
            } else {
                snapshots.add(v);
            }
        }));
        List<Mark> held = new ArrayList<>();
        if (zfs.capabilities().holdsListing() && !snapshots.isEmpty()) {
            for (Hold h : zfs.listHolds(snapshots)) {
                Matcher m = ZREPL_HOLD.matcher(h.tag());
                // A step hold is stale whoever's it is: zreplj takes none, and zrepl, which released one left by
                // an interrupted step at its next step there, no longer runs once its jobs are zreplj's (the same
                // names, as docs/migrating.md says): its snapshot could never be destroyed.
                if (m.matches() && (h.tag().startsWith(STEP_HOLD) || !jobs.contains(m.group(1)))) {
                    held.add(new Mark(
                            Kind.HOLD,
                            h.filesystem(),
                            h.tag(),
                            m.group(1),
                            find(versions, h.filesystem(), h.snapshot())));
                }
            }
        }
        List<Mark> properties = new ArrayList<>();
        for (var fs : local.entrySet()) {
            for (var p : fs.getValue().entrySet()) {
                List<String> owners = CursorProperty.jobs(p.getKey());
                // Stale only when no job it can belong to is configured: 'x41' is job x41's as much as job A's.
                if (owners.isEmpty() || owners.stream().anyMatch(jobs::contains)) {
                    continue;
                }
                // The hex spelling's job where there are two: zreplj writes it for every name outside [a-z0-9_.:-],
                // and a plain job name that is also valid hex after an 'x' is rare.
                String job = owners.get(owners.size() - 1);
                String tag = ReplicationCursor.holdTag(job);
                for (long guid : ReplicationCursor.parseGuids(p.getValue())) {
                    versions.getOrDefault(fs.getKey(), List.of()).stream()
                            .filter(v -> v.type() == VersionType.SNAPSHOT && v.guid() == guid)
                            .findFirst()
                            .map(v -> new Mark(Kind.HOLD, fs.getKey(), tag, job, v))
                            .filter(mark -> !held.contains(mark))
                            .ifPresent(held::add);
                }
                properties.add(new Mark(Kind.PROPERTY, fs.getKey(), p.getKey(), job, null));
            }
        }
        marks.addAll(held);
        marks.addAll(properties);
        return marks;
    }

    /**
     * Why a stale job's cursor bookmark must stay: it holds no data, but where its snapshot is gone and no
     * configured job's cursor is as new, it may be the only incremental base the box still shares (a renamed
     * job before its first pass under the new name). Destroyed, the next pass finds only an older common
     * snapshot, below what the box holds: a conflict that only a rollback of the box's copy or a full send ends.
     */
    static Optional<String> keptBecause(ZfsVersion bookmark, List<ZfsVersion> versions, Set<String> jobs) {
        for (ZfsVersion v : versions) {
            if (v.type() == VersionType.SNAPSHOT && v.guid() == bookmark.guid()) {
                return Optional.empty();
            }
            // A newer cursor, a configured job's or a stale one's, is a newer base: the box confirmed that snapshot.
            Optional<String> job =
                    v.type() == VersionType.BOOKMARK ? ReplicationCursor.bookmarkJob(v.name()) : Optional.empty();
            if (job.isPresent()
                    && (v.createtxg() > bookmark.createtxg()
                            || (v.createtxg() == bookmark.createtxg() && jobs.contains(job.get())))) {
                return Optional.empty();
            }
        }
        return Optional.of("the newest incremental base of " + bookmark.filesystem() + " (its snapshot is gone and"
                + " no cursor is newer); it goes once a configured job has replicated "
                + bookmark.filesystem() + ", or destroy it by hand (zfs destroy " + bookmark.fullName() + ") if that"
                + " filesystem is no longer pushed");
    }

    /** Removes one mark; a hold that is already gone is no failure. */
    public static void release(Zfs zfs, Mark mark) throws ZfsException {
        switch (mark.kind()) {
            case BOOKMARK -> zfs.destroyBookmark(mark.version());
            case HOLD -> zfs.releaseIfHeld(mark.name(), mark.version());
            case PROPERTY -> zfs.inheritProperty(mark.filesystem(), mark.name());
        }
    }

    private static ZfsVersion find(Map<DatasetName, List<ZfsVersion>> versions, DatasetName fs, String snapshot) {
        return versions.getOrDefault(fs, List.of()).stream()
                .filter(v -> v.type() == VersionType.SNAPSHOT && v.name().equals(snapshot))
                .findFirst()
                .orElseThrow(() -> new IllegalStateException(fs + "@" + snapshot + " is held but was not listed"));
    }
}
