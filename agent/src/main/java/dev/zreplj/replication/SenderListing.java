package dev.zreplj.replication;

import dev.zreplj.config.FilesystemFilter;
import dev.zreplj.zfs.DatasetName;
import dev.zreplj.zfs.RefusedName;
import dev.zreplj.zfs.SourceZfs;
import dev.zreplj.zfs.VersionListing;
import dev.zreplj.zfs.ZfsException;
import dev.zreplj.zfs.ZfsVersion;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * What a pass knows of the sender: the filesystems the job's filter selects and their versions, from one
 * recursive listing per root of the filter (not of the whole pool), so a job over 20 filesystems of a
 * 2000-filesystem pool lists 20. The filesystems come from the same listing as their versions: one zfs
 * call per root, not two; where asked, the same call reads one locally set property (the replication
 * cursor's, on zfs-fuse). A pass keeps one and lists again only the roots in which it changed something.
 */
public final class SenderListing {
    private final FilesystemFilter filter;
    private final String property;
    private final List<DatasetName> roots;
    private final List<DatasetName> selected;
    private final Map<DatasetName, List<ZfsVersion>> versions;
    private final Map<DatasetName, String> local;
    private final List<DatasetName> missing;
    private final List<RefusedName> refused;

    private SenderListing(
            FilesystemFilter filter,
            String property,
            List<DatasetName> roots,
            Map<DatasetName, List<ZfsVersion>> listed,
            Map<DatasetName, String> local,
            List<DatasetName> missing,
            List<RefusedName> refused) {
        this.filter = filter;
        this.property = property;
        this.roots = List.copyOf(roots);
        this.missing = List.copyOf(missing);
        this.refused = List.copyOf(refused);
        Map<DatasetName, List<ZfsVersion>> mine = new TreeMap<>();
        listed.forEach((fs, v) -> {
            if (filter.accepts(fs)) {
                mine.put(fs, List.copyOf(v));
            }
        });
        Map<DatasetName, String> values = new TreeMap<>(local);
        values.keySet().retainAll(mine.keySet());
        this.local = Collections.unmodifiableMap(values);
        this.versions = Collections.unmodifiableMap(mine);
        this.selected = List.copyOf(mine.keySet());
    }

    /**
     * Lists below the filter's roots; where the filter accepts any dataset ({@code "<": true}) the roots are
     * the pools, found with one more listing. A root that does not exist lists nothing.
     *
     * @param property a property whose local values to read with the versions ({@link #local}); null for none
     */
    public static SenderListing load(SourceZfs zfs, FilesystemFilter filter, String property) throws ZfsException {
        List<DatasetName> roots = filter.roots().isPresent()
                ? filter.roots().get()
                : new TreeSet<>(zfs.listAllFilesystems().stream()
                                .map(fs -> DatasetName.of(fs.pool()))
                                .toList())
                        .stream().toList();
        Map<DatasetName, List<ZfsVersion>> listed = new TreeMap<>();
        Map<DatasetName, String> local = new TreeMap<>();
        List<RefusedName> refused = new ArrayList<>();
        for (DatasetName root : roots) {
            refused.addAll(list(zfs, root, property, listed, local));
        }
        List<DatasetName> missing = missing(filter, listed.keySet());
        return new SenderListing(
                filter,
                property,
                roots,
                listed,
                local,
                missing,
                refused.stream().filter(r -> filter.accepts(r.name())).toList());
    }

    /**
     * The datasets {@code filter} names ({@link FilesystemFilter#named()}) that are not in {@code listed}, nor
     * anything below them: a dataset with anything listed at or below it exists (zfs has no child without its parent).
     */
    public static List<DatasetName> missing(FilesystemFilter filter, Collection<DatasetName> listed) {
        return filter.named().stream()
                .filter(fs -> listed.stream().noneMatch(l -> l.isSelfOrDescendantOf(fs)))
                .toList();
    }

    /** Lists below one root into {@code listed} and {@code local}; returns the filesystems refused by name. */
    private static List<RefusedName> list(
            SourceZfs zfs,
            DatasetName root,
            String property,
            Map<DatasetName, List<ZfsVersion>> listed,
            Map<DatasetName, String> local)
            throws ZfsException {
        VersionListing l = zfs.listVersions(root, property);
        listed.putAll(l.versions());
        local.putAll(l.values());
        return l.refused();
    }

    /**
     * This listing with the roots that hold any of {@code changed} listed again (snapshots taken, cursor
     * bookmarks moved, snapshots destroyed); the same instance when nothing changed.
     */
    public SenderListing refresh(SourceZfs zfs, Collection<DatasetName> changed) throws ZfsException {
        List<DatasetName> stale = roots.stream()
                .filter(r -> changed.stream().anyMatch(fs -> fs.isSelfOrDescendantOf(r)))
                .toList();
        if (stale.isEmpty()) {
            return this;
        }
        Map<DatasetName, List<ZfsVersion>> listed = new TreeMap<>();
        Map<DatasetName, String> kept = new TreeMap<>();
        versions.forEach((fs, v) -> {
            if (stale.stream().noneMatch(fs::isSelfOrDescendantOf)) {
                listed.put(fs, v);
                if (local.containsKey(fs)) {
                    kept.put(fs, local.get(fs));
                }
            }
        });
        for (DatasetName root : stale) {
            list(zfs, root, property, listed, kept);
        }
        return new SenderListing(filter, property, roots, listed, kept, missing, refused);
    }

    /** The roots listed: no one below another. */
    public List<DatasetName> roots() {
        return roots;
    }

    /**
     * Whether this listing looked where {@code fs} would be: below a root that exists. A filesystem it covers
     * and does not list is gone from the sender; one it does not cover is in a pool that was not found (not
     * imported, when the roots are the pools) or below a named root that is {@link #missing}.
     */
    public boolean covers(DatasetName fs) {
        return roots.stream().filter(r -> !missing.contains(r)).anyMatch(fs::isSelfOrDescendantOf);
    }

    /**
     * The datasets the filter names ({@link FilesystemFilter#named()}) that the sender does not have, sorted;
     * as the first listing found them (a refresh lists only where this pass changed something).
     */
    public List<DatasetName> missing() {
        return missing;
    }

    /**
     * The filesystems the filter accepts that zfs has but zreplj refuses by name ({@code pool/-x}), sorted; as
     * the first listing found them. Not in {@link #selected}: the pass cannot send them, and must say so.
     */
    public List<RefusedName> refused() {
        return refused;
    }

    /** The filesystems the filter accepts, sorted by name. */
    public List<DatasetName> selected() {
        return selected;
    }

    /**
     * The selected filesystems on which {@code property} is set locally, with its value; empty when this
     * listing did not read that property.
     */
    public Optional<Map<DatasetName, String>> local(String property) {
        return property.equals(this.property) ? Optional.of(local) : Optional.empty();
    }

    /** Versions of each selected filesystem (createtxg order, as listed), and only of those. */
    public Map<DatasetName, List<ZfsVersion>> versions() {
        return versions;
    }
}
