package dev.zreplj.agent;

import java.time.Duration;

/** Waits between attempts; tests pass one that records the wait and returns at once. */
@FunctionalInterface
public interface Sleeper {
    Sleeper REAL = d -> Thread.sleep(d.toMillis());

    void sleep(Duration duration) throws InterruptedException;
}
