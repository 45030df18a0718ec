package dev.zreplj.replication;

import dev.zreplj.config.BandwidthLimit;
import io.github.bucket4j.Bandwidth;
import io.github.bucket4j.Bucket;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.time.Duration;

/**
 * zrepl's {@code send.bandwidth_limit}: one token bucket per job (all its concurrent streams share it),
 * a token per byte, refilled at {@code max} per second up to {@code bucket_capacity}, full at the start.
 * A stream is wrapped where {@code zfs send}'s output is read, so whatever copies it to the box (and how)
 * is untouched: a read returns its bytes only once the bucket has paid for them.
 */
public final class BandwidthLimiter {
    private final Bucket bucket;
    private final int maxChunk;

    private BandwidthLimiter(Bucket bucket, int maxChunk) {
        this.bucket = bucket;
        this.maxChunk = maxChunk;
    }

    /** The limiter of one job's pass; {@code null} bucket when unlimited. */
    public static BandwidthLimiter of(BandwidthLimit limit) {
        if (!limit.limited()) {
            return new BandwidthLimiter(null, 0);
        }
        Bucket bucket = Bucket.builder()
                .addLimit(Bandwidth.builder().capacity(limit.bucketCapacityBytes())
                        .refillGreedy(limit.maxBytesPerSecond(), Duration.ofSeconds(1)).build())
                .build();
        return new BandwidthLimiter(bucket, (int) Math.min(Integer.MAX_VALUE, limit.bucketCapacityBytes()));
    }

    /** {@code in} itself when unlimited. */
    public InputStream wrap(InputStream in) {
        return bucket == null ? in : new Limited(in);
    }

    private final class Limited extends FilterInputStream {
        Limited(InputStream in) {
            super(in);
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            // never more than the bucket can hold, or the wait for it would never end
            int n = in.read(b, off, Math.min(len, maxChunk));
            if (n > 0) {
                try {
                    bucket.asBlocking().consume(n);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new InterruptedIOException("interrupted while waiting for the bandwidth limit");
                }
            }
            return n;
        }

        @Override
        public long skip(long n) throws IOException {
            // skipped bytes are sent too as far as the limit is concerned
            int len = (int) Math.min(n, 8192);
            return Math.max(0, read(new byte[len], 0, len));
        }
    }
}
