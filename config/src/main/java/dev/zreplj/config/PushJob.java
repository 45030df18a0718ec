package dev.zreplj.config;

public record PushJob(
        String name,
        Connect connect,
        FilesystemFilter filesystems,
        Snapshotting snapshotting,
        SendOptions send,
        ReplicationOptions replication,
        ConflictResolution conflictResolution,
        Pruning pruning)
        implements Job {}
