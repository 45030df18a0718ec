package dev.zreplj.protocol;

import dev.zreplj.zfs.VersionType;

/**
 * A snapshot or bookmark as LIST_DETAILED carries it: {@link RemoteVersion}'s fields and the bytes only this
 * snapshot holds ({@code used}; null for a bookmark, or when zfs did not report it).
 */
public record DetailedVersion(String name, VersionType type, long guid, long createtxg, long creation, Long used) {}
