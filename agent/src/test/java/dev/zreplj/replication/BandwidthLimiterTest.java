package dev.zreplj.replication;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.zreplj.config.BandwidthLimit;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Only lower bounds on time: a loaded machine makes reading slower, never faster (bench/bandwidth-limit measures). */
class BandwidthLimiterTest {
    private static byte[] random(int n) {
        byte[] b = new byte[n];
        new Random(1).nextBytes(b);
        return b;
    }

    @Test
    void unlimitedIsTheStreamItself() {
        InputStream in = new ByteArrayInputStream(new byte[1]);
        assertSame(in, BandwidthLimiter.of(BandwidthLimit.unlimited()).wrap(in));
    }

    @Test
    void aLimitedStreamDeliversEveryByteNoFasterThanTheRateAfterTheFirstBucket() throws Exception {
        byte[] data = random(96 * 1024);
        // 32 KiB/s with an 8 KiB bucket: the first 8 KiB are free, the other 88 KiB take 2.75 s
        BandwidthLimiter limiter = BandwidthLimiter.of(new BandwidthLimit(32 * 1024, 8 * 1024));
        long start = System.nanoTime();
        byte[] got = limiter.wrap(new ByteArrayInputStream(data)).readAllBytes();
        double seconds = (System.nanoTime() - start) / 1e9;
        assertArrayEquals(data, got);
        assertTrue(seconds >= 2.6, "96 KiB at 32 KiB/s with an 8 KiB bucket took only " + seconds + " s");
    }

    @Test
    void streamsOfOneJobShareTheBucket() throws Exception {
        BandwidthLimiter limiter = BandwidthLimiter.of(new BandwidthLimit(32 * 1024, 4 * 1024));
        byte[] data = random(36 * 1024);
        long start = System.nanoTime();
        Thread other = new Thread(() -> {
            try {
                limiter.wrap(new ByteArrayInputStream(data)).readAllBytes();
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        other.start();
        limiter.wrap(new ByteArrayInputStream(data)).readAllBytes();
        other.join();
        double seconds = (System.nanoTime() - start) / 1e9;
        // 72 KiB in all, 4 KiB free: 68 KiB at 32 KiB/s, about 2.1 s; two separate buckets would take 1 s
        assertTrue(seconds >= 2.0, "two streams of 36 KiB took " + seconds + " s");
    }

    @Test
    void singleByteReadsAreLimitedToo() throws Exception {
        BandwidthLimiter limiter = BandwidthLimiter.of(new BandwidthLimit(1000, 1));
        InputStream in = limiter.wrap(new ByteArrayInputStream(random(400)));
        long start = System.nanoTime();
        int n = 0;
        while (in.read() >= 0) {
            n++;
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        assertTrue(n == 400 && seconds >= 0.35, n + " bytes in " + seconds + " s at 1000 B/s");
    }
}
