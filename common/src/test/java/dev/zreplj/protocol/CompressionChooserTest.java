package dev.zreplj.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The AUTO chooser against simulated links: each way's rate is given, the chooser only sees the times. */
class CompressionChooserTest {
    private static final long MIB = 1 << 20;

    /** Sends {@code chunks} 1 MiB chunks at these rates (stream bytes per second); returns the ways taken. */
    private static List<Boolean> send(CompressionChooser c, int chunks, double zstdRate, double plainRate) {
        List<Boolean> ways = new ArrayList<>();
        for (int i = 0; i < chunks; i++) {
            boolean zstd = c.zstd();
            ways.add(zstd);
            c.chunk(MIB, (long) (MIB * 1e9 / (zstd ? zstdRate : plainRate)));
        }
        return ways;
    }

    private static long zstdChunks(List<Boolean> ways) {
        return ways.stream().filter(w -> w).count();
    }

    @Test
    void aLinkThatIsTheBottleneckGetsZstdAndKeepsIt() {
        // 100 Mbit/s: 12 MB/s plain, text shrinks 4x and zstd keeps up.
        CompressionChooser c = new CompressionChooser();
        List<Boolean> ways = send(c, 1024, 48e6, 12e6);
        assertTrue(c.zstd());
        assertEquals(48e6, c.zstdRate(), 1e6);
        assertEquals(12e6, c.plainRate(), 1e6);
        // A 1 GiB stream spends only its measuring windows plain: the first and two probes, each 0.5 s (6 MiB).
        long plain = ways.size() - zstdChunks(ways);
        assertEquals(3 * 6, plain);
    }

    @Test
    void aCpuBoundSenderGoesPlainAfterItsFirstThreeWindows() {
        // Loopback: compressing text costs more than the link saves (measured 0.46x vs 0.6x the plain pipe).
        CompressionChooser c = new CompressionChooser();
        List<Boolean> ways = send(c, 1024, 120e6, 170e6);
        assertFalse(c.zstd());
        // Warm-up and the zstd window: each at least 0.5 s, at 120 MB/s 58 chunks each, 116 in all.
        int firstPlain = ways.indexOf(false);
        assertEquals(116, firstPlain);
        // Then plain, but for probes of zstd whose stays double: 8, 16, 32, ... windows.
        long zstdAfter = zstdChunks(ways.subList(firstPlain, ways.size()));
        assertTrue(zstdAfter <= 3 * 58, "zstd chunks after the choice: " + zstdAfter);
    }

    @Test
    void equalRatesOrZstdBarelyFasterGoPlainToSaveTheCpu() {
        CompressionChooser equal = new CompressionChooser();
        send(equal, 400, 100e6, 100e6);
        assertFalse(equal.zstd());
        CompressionChooser barely = new CompressionChooser();
        send(barely, 400, 108e6, 100e6);
        assertFalse(barely.zstd());
        CompressionChooser clearly = new CompressionChooser();
        send(clearly, 400, 115e6, 100e6);
        assertTrue(clearly.zstd());
    }

    @Test
    void aSlowZfsSendMakesBothWaysEqualAndThePlainWayWins() {
        // The time includes reading from zfs send: at 20 MB/s from zfs both ways take the same.
        CompressionChooser c = new CompressionChooser();
        send(c, 200, 20e6, 20e6);
        assertFalse(c.zstd());
    }

    @Test
    void aChangedLinkIsFollowedAtTheNextProbe() {
        CompressionChooser c = new CompressionChooser();
        send(c, 300, 48e6, 12e6);
        assertTrue(c.zstd());
        // The link gets fast and the CPU becomes the limit: plain is now faster.
        List<Boolean> ways = send(c, 2000, 120e6, 170e6);
        assertFalse(c.zstd());
        int lastZstd = ways.lastIndexOf(true);
        // The current stay (at most a few doubled windows) ends, the probe sees plain faster, and it switches.
        assertTrue(lastZstd < 40 * 58, "still zstd at chunk " + lastZstd);
        // And back when the link slows down again.
        send(c, 3000, 48e6, 12e6);
        assertTrue(c.zstd());
    }

    @Test
    void aWindowNeedsBothItsBytesAndItsTime() {
        CompressionChooser c = new CompressionChooser();
        // 1000 MiB at 10 GB/s: 0.1 s, far less than a window's 0.5 s, so no window ends: still warming up.
        send(c, 1000, 10e9, 1e9);
        assertTrue(Double.isNaN(c.zstdRate()));
        assertTrue(c.zstd());
        // 3 MiB over 3 s: not a window's 4 MiB either.
        CompressionChooser slow = new CompressionChooser();
        send(slow, 3, 1e6, 1e6);
        assertTrue(Double.isNaN(slow.zstdRate()));
    }

    @Test
    void aNegativeTimeCountsAsNone() {
        CompressionChooser c = new CompressionChooser();
        for (int i = 0; i < 100; i++) {
            c.chunk(MIB, -1_000_000_000L);
        }
        assertTrue(Double.isNaN(c.zstdRate()));
        assertTrue(c.zstd());
    }
}
