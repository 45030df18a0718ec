package dev.zreplj.protocol;

import java.util.List;

/**
 * A filesystem in the client's jail as LIST_DETAILED carries it: {@link RemoteFilesystem}'s fields, its
 * {@code used} and {@code referenced} bytes (null when zfs did not report them, e.g. it was created meanwhile)
 * and its {@code encryption} property (null where the box's zfs has no encryption, as zfs-fuse).
 */
public record DetailedFilesystem(
        String path,
        boolean placeholder,
        List<DetailedVersion> versions,
        String resumeToken,
        Long used,
        Long referenced,
        String encryption) {
    public DetailedFilesystem {
        versions = List.copyOf(versions);
    }
}
