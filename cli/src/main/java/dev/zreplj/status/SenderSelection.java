package dev.zreplj.status;

import java.util.List;
import java.util.Map;

/**
 * What a push job's filter selects on this machine now, for {@code status} to check that each of those
 * filesystems has a record: the status file says only what the passes saw, and an {@code agent run} started
 * before the filter changed never sees the filesystems the change added.
 *
 * @param filesystems the selected filesystems' names
 * @param unreadable why zfs could not be listed, or null
 * @param refused selected names zreplj refuses ({@code tank/-old}), with why: no pass can ever back them up
 * @param missing datasets the filter names with {@code true} that the sender does not have (a pool not imported,
 *                a dataset renamed or destroyed)
 */
public record SenderSelection(
        List<String> filesystems, String unreadable, Map<String, String> refused, List<String> missing) {
    public SenderSelection {
        filesystems = List.copyOf(filesystems);
        refused = Map.copyOf(refused);
        missing = List.copyOf(missing);
    }

    public SenderSelection(List<String> filesystems, String unreadable, Map<String, String> refused) {
        this(filesystems, unreadable, refused, List.of());
    }

    public SenderSelection(List<String> filesystems, String unreadable) {
        this(filesystems, unreadable, Map.of());
    }

    public static SenderSelection unreadable(String why) {
        return new SenderSelection(List.of(), why);
    }
}
