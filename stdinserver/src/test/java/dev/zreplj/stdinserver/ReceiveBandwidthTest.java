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
        volatile long late;

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
            nanos.addAndGet(waitNanos + late);
        }

        long ms() {
            return (nanos.get() - start) / MS;
        }
    }

    /** What one stdinserver process has: its own store on the job's file. */
    private ReceiveBandwidth process(FakeTime t, BandwidthLimit limit) {
        return ReceiveBandwidth.of(limit, new FileBuckets(t), ReceiveBandwidth.file(dir, "box", limit), t, t);
    }

    /**
     * Was {@code ...InPiecesNoLargerThanIt}: a write is now paid (into debt, as zrepl) and written in pieces of
     * up to 64 KiB or a second of {@code max} whatever the bucket, each only once its wait is over.
     */
    @Test
    void writesArePaidAtTheRateAfterTheFirstBucketInPiecesOfUpTo64KiBOrASecond() throws Exception {
        FakeTime t = new FakeTime();
        ByteArrayOutputStream sink = new ByteArrayOutputStream();
        java.util.List<String> writes = new java.util.ArrayList<>();
        OutputStream out = process(t, LIMIT).wrap(new java.io.FilterOutputStream(sink) {
            @Override
            public void write(byte[] b, int off, int len) {
                writes.add(len + "@" + t.ms());
                sink.write(b, off, len);
            }
        });
        byte[] data = new byte[400];
        for (int i = 0; i < data.length; i++) {
            data[i] = (byte) i;
        }
        out.write(data, 0, 100);
        assertEquals(0, t.ms(), "the first bucket is free");
        out.write(data, 100, 300);
        out.write(7);
        assertEquals(301, t.ms());
        assertEquals(java.util.List.of("100@0", "300@300"), writes, "300 bytes in one piece, after its wait");
        byte[] expected = java.util.Arrays.copyOf(data, 401);
        expected[400] = 7;
        assertArrayEquals(expected, sink.toByteArray());
        writes.clear();
        out.write(new byte[2500]);
        assertEquals(java.util.List.of("1000@1301", "1000@2301", "500@2801"), writes, "a second of max at most");
        writes.clear();
        BandwidthLimit fast = new BandwidthLimit(1 << 20, 1024);
        OutputStream fastOut = process(t, fast).wrap(new java.io.FilterOutputStream(sink) {
            @Override
            public void write(byte[] b, int off, int len) {
                writes.add(Integer.toString(len));
            }
        });
        fastOut.write(new byte[ReceiveBandwidth.PIECE + 1]);
        assertEquals(java.util.List.of("65536", "1"), writes, "64 KiB at most, whatever the bucket");
    }

    /**
     * As zrepl's juju/ratelimit, a write larger than the bucket is paid at once, into debt: paid a bucketful
     * at a time, each wait that ended later than {@code 1 KiB / 10 MiB/s} (98 us) lost the rest, 0.79 of
     * {@code max} with parks 150 us late.
     */
    @Test
    void aOneKibBucketKeepsTheRateThoughEveryWaitEndsLate() throws Exception {
        FakeTime t = new FakeTime();
        t.late = 150_000;
        long max = 10 << 20;
        OutputStream out = process(t, new BandwidthLimit(max, 1024)).wrap(OutputStream.nullOutputStream());
        byte[] frame = new byte[1 << 20];
        for (int i = 0; i < 10; i++) {
            out.write(frame);
        }
        double rate = (10 * frame.length - 1024) / ((t.nanos.get() - t.start) / 1e9);
        assertEquals(true, rate >= 0.98 * max && rate <= max, "10 MiB at " + rate / max + " of max");
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
                ReceiveBandwidth.of(BandwidthLimit.unlimited(), null, dir.resolve("x"), t, t)
                        .wrap(out));
    }
}
