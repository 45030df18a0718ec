package dev.zreplj.config;

import java.time.Duration;

/**
 * {@code global.zreplj.status}: how old a last success (agent) or last receive (box) may get before
 * {@code zreplj status} says WARNING, then CRITICAL. The defaults suit a daily timer, the slowest
 * schedule the docs propose: one missed run plus an hour of slack warns, a second missed run is critical.
 */
public record StatusThresholds(Duration warn, Duration crit) {
    public static final StatusThresholds DEFAULTS = new StatusThresholds(Duration.ofHours(25), Duration.ofHours(49));

    public StatusThresholds {
        if (warn.isNegative() || warn.isZero() || crit.compareTo(warn) < 0) {
            throw new IllegalArgumentException("the warning age must be positive and not above the critical age"
                    + " (warn " + Durations.format(warn) + ", crit " + Durations.format(crit) + ")");
        }
    }
}
