package dev.zreplj.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class DurationsTest {
    @Test
    void units() {
        assertEquals(Duration.ofMillis(500), Durations.parse("500ms"));
        assertEquals(Duration.ofSeconds(30), Durations.parse("30s"));
        assertEquals(Duration.ofMinutes(10), Durations.parse("10m"));
        assertEquals(Duration.ofHours(1), Durations.parse("1h"));
        assertEquals(Duration.ofDays(1), Durations.parse("1d"));
        assertEquals(Duration.ofDays(14), Durations.parse("2w"));
        assertEquals(Duration.ofMinutes(90), Durations.parse("1h30m"));
        assertEquals(Duration.ofMinutes(10), Durations.parse(" 10m "));
        assertEquals(Duration.ZERO, Durations.parse("0s"));
    }

    @Test
    void zreplsIntervalSyntaxSpaceAndSign() {
        // zrepl internal/config/config_duration.go: ^\s*([\+-]?\d+)\s*(|s|m|h|d|w)\s*$, and a bare 0
        assertEquals(Duration.ofMinutes(10), Durations.parse("10 m"));
        assertEquals(Duration.ofMinutes(10), Durations.parse(" +10m "));
        assertEquals(Duration.ofDays(14), Durations.parse("2\tw"));
        assertEquals(Duration.ZERO, Durations.parse("0"));
    }

    @Test
    void goDurationsAsZreplsTimeoutsTakeThem() {
        // Go's time.ParseDuration (dial_timeout, retry_interval, hook timeout in zrepl): fractions, ns/us/µs
        assertEquals(Duration.ofMillis(1500), Durations.parse("1.5s"));
        assertEquals(Duration.ofMinutes(90), Durations.parse("1.5h"));
        assertEquals(Duration.ofMillis(500), Durations.parse(".5s"));
        assertEquals(Duration.ofSeconds(2), Durations.parse("2.s"));
        assertEquals(Duration.ofNanos(1_500), Durations.parse("1us500ns"));
        assertEquals(Duration.ofNanos(3_000), Durations.parse("3\u00b5s"));
        assertEquals(Duration.ofNanos(3_000), Durations.parse("3\u03bcs"));
        assertEquals(Duration.ofMillis(3_723_500), Durations.parse("1h2m3.5s"));
        assertEquals(Duration.ofNanos(1), Durations.parse("1.9ns")); // Go truncates below a nanosecond
    }

    @Test
    void rejects() {
        for (String bad : new String[] {
            "", "10", "m", "-1s", "-10m", "10y", "1h 30m", "1H", "1.5", ".s", "1..5s", "00", "+", "1 0m x"
        }) {
            assertThrows(IllegalArgumentException.class, () -> Durations.parse(bad), bad);
        }
        assertEquals(
                "duration '0m' must be greater than zero",
                assertThrows(IllegalArgumentException.class, () -> Durations.parsePositive("0m"))
                        .getMessage());
        assertEquals(
                "duration '99999999999999999999s' is too large",
                assertThrows(IllegalArgumentException.class, () -> Durations.parse("99999999999999999999s"))
                        .getMessage());
    }

    @Test
    void formatIsTheInverseOfParse() {
        for (String text : new String[] {"0s", "1s", "10m", "1h30m", "1d1h", "14d", "2d1h1m1s"}) {
            org.junit.jupiter.api.Assertions.assertEquals(text, Durations.format(Durations.parse(text)));
        }
    }
}
