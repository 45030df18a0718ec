package dev.zreplj.zfs;

import java.util.List;
import java.util.Map;

/**
 * What {@link SourceZfs#listVersions(DatasetName, String)} returns: the versions below a root, and the
 * filesystems on which one property is set locally, with its value.
 */
public record VersionListing(Map<DatasetName, List<ZfsVersion>> versions, Map<DatasetName, String> local) {
    public VersionListing {
        versions = Map.copyOf(versions);
        local = Map.copyOf(local);
    }
}
