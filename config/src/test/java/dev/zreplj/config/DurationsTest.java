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
    void rejects() {
        for (String bad : new String[] {"", "10", "m", "10 m", "1.5h", "-1s", "10y", "1h 30m", "1H"}) {
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
