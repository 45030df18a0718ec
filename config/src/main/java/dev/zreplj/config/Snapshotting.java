package dev.zreplj.config;

import java.time.Duration;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * @param interval        for {@link Type#PERIODIC}
 * @param cron            for {@link Type#CRON} (five-field cron spec)
 * @param timestampFormat zrepl's: dense (default), human, iso-8601, unix-seconds, or a Go layout
 * @param timestampLocation zrepl's: UTC (default), Local or an IANA zone name (see {@link SnapshotNaming})
 * @param maxUnreplicated zreplj's backlog cap: no new snapshot while a filesystem already has this many of
 *                        the job's snapshots newer than its replication cursor
 * @param hooks           zrepl's {@code hooks}, in config order
 */
public record Snapshotting(
        Type type,
        @Nullable String prefix,
        @Nullable Duration interval,
        @Nullable String cron,
        @Nullable String timestampFormat,
        String timestampLocation,
        int maxUnreplicated,
        List<SnapshotHook> hooks) {
    /** 3.5 days of 10-minute snapshots, 8 hours of minutely ones: beyond a normal outage, long before a full pool. */
    public static final int DEFAULT_MAX_UNREPLICATED = 500;

    public enum Type {
        PERIODIC,
        CRON,
        MANUAL
    }

    public Snapshotting {
        hooks = List.copyOf(hooks);
        if (maxUnreplicated < 1) {
            throw new IllegalArgumentException("max_unreplicated must be at least 1, got " + maxUnreplicated);
        }
    }

    /** In UTC. */
    public Snapshotting(
            Type type,
            @Nullable String prefix,
            @Nullable Duration interval,
            @Nullable String cron,
            @Nullable String timestampFormat,
            int maxUnreplicated,
            List<SnapshotHook> hooks) {
        this(type, prefix, interval, cron, timestampFormat, SnapshotNaming.DEFAULT_LOCATION, maxUnreplicated, hooks);
    }

    /** In UTC, without hooks. */
    public Snapshotting(
            Type type,
            @Nullable String prefix,
            @Nullable Duration interval,
            @Nullable String cron,
            @Nullable String timestampFormat,
            int maxUnreplicated) {
        this(type, prefix, interval, cron, timestampFormat, maxUnreplicated, List.of());
    }

    /** How this job names its snapshots; manual snapshotting names none. */
    public SnapshotNaming naming() {
        if (prefix == null || timestampFormat == null) {
            throw new IllegalStateException("manual snapshotting names no snapshots");
        }
        return SnapshotNaming.of(prefix, timestampFormat, timestampLocation);
    }

    /** With the default backlog cap, without hooks. */
    public Snapshotting(
            Type type,
            @Nullable String prefix,
            @Nullable Duration interval,
            @Nullable String cron,
            @Nullable String timestampFormat) {
        this(type, prefix, interval, cron, timestampFormat, DEFAULT_MAX_UNREPLICATED);
    }
}
