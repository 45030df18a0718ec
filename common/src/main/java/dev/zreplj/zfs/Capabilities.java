package dev.zreplj.zfs;

import java.util.ArrayList;
import java.util.List;

/**
 * What the local zfs can do, probed once per process. Features a caller needs but the zfs lacks are
 * reported through {@link #missing()} so the user reads one clear sentence instead of a zfs usage dump.
 */
public record Capabilities(String version, boolean bookmarks, boolean holdsListing, boolean resumableReceive,
                           boolean parsableList, boolean recvNoMount, boolean rawSend) {

    public List<String> missing() {
        List<String> out = new ArrayList<>();
        if (!bookmarks) out.add("bookmarks (replication cursors fall back to holds)");
        if (!holdsListing) out.add("'zfs holds' listing");
        if (!resumableReceive) out.add("resumable receive (an interrupted step restarts from its beginning)");
        if (!parsableList) out.add("'zfs list -p' (falls back to 'zfs get -Hp')");
        if (!recvNoMount) out.add("'zfs recv -u' (received filesystems are kept unmounted with canmount=off)");
        if (!rawSend) out.add("raw send of encrypted datasets");
        return out;
    }
}
