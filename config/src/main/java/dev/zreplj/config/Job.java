package dev.zreplj.config;

public sealed interface Job permits PushJob, SinkJob, SnapJob {
    String name();
}
