package dev.zreplj.zfs;

import java.util.Collection;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * What {@link Zfs#listVersions(DatasetName, String, boolean)} returns: the versions below a root, one property's
 * value per filesystem (only where it is set locally, when that was asked), and the filesystems below the root
 * that zfs listed but zreplj refuses by name, which the versions leave out.
 */
public record VersionListing(
        Map<DatasetName, List<ZfsVersion>> versions, Map<DatasetName, String> values, List<RefusedName> refused) {
    public VersionListing {
        // Sorted by name, as the listings are.
        versions = Collections.unmodifiableMap(new TreeMap<>(versions));
        values = Collections.unmodifiableMap(new TreeMap<>(values));
        refused = filesystems(refused);
    }

    /** One entry per refused filesystem, sorted by name: a listing reports it again for each of its snapshots. */
    private static List<RefusedName> filesystems(Collection<RefusedName> refused) {
        Map<String, RefusedName> byName = new TreeMap<>();
        refused.stream().filter(RefusedName::isFilesystem).forEach(r -> byName.putIfAbsent(r.name(), r));
        return List.copyOf(byName.values());
    }
}
