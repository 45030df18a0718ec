package dev.zreplj.replication;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.OptionalDouble;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

class ProgressLineTest {
    private static final long MIB = 1L << 20;
    private static final ProgressLine.Overall PASS = new ProgressLine.Overall(
            1536 * MIB, OptionalDouble.of(80 * MIB), "job laptop: replicating 2 filesystems", 3);
    private static final ProgressLine.Send HOME = new ProgressLine.Send(
            "tank/home/alice full @zrepl_1",
            1L << 30,
            OptionalLong.of(4L << 30),
            OptionalDouble.of(100 * MIB),
            OptionalLong.of(31));
    private static final ProgressLine.Send VM = new ProgressLine.Send(
            "tank/vm/win11 @zrepl_0 -> @zrepl_1",
            512 * MIB,
            OptionalLong.empty(),
            OptionalDouble.of(20 * MIB),
            OptionalLong.empty());

    @Test
    void wideTerminalShowsThePassAndEverySendWithSizePercentRateAndEta() {
        String line = ProgressLine.render(PASS, List.of(HOME, VM), 200);
        assertEquals(
                "total 1.5 GiB, 80.0 MiB/s | tank/home/alice full @zrepl_1: 1.0 GiB of 4.0 GiB (25%),"
                        + " 100.0 MiB/s, ETA 0:31 | tank/vm/win11 @zrepl_0 -> @zrepl_1: 512.0 MiB, 20.0 MiB/s",
                line);
        assertTrue(line.length() <= 199);
    }

    @Test
    void eightyColumnsGiveUpTheOtherSendsAndTheTotalBeforeTheNumbers() {
        assertEquals(
                "tank/home...@zrepl_1: 1.0 GiB of 4.0 GiB (25%), 100.0 MiB/s, ETA 0:31 | +1 more",
                ProgressLine.render(PASS, List.of(HOME, VM), 80));
        assertEquals(
                "total 1.5 GiB, 80.0 MiB/s | tank/home/alice full @zrepl_1: 1.0 GiB of 4.0 GiB (25%),"
                        + " 100.0 MiB/s, ETA 0:31 | +1 more",
                ProgressLine.render(PASS, List.of(HOME, VM), 120));
    }

    /** docs/cli.md: the other sends give way first, then the total, then the middle of the name. */
    @Test
    void theTotalGivesWayBeforeTheNameIsShortened() {
        assertEquals(
                "tank/home/alice full @zrepl_1: 1.0 GiB of 4.0 GiB (25%), 100.0 MiB/s, ETA 0:31 | +1 more",
                ProgressLine.render(PASS, List.of(HOME, VM), 112));
        assertEquals(
                "tank/home/alice full @zrepl_1: 1.0 GiB of 4.0 GiB (25%), 100.0 MiB/s, ETA 0:31",
                ProgressLine.render(PASS, List.of(HOME), 100));
    }

    @Test
    void fortyColumnsKeepPercentRateAndEtaAndShortenTheNameInItsMiddle() {
        assertEquals("tank/...epl_1: 25% 100.0 MiB/s ETA 0:31", ProgressLine.render(PASS, List.of(HOME, VM), 40));
    }

    @Test
    void aTerminalTooNarrowForAnyNameIsCutNeverWrapped() {
        String line = ProgressLine.render(PASS, List.of(HOME), 20);
        assertEquals("tank/home/alice ful", line);
    }

    @Test
    void unknownSizeShowsBytesAndRateButNoPercentOrEta() {
        assertEquals(
                "total 512.0 MiB, 80.0 MiB/s | tank/vm/win11 @zrepl_0 -> @zrepl_1: 512.0 MiB, 20.0 MiB/s",
                ProgressLine.render(
                        new ProgressLine.Overall(512 * MIB, OptionalDouble.of(80 * MIB), null, 0), List.of(VM), 120));
        assertEquals("tank/vm...repl_1: 512.0 MiB, 20.0 MiB/s", ProgressLine.render(PASS, List.of(VM), 40));
    }

    @Test
    void beforeAnyByteThePhaseWithItsSeconds() {
        assertEquals(
                "job laptop: connecting to root@box:22 (7 s)",
                ProgressLine.render(
                        new ProgressLine.Overall(0, OptionalDouble.empty(), "job laptop: connecting to root@box:22", 7),
                        List.of(),
                        80));
        assertEquals(
                "job laptop: replicating 2 filesystems (3 s) | total 1.5 GiB, 80.0 MiB/s",
                ProgressLine.render(PASS, List.of(), 80));
        assertEquals("job la...ystems (3 s) | total 1.5 GiB, 80.0 MiB/s", ProgressLine.render(PASS, List.of(), 50));
    }

    @Test
    void percentStaysBelowHundredUntilTheEstimateIsReachedAndZeroTotalShowsNone() {
        assertEquals("1023 B of 1.0 KiB (99%)", ProgressLine.full(send(1023, OptionalLong.of(1024))));
        assertEquals("2.0 KiB of 1.0 KiB (100%)", ProgressLine.full(send(2048, OptionalLong.of(1024))));
        assertEquals("0 B", ProgressLine.full(send(0, OptionalLong.of(0))));
    }

    @Test
    void elisionKeepsBothEnds() {
        assertEquals("pool/...leaf", ProgressLine.elide("pool/a/very/deep/leaf", 12));
        assertEquals("short", ProgressLine.elide("short", 12));
    }

    @Test
    void durations() {
        assertEquals("0:00", ProgressLine.duration(0));
        assertEquals("0:59", ProgressLine.duration(59));
        assertEquals("1:00", ProgressLine.duration(60));
        assertEquals("59:59", ProgressLine.duration(3599));
        assertEquals("1:00:00", ProgressLine.duration(3600));
        assertEquals("26:03:07", ProgressLine.duration(26 * 3600 + 187));
    }

    private static ProgressLine.Send send(long sent, OptionalLong total) {
        return new ProgressLine.Send("x", sent, total, OptionalDouble.empty(), OptionalLong.empty());
    }
}
