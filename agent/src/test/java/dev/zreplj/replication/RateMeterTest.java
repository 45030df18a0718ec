package dev.zreplj.replication;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

class RateMeterTest {
    private static final long S = 1_000_000_000L;

    @Test
    void noRateBeforeHalfASecondOfHistory() {
        RateMeter m = new RateMeter();
        assertTrue(m.bytesPerSecond().isEmpty());
        m.sample(0, 0);
        m.sample(S / 4, 1_000_000);
        assertTrue(m.bytesPerSecond().isEmpty());
        assertEquals(OptionalLong.empty(), m.secondsLeft(10_000_000));
        m.sample(S / 2, 2_000_000);
        assertEquals(4_000_000.0, m.bytesPerSecond().getAsDouble(), 1e-6);
    }

    @Test
    void steadyRateGivesExactEtaRoundedUp() {
        RateMeter m = new RateMeter();
        for (int i = 0; i <= 10; i++) {
            m.sample(i * S, i * 100_000_000L);
        }
        assertEquals(100_000_000.0, m.bytesPerSecond().getAsDouble(), 1e-6);
        assertEquals(OptionalLong.of(30), m.secondsLeft(4_000_000_000L));
        assertEquals(OptionalLong.of(1), m.secondsLeft(1_000_000_001L));
        assertEquals(OptionalLong.of(0), m.secondsLeft(1_000_000_000L));
    }

    @Test
    void rateFollowsTheLastFiveSecondsNotTheLifetimeAverage() {
        RateMeter m = new RateMeter();
        long bytes = 0;
        for (int i = 0; i <= 20; i++) {
            m.sample(i * S, bytes);
            bytes += 100_000_000L;
        }
        // then a stall: nothing for six seconds
        for (int i = 21; i <= 26; i++) {
            m.sample(i * S, bytes - 100_000_000L);
        }
        assertEquals(0.0, m.bytesPerSecond().getAsDouble(), 1e-6);
        assertEquals(OptionalLong.empty(), m.secondsLeft(bytes * 2));
    }

    @Test
    void windowKeepsOneSampleBeforeItsStart() {
        RateMeter m = new RateMeter();
        m.sample(0, 0);
        m.sample(3 * S, 300);
        m.sample(7 * S, 700);
        // 0 s is older than 7-5 s but 3 s is not: rate over 3..7 s
        assertEquals(100.0, m.bytesPerSecond().getAsDouble(), 1e-9);
        m.sample(9 * S, 1100);
        // now 3 s is at/before the window start 4 s, and 7 s is not: window 3..9
        assertEquals(800.0 / 6, m.bytesPerSecond().getAsDouble(), 1e-9);
    }

    @Test
    void noEtaOncePastAnUnderestimatedTotal() {
        RateMeter m = new RateMeter();
        m.sample(0, 0);
        m.sample(S, 500);
        assertEquals(OptionalLong.empty(), m.secondsLeft(400));
    }
}
