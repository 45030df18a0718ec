package dev.zreplj.pruning;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.zreplj.pruning.KeepRule.GridInterval;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class GridSpecTest {
    private static final int ALL = GridInterval.KEEP_ALL;

    private static List<GridInterval> times(int n, Duration d, int keep) {
        return Collections.nCopies(n, new GridInterval(d, keep));
    }

    @Test
    void parsesZreplsDocumentedExample() {
        List<GridInterval> expected = new ArrayList<>();
        expected.addAll(times(1, Duration.ofHours(1), ALL));
        expected.addAll(times(24, Duration.ofHours(1), 1));
        expected.addAll(times(14, Duration.ofDays(1), 1));
        assertEquals(expected, GridSpec.parse("1x1h(keep=all) | 24x1h | 14x1d"));
    }

    @ParameterizedTest
    @CsvSource(
            delimiter = ';',
            value = {
                "1x5s; 5",
                "1x5m; 300",
                "1x5h; 18000",
                "1x5d; 432000",
                "1x2w; 1209600",
                "1 x 3 h; 10800",
            })
    void acceptsZreplsUnits(String spec, long seconds) {
        assertEquals(List.of(new GridInterval(Duration.ofSeconds(seconds), 1)), GridSpec.parse(spec));
    }

    @Test
    void toleratesWhitespaceEverywhere() {
        assertEquals(
                List.of(
                        new GridInterval(Duration.ofHours(1), ALL),
                        new GridInterval(Duration.ofDays(1), 3),
                        new GridInterval(Duration.ofDays(1), 3)),
                GridSpec.parse("  1 x 1h ( keep = all )|2x 1d (keep=3)  "));
    }

    @Test
    void keepCountsAndAll() {
        assertEquals(List.of(new GridInterval(Duration.ofMinutes(10), 7)), GridSpec.parse("1x10m(keep=7)"));
        assertEquals(List.of(new GridInterval(Duration.ofMinutes(10), ALL)), GridSpec.parse("1x10m(keep=all)"));
    }

    @Test
    void shorterIntervalsAfterKeepAllOnlyAreAccepted() {
        assertEquals(
                List.of(new GridInterval(Duration.ofHours(2), ALL), new GridInterval(Duration.ofMinutes(10), 1)),
                GridSpec.parse("1x2h(keep=all) | 1x10m"));
    }

    @Test
    void zreplsOwnSpellingsAreAccepted() {
        // zrepl's retentiongrid: keep=-1 is RetentionGridKeepCountAll; strconv takes '+' before numbers
        assertEquals(
                GridSpec.parse("1x1h(keep=all) | 24x1h | 14x1d"), GridSpec.parse("1x1h(keep=-1) | 24x+1h | 14x+1d"));
        assertEquals(times(2, Duration.ofHours(2), 3), GridSpec.parse("2x+2h(keep=+3)"));
        assertEquals(times(1, Duration.ofMinutes(5), 1), GridSpec.parse("1x+5 m"));
    }

    @Test
    void equalLengthsAreAccepted() {
        assertEquals(times(3, Duration.ofHours(1), 1), GridSpec.parse("1x1h | 2x60m"));
    }

    @ParameterizedTest
    @CsvSource(
            delimiterString = " => ",
            value = {
                "24y1h => grid interval '24y1h': expected COUNTxDURATION with optional (keep=N) or (keep=all), e.g. 24x1h or 1x1h(keep=all)",
                "1x1h | 24y1h | 14x1d => grid interval '24y1h': expected COUNTxDURATION with optional (keep=N) or (keep=all), e.g. 24x1h or 1x1h(keep=all)",
                "1x1h || 1x1d => grid interval '': expected COUNTxDURATION with optional (keep=N) or (keep=all), e.g. 24x1h or 1x1h(keep=all)",
                "1x1h | => grid interval '': expected COUNTxDURATION with optional (keep=N) or (keep=all), e.g. 24x1h or 1x1h(keep=all)",
                "1X1h => grid interval '1X1h': expected COUNTxDURATION with optional (keep=N) or (keep=all), e.g. 24x1h or 1x1h(keep=all)",
                "-1x1h => grid interval '-1x1h': expected COUNTxDURATION with optional (keep=N) or (keep=all), e.g. 24x1h or 1x1h(keep=all)",
                "0x1h => grid interval '0x1h': repeat count must be positive",
                "24x1y => grid interval '24x1y': duration '1y' must be a whole number with unit s, m, h, d or w, e.g. 1h",
                "24x1H => grid interval '24x1H': duration '1H' must be a whole number with unit s, m, h, d or w, e.g. 1h",
                "24xh => grid interval '24xh': duration 'h' must be a whole number with unit s, m, h, d or w, e.g. 1h",
                "1x1.5h => grid interval '1x1.5h': duration '1.5h' must be a whole number with unit s, m, h, d or w, e.g. 1h",
                "1x(keep=all) => grid interval '1x(keep=all)': duration '' must be a whole number with unit s, m, h, d or w, e.g. 1h",
                "1x0h => grid interval '1x0h': duration '0h' must be positive",
                "1x1h(keep=0) => grid interval '1x1h(keep=0)': keep must be a positive number, 'all' or -1, got '0'",
                "1x1h(keep=+0) => grid interval '1x1h(keep=+0)': keep must be a positive number, 'all' or -1, got '+0'",
                "1x1h(keep=+) => grid interval '1x1h(keep=+)': keep must be a positive number, 'all' or -1, got '+'",
                "1x1h(keep=-2) => grid interval '1x1h(keep=-2)': keep must be a positive number, 'all' or -1, got '-2'",
                "1x1h(keep=ALL) => grid interval '1x1h(keep=ALL)': keep must be a positive number, 'all' or -1, got 'ALL'",
                "1x1h(keep=99999999999) => grid interval '1x1h(keep=99999999999)': keep must be a positive number, 'all' or -1, got '99999999999'",
                "1x-1h => grid interval '1x-1h': duration '-1h' must be a whole number with unit s, m, h, d or w, e.g. 1h",
                "1x1h(count=2) => grid interval '1x1h(count=2)': unknown parameter 'count=2'; only keep=N or keep=all",
                "1x1h() => grid interval '1x1h()': unknown parameter ''; only keep=N or keep=all",
                "1x1d | 1x1h => grid interval '1x1h': interval length 1h is shorter than the one before it (1d); lengths must not decrease",
                "1x1h(keep=all) | 1x1d | 1x1h => grid interval '1x1h': interval length 1h is shorter than the one before it (1d); lengths must not decrease",
                "99999999999999999999x1h => grid interval '99999999999999999999x1h': repeat count '99999999999999999999' is too large",
                "100001x1s => grid interval '100001x1s': the grid would have more than 100000 intervals; use longer ones",
                "1x15251w => grid interval '1x15251w': duration '15251w' is longer than the 292 years zrepl allows",
            })
    void rejectsWithMessageNamingTheBadPart(String spec, String message) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> GridSpec.parse(spec));
        assertEquals(message, e.getMessage());
    }

    @Test
    void rejectsEmptySpec() {
        for (String spec : new String[] {"", "   ", null}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> GridSpec.parse(spec));
            assertEquals("grid is empty; expected intervals like 1x1h(keep=all) | 24x1h | 14x1d", e.getMessage());
        }
    }

    @Test
    void maximumIntervalCountIsAccepted() {
        assertEquals(
                GridSpec.MAX_INTERVALS, GridSpec.parse("50000x1s | 50000x1s").size());
    }

    @Test
    void longestIntervalIsAccepted() {
        assertEquals(List.of(new GridInterval(Duration.ofDays(7 * 15250L), 1)), GridSpec.parse("1x15250w"));
    }
}
