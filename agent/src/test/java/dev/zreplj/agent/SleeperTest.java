package dev.zreplj.agent;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class SleeperTest {
    @Test
    void theRealSleeperNeverWaitsLessThanAsked() throws InterruptedException {
        // Thread.sleep(d.toMillis()) waited 1 ms here for 1.999 ms asked, and a pass woke before the second it
        // waited for.
        Duration asked = Duration.ofNanos(1_999_000);
        for (int i = 0; i < 20; i++) {
            long start = System.nanoTime();
            Sleeper.REAL.sleep(asked);
            long waited = System.nanoTime() - start;
            assertTrue(waited >= asked.toNanos(), () -> "waited " + waited + " ns for " + asked.toNanos() + " asked");
        }
    }
}
