package dev.zreplj.status;

import java.util.Map;
import java.util.Set;

/**
 * What the box's zfs holds of one client, for {@code status} to check that each snapshot the client's status
 * file records as received is still there: a file alone says OK about a copy destroyed since.
 *
 * @param guids per filesystem path inside the client's jail, the guids of its snapshots
 * @param unreadable why zfs could not be listed, or null
 * @param gone       why none of the client's copies is where the box serves them (its sink's root_fs is not
 *                   there), or null
 */
public record BoxCopies(Map<String, Set<String>> guids, String unreadable, String gone) {
    public BoxCopies {
        guids = Map.copyOf(guids);
    }

    public BoxCopies(Map<String, Set<String>> guids, String unreadable) {
        this(guids, unreadable, null);
    }

    /** The sink's root_fs is missing: every copy of the client is gone from where the box keeps and serves it. */
    public static BoxCopies gone(String why) {
        return new BoxCopies(Map.of(), null, why);
    }

    public static BoxCopies unreadable(String why) {
        return new BoxCopies(Map.of(), why);
    }

    boolean holds(String path, String guid) {
        return guids.getOrDefault(path, Set.of()).contains(guid);
    }
}
