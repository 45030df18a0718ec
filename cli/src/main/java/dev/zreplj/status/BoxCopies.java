package dev.zreplj.status;

import java.util.Map;
import java.util.Set;

/**
 * What the box's zfs holds of one client, for {@code status} to check that each snapshot the client's status
 * file records as received is still there: a file alone says OK about a copy destroyed since.
 *
 * @param guids per filesystem path inside the client's jail, the guids of its snapshots
 * @param unreadable why zfs could not be listed, or null
 */
public record BoxCopies(Map<String, Set<String>> guids, String unreadable) {
    public BoxCopies {
        guids = Map.copyOf(guids);
    }

    public static BoxCopies unreadable(String why) {
        return new BoxCopies(Map.of(), why);
    }

    boolean holds(String path, String guid) {
        return guids.getOrDefault(path, Set.of()).contains(guid);
    }
}
