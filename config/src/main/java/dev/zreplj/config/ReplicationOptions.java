package dev.zreplj.config;

import java.time.Duration;

/**
 * @param concurrencySteps zrepl's {@code replication.concurrency.steps}
 * @param timeout          zreplj: a step without progress for this long is cancelled (watchdog)
 */
public record ReplicationOptions(int concurrencySteps, Duration timeout) {
    public static ReplicationOptions defaults() {
        return new ReplicationOptions(1, Duration.ofMinutes(10));
    }
}
