package dev.zreplj.protocol;

import dev.zreplj.zfs.VersionType;

/** A snapshot or bookmark on the receiver as the protocol carries it; creation in unix seconds. */
public record RemoteVersion(String name, VersionType type, long guid, long createtxg, long creation) {}
