package dev.zreplj.restore;

import dev.zreplj.zfs.ZfsVersion;
import java.util.List;

/**
 * A local dataset a restore would receive into, as it stands.
 *
 * @param exists      whether it exists
 * @param versions    its snapshots and bookmarks, oldest first
 * @param resumeToken the token of a partial receive into it (an interrupted restore), null for none
 */
public record LocalTarget(boolean exists, List<ZfsVersion> versions, String resumeToken) {
    public LocalTarget {
        versions = List.copyOf(versions);
    }

    public static LocalTarget absent() {
        return new LocalTarget(false, List.of(), null);
    }
}
