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
 * <p>As zrepl's (juju/ratelimit's {@code Reader}: read, then {@code Wait(n)}, which takes all {@code n} tokens
 * at once, into debt if need be, and sleeps until the debt is paid), each read of {@code zfs send} is taken
 * from the bucket in one reservation, whatever {@code bucket_capacity} is, and handed on when it is paid.
 * Reads are up to 64 KiB (a pipe's worth), or a second of {@code max} if that is less, but never less than
 * the bucket. Before, a read was at most a bucketful (Bucket4j's blocking consume refuses more than the
 * capacity), so zrepl's sample 1 KiB bucket meant a wait every 98 us at 10 MiB/s, and every wait that ended
 * later than that lost the rest: 0.81 of {@code max}.
 *
 * <p>A reader thread per stream reads and reserves up to {@link #LOOKAHEAD} bytes ahead of whoever takes the
 * stream, who waits for each piece's turn. So the bucket is already in debt for the next pieces when a wait
 * ends late, or while the consumer writes a 1 MiB frame to SSH: that time pays for them instead of
 * overfilling the bucket. (zrepl sleeps before it reads again; its reads are up to 512 KiB, so it loses
 * less per wake-up.) Paying in the thread that wrote the frames lost every write longer than
 * {@code bucket_capacity / max} (10% at 4 MiB/s with the default bucket on a loaded machine).
 *
 * <p>The bound: no piece is handed on before its turn, and the turns of all the job's streams together come
 * no faster than {@code bucket_capacity + max * t} bytes in the job's first {@code t} seconds, and
 * {@code max(bucket_capacity, read) + max * t} in any window of {@code t} seconds, where
 * {@code read = min(64 KiB, max(bucket_capacity, max * 1 s))}: a piece larger than the bucket comes whole at its
 * turn. A consumer that fell behind takes what is due at once, at most {@link #LOOKAHEAD} (plus the piece
 * the reader holds) per stream.
 */
public final class BandwidthLimiter {
    /** How far reading {@code zfs send} may run ahead of the consumer: one DATA frame's worth. */
    static final int LOOKAHEAD = 1 << 20;

    /** The most one read of {@code zfs send} takes at once: a full pipe's worth. */
    static final int READ_CHUNK = 64 * 1024;

    private final Bucket bucket;
    private final int chunk;
    private final BandwidthLimit limit;
    private final TimeMeter clock;
    private final BlockingStrategy blocking;

    private BandwidthLimiter(
            Bucket bucket, int chunk, BandwidthLimit limit, TimeMeter clock, BlockingStrategy blocking) {
        this.bucket = bucket;
        this.chunk = chunk;
        this.limit = limit;
        this.clock = clock;
        this.blocking = blocking;
    }

    /** The limiter of one job's pass. */
    public static BandwidthLimiter of(BandwidthLimit limit) {
        return of(limit, TimeMeter.SYSTEM_NANOTIME, BlockingStrategy.PARKING);
    }

    /** With another clock and way of waiting, for tests. */
    static BandwidthLimiter of(BandwidthLimit limit, TimeMeter clock, BlockingStrategy blocking) {
        if (!limit.limited()) {
            return new BandwidthLimiter(null, 0, limit, clock, blocking);
        }
        Bucket bucket = Bucket.builder()
                .addLimit(Bandwidth.builder()
                        .capacity(limit.capacityTokens())
                        .refillGreedy(limit.tokensPerSecond(), Duration.ofSeconds(1))
                        .build())
                .withCustomTimePrecision(clock)
                .build();
        // a second of max at most, so that a slow limit still moves every second; a bucketful at least
        int chunk = (int) Math.min(READ_CHUNK, Math.max(limit.bucketCapacityBytes(), limit.maxBytesPerSecond()));
        return new BandwidthLimiter(bucket, chunk, limit, clock, blocking);
    }

    /**
     * Takes the tokens of {@code n} bytes from the bucket at once, into debt if it holds fewer (as
     * juju/ratelimit's {@code Take}), and returns when, on the bucket's clock, they are paid.
     */
    long reserve(int n) {
        long wait = bucket.consumeIgnoringRateLimits(limit.tokens(n));
        return clock.currentTimeNanos() + wait;
    }

    /** Waits until {@code deadline} on the bucket's clock; an interrupt ends the wait. */
    void awaitTurn(long deadline) throws InterruptedException {
        long wait = deadline - clock.currentTimeNanos();
        if (wait > 0) {
            blocking.park(wait);
        }
    }

    /** Whether no limit applies: the stream need not pass through this JVM to be paced. */
    public boolean unlimited() {
        return bucket == null;
    }

    /** {@code in} itself when unlimited; else a stream to close when done with it, which stops its reader thread. */
    public InputStream wrap(InputStream in) {
        return bucket == null ? in : new Ahead(in);
    }

    /**
     * A piece of the stream and when it is paid (on the bucket's clock), or its end ({@code length < 0}), or
     * the failure to read it (both free).
     */
    private record Piece(byte[] bytes, int length, long paid, IOException failure) {
        static final Piece END = new Piece(new byte[0], -1, 0, null);
    }

    private final class Ahead extends InputStream {
        private final InputStream in;
        private final BlockingQueue<Piece> ahead;
        private final Thread reader;
        private Piece current;
        private boolean released;
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
                        ahead.put(new Piece(null, 0, 0, e));
                        return;
                    }
                    if (n < 0) {
                        ahead.put(Piece.END);
                        return;
                    }
                    if (n > 0) {
                        ahead.put(new Piece(Arrays.copyOf(buffer, n), n, reserve(n), null));
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
            try {
                if (current == null || (current.length() >= 0 && pos == current.length())) {
                    current = ahead.take();
                    released = false;
                    pos = 0;
                }
                if (!released && current.length() > 0) {
                    awaitTurn(current.paid());
                    released = true;
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new InterruptedIOException("interrupted while waiting for the bandwidth limit");
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
            return released ? current.length() - pos : 0;
        }

        /** Stops the reader; {@code in} stays open for its owner (closing a pipe a read blocks on would wait). */
        @Override
        public void close() {
            reader.interrupt();
        }
    }
}
