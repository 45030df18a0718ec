package dev.zreplj.replication;

import dev.zreplj.config.BandwidthLimit;
import io.github.bucket4j.Bandwidth;
import io.github.bucket4j.BlockingStrategy;
import io.github.bucket4j.Bucket;
import io.github.bucket4j.TimeMeter;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;

/**
 * zrepl's {@code send.bandwidth_limit}: one token bucket per job (all its concurrent streams share it),
 * a token per byte (or per {@link BandwidthLimit#bytesPerToken()} above 1 GB/s), refilled at {@code max} per
 * second up to {@code bucket_capacity}, full at the start.
 * A stream is wrapped where {@code zfs send}'s output is read, so whatever copies it to the box (and how)
 * is untouched: no byte is handed on before the bucket has paid for it.
 *
 * <p>The bucket is paid by a reader thread per stream that runs up to {@link #LOOKAHEAD} bytes ahead of
 * whoever takes the stream. Without it the payer was the thread that also writes the 1 MiB frames to SSH:
 * while it wrote, nobody paid, and every write that took longer than {@code bucket_capacity / max} (31 ms
 * at 4 MiB/s with zrepl's 128 KiB) lost the rest of its time for good, which is why the default bucket fell
 * 10% short at 4 MiB/s on a loaded machine while a 1 MiB one did not. zrepl does not have that gap: its
 * limited reader hands 32 KiB pieces to a plain copy.
 */
public final class BandwidthLimiter {
    /** How far reading {@code zfs send} may run ahead of the consumer: one DATA frame's worth. */
    static final int LOOKAHEAD = 1 << 20;

    private static final int READ_CHUNK = 64 * 1024;

    private final Bucket bucket;
    private final int chunk;
    private final BandwidthLimit limit;
    private final BlockingStrategy blocking;

    private BandwidthLimiter(Bucket bucket, int chunk, BandwidthLimit limit, BlockingStrategy blocking) {
        this.bucket = bucket;
        this.chunk = chunk;
        this.limit = limit;
        this.blocking = blocking;
    }

    /** The limiter of one job's pass. */
    public static BandwidthLimiter of(BandwidthLimit limit) {
        return of(limit, TimeMeter.SYSTEM_NANOTIME, BlockingStrategy.PARKING);
    }

    /** With another clock and way of waiting, for tests. */
    static BandwidthLimiter of(BandwidthLimit limit, TimeMeter clock, BlockingStrategy blocking) {
        if (!limit.limited()) {
            return new BandwidthLimiter(null, 0, limit, blocking);
        }
        Bucket bucket = Bucket.builder()
                .addLimit(Bandwidth.builder()
                        .capacity(limit.capacityTokens())
                        .refillGreedy(limit.tokensPerSecond(), Duration.ofSeconds(1))
                        .build())
                .withCustomTimePrecision(clock)
                .build();
        // never more at once than the bucket holds, or the wait for it would never end
        int chunk = (int) Math.min(READ_CHUNK, limit.bucketCapacityBytes());
        return new BandwidthLimiter(bucket, chunk, limit, blocking);
    }

    /**
     * Waits until the bucket has paid for {@code n} bytes, at most one read's worth ({@code bucket_capacity}
     * or 64 KiB). Reserves first and then waits, so a wait that ends late costs no rate.
     */
    void pay(int n) throws InterruptedException {
        if (n > chunk) {
            throw new IllegalArgumentException(n + " bytes at once exceed the read size " + chunk);
        }
        bucket.asBlocking().consume(limit.tokens(n), blocking);
    }

    /** Whether no limit applies: the stream need not pass through this JVM to be paced. */
    public boolean unlimited() {
        return bucket == null;
    }

    /** {@code in} itself when unlimited; else a stream to close when done with it, which stops its reader thread. */
    public InputStream wrap(InputStream in) {
        return bucket == null ? in : new Ahead(in);
    }

    /** A piece of the stream, or its end ({@code length < 0}), or the failure to read it. */
    private record Piece(byte[] bytes, int length, IOException failure) {
        static final Piece END = new Piece(new byte[0], -1, null);
    }

    private final class Ahead extends InputStream {
        private final InputStream in;
        private final BlockingQueue<Piece> ahead;
        private final Thread reader;
        private Piece current;
        private int pos;

        Ahead(InputStream in) {
            this.in = in;
            this.ahead = new ArrayBlockingQueue<>(Math.max(2, Math.min(1024, LOOKAHEAD / chunk)));
            this.reader = new Thread(this::readAhead, "bandwidth-limit");
            reader.setDaemon(true);
            reader.start();
        }

        private void readAhead() {
            byte[] buffer = new byte[chunk];
            try {
                while (true) {
                    int n;
                    try {
                        n = in.read(buffer, 0, chunk);
                    } catch (IOException e) {
                        ahead.put(new Piece(null, 0, e));
                        return;
                    }
                    if (n < 0) {
                        ahead.put(Piece.END);
                        return;
                    }
                    if (n > 0) {
                        pay(n);
                        ahead.put(new Piece(Arrays.copyOf(buffer, n), n, null));
                    }
                }
            } catch (InterruptedException closed) {
                // close(): the consumer is gone
            }
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (len == 0) {
                return 0;
            }
            if (current == null || (current.length() >= 0 && pos == current.length())) {
                try {
                    current = ahead.take();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new InterruptedIOException("interrupted while waiting for the bandwidth limit");
                }
                pos = 0;
            }
            if (current.failure() != null) {
                throw current.failure();
            }
            if (current.length() < 0) {
                return -1;
            }
            int n = Math.min(len, current.length() - pos);
            System.arraycopy(current.bytes(), pos, b, off, n);
            pos += n;
            return n;
        }

        @Override
        public int available() {
            return current == null || current.length() < 0 ? 0 : current.length() - pos;
        }

        /** Stops the reader; {@code in} stays open for its owner (closing a pipe a read blocks on would wait). */
        @Override
        public void close() {
            reader.interrupt();
        }
    }
}
