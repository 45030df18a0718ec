package dev.zreplj.status;

import java.util.List;

/**
 * What a push job's filter selects on this machine now, for {@code status} to check that each of those
 * filesystems has a record: the status file says only what the passes saw, and an {@code agent run} started
 * before the filter changed never sees the filesystems the change added.
 *
 * @param filesystems the selected filesystems' names
 * @param unreadable why zfs could not be listed, or null
 */
public record SenderSelection(List<String> filesystems, String unreadable) {
    public SenderSelection {
        filesystems = List.copyOf(filesystems);
    }

    public static SenderSelection unreadable(String why) {
        return new SenderSelection(List.of(), why);
    }
}
