package dev.zreplj.zfs;

import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * What {@link Zfs#listVersions(DatasetName, String, boolean)} returns: the versions below a root, and one
 * property's value per filesystem (only where it is set locally, when that was asked).
 */
public record VersionListing(Map<DatasetName, List<ZfsVersion>> versions, Map<DatasetName, String> values) {
    public VersionListing {
        // Sorted by name, as the listings are.
        versions = Collections.unmodifiableMap(new TreeMap<>(versions));
        values = Collections.unmodifiableMap(new TreeMap<>(values));
    }
}
