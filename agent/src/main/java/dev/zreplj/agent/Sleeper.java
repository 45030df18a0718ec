package dev.zreplj.agent;

import java.time.Duration;

/** Waits between attempts; tests pass one that records the wait and returns at once. */
@FunctionalInterface
public interface Sleeper {
    /**
     * Waits at least the duration: Thread.sleep counts whole milliseconds, and a wait cut to the millisecond below
     * woke a pass just before the second it waited for (the same snapshot name again, refused by zfs).
     */
    Sleeper REAL = d -> {
        long millis = d.toMillis();
        Thread.sleep(d.equals(Duration.ofMillis(millis)) ? millis : millis + 1);
    };

    void sleep(Duration duration) throws InterruptedException;
}
