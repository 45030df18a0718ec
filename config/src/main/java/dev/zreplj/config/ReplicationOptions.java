package dev.zreplj.config;

import java.time.Duration;

/**
 * @param concurrencySteps zrepl's {@code replication.concurrency.steps}
 * @param timeout          zreplj: a step without progress for this long is cancelled (watchdog)
 * @param attempts         zreplj: how often a pass tries a filesystem whose step failed for a passing
 *                         reason (link lost, box busy, stalled) before reporting it failed; 1 = no retry
 * @param retryBackoff     zreplj: the wait before the second attempt; it doubles for each further one
 */
public record ReplicationOptions(int concurrencySteps, Duration timeout, int attempts, Duration retryBackoff) {
    public static ReplicationOptions defaults() {
        return new ReplicationOptions(1, Duration.ofMinutes(10), 3, Duration.ofSeconds(10));
    }
}
