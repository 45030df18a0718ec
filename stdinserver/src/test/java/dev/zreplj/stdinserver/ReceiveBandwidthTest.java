package dev.zreplj.stdinserver;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import dev.zreplj.config.BandwidthLimit;
import io.github.bucket4j.BlockingStrategy;
import io.github.bucket4j.TimeMeter;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The bucket's arithmetic on a clock that moves only when a writer waits or the test says so. */
class ReceiveBandwidthTest {
    private static final long MS = 1_000_000;
    private static final BandwidthLimit LIMIT = new BandwidthLimit(1000, 100);

    @TempDir
    Path dir;

    private static final class FakeTime implements TimeMeter, BlockingStrategy {
        final AtomicLong nanos = new AtomicLong(1_000_000 * MS);
        final long start = nanos.get();

        @Override
        public long currentTimeNanos() {
            return nanos.get();
        }

        @Override
        public boolean isWallClockBased() {
            return false;
        }

        @Override
        public void park(long waitNanos) {
            nanos.addAndGet(waitNanos);
        }

        long ms() {
            return (nanos.get() - start) / MS;
        }
    }

    /** What one stdinserver process has: its own store on the job's file. */
    private ReceiveBandwidth process(FakeTime t, BandwidthLimit limit) {
        return ReceiveBandwidth.of(limit, new FileBuckets(t), ReceiveBandwidth.file(dir, "box", limit), t);
    }

    @Test
    void writesArePaidAtTheRateAfterTheFirstBucketInPiecesNoLargerThanIt() throws Exception {
        FakeTime t = new FakeTime();
        ByteArrayOutputStream sink = new ByteArrayOutputStream();
        OutputStream out = process(t, LIMIT).wrap(sink);
        byte[] data = new byte[400];
        for (int i = 0; i < data.length; i++) {
            data[i] = (byte) i;
        }
        out.write(data, 0, 100);
        assertEquals(0, t.ms(), "the first bucket is free");
        out.write(data, 100, 300);
        out.write(7);
        assertEquals(301, t.ms());
        byte[] expected = java.util.Arrays.copyOf(data, 401);
        expected[400] = 7;
        assertArrayEquals(expected, sink.toByteArray());
    }

    /** zrepl takes any {@code max}; Bucket4j refills at most a token a nanosecond, so a token is worth more bytes. */
    @Test
    void aLimitAboveOneGigabytePerSecondIsPacedToo() throws Exception {
        FakeTime t = new FakeTime();
        // 3 GB/s, a 3 MB bucket: 1 ms of it free, then 1 ms per 3 MB; before, ReceiveBandwidth.of threw
        OutputStream out =
                process(t, new BandwidthLimit(3_000_000_000L, 3_000_000)).wrap(OutputStream.nullOutputStream());
        byte[] piece = new byte[60_000];
        for (int written = 0; written < 12_000_000; written += piece.length) {
            out.write(piece);
        }
        assertEquals(3, t.ms(), "12 MB at 3 GB/s with 3 MB free");
    }

    @Test
    void allProcessesOfTheJobTakeFromOneBucket() throws Exception {
        FakeTime t = new FakeTime();
        OutputStream first = process(t, LIMIT).wrap(OutputStream.nullOutputStream());
        OutputStream second = process(t, LIMIT).wrap(OutputStream.nullOutputStream());
        first.write(new byte[100]);
        second.write(new byte[100]);
        first.write(new byte[50]);
        // one bucket: 250 bytes with 100 free at 1000 B/s; two buckets would have taken 50 ms
        assertEquals(150, t.ms());
        assertEquals(true, Files.size(ReceiveBandwidth.file(dir, "box", LIMIT)) > 0);
    }

    @Test
    void aChangedLimitIsANewBucket() throws Exception {
        FakeTime t = new FakeTime();
        process(t, LIMIT).wrap(OutputStream.nullOutputStream()).write(new byte[100]);
        BandwidthLimit faster = new BandwidthLimit(2000, 100);
        assertNotEquals(ReceiveBandwidth.file(dir, "box", LIMIT), ReceiveBandwidth.file(dir, "box", faster));
        process(t, faster).wrap(OutputStream.nullOutputStream()).write(new byte[100]);
        assertEquals(0, t.ms(), "a new bucket starts full");
        process(t, faster).wrap(OutputStream.nullOutputStream()).write(new byte[100]);
        assertEquals(50, t.ms());
    }

    @Test
    void unlimitedIsTheStreamItself() {
        OutputStream out = OutputStream.nullOutputStream();
        FakeTime t = new FakeTime();
        assertSame(
                out,
                ReceiveBandwidth.of(BandwidthLimit.unlimited(), null, dir.resolve("x"), t)
                        .wrap(out));
    }
}
