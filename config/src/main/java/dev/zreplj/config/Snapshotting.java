package dev.zreplj.config;

import java.time.Duration;

/**
 * @param interval        for {@link Type#PERIODIC}
 * @param cron            for {@link Type#CRON} (five-field cron spec)
 * @param timestampFormat zrepl's: dense (default), human, iso-8601, unix-seconds, or a Go layout
 */
public record Snapshotting(Type type, String prefix, Duration interval, String cron, String timestampFormat) {
    public enum Type { PERIODIC, CRON, MANUAL }
}
