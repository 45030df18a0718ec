package dev.zreplj.stdinserver;

import dev.zreplj.config.BandwidthLimit;
import dev.zreplj.config.SinkJob;
import io.github.bucket4j.Bandwidth;
import io.github.bucket4j.BlockingStrategy;
import io.github.bucket4j.Bucket;
import io.github.bucket4j.BucketConfiguration;
import io.github.bucket4j.TimeMeter;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;

/**
 * zrepl's sink {@code recv.bandwidth_limit}: one token bucket per sink job, a token per stream byte (or per
 * {@link BandwidthLimit#bytesPerToken()} above 1 GB/s) written into {@code zfs recv}, refilled at {@code max}
 * per second up to {@code bucket_capacity}, full at the start.
 * The sink's receives run in separate stdinserver processes (one per SSH channel, of every client of the
 * job), so the bucket lives in {@code <state_dir>/bandwidth/<job>-<max>-<capacity>.bucket} and every
 * process takes from it under a file lock; a changed limit is a new file, a new bucket.
 *
 * <p>As zrepl's (juju/ratelimit: {@code Wait(n)} takes all {@code n} tokens at once, into debt if need be,
 * then sleeps until they are paid), a write is taken from the bucket in pieces of up to 64 KiB (a second of
 * {@code max} if that is less, never less than the bucket), each in one reservation whatever
 * {@code bucket_capacity} is, and each piece goes to {@code zfs recv} when it is paid. All pieces of a write
 * are reserved before the first is waited for, so a wait that ends late, or a slow write into
 * {@code zfs recv}, pays for the next pieces instead of overfilling the bucket. Before, a piece was at most a
 * bucketful (Bucket4j's blocking consume refuses more than the capacity): with a 1 KiB bucket a wait and a
 * file lock per KiB, and every wait that ended more than 98 us late at 10 MiB/s lost the rest.
 *
 * <p>The bound: into {@code zfs recv} go at most {@code bucket_capacity + max * t} bytes in the bucket's
 * first {@code t} seconds, and in any window of {@code t} seconds at most
 * {@code max(bucket_capacity, piece) + max * t}, {@code piece = min(64 KiB, max(bucket_capacity, max * 1 s))}.
 */
final class ReceiveBandwidth {
    /** The most taken from the bucket and written at once, as the agent's reads of {@code zfs send}. */
    static final int PIECE = 64 * 1024;

    private final Bucket bucket;
    private final int piece;
    private final BandwidthLimit limit;
    private final TimeMeter clock;
    private final BlockingStrategy blocking;

    private ReceiveBandwidth(
            Bucket bucket, int piece, BandwidthLimit limit, TimeMeter clock, BlockingStrategy blocking) {
        this.bucket = bucket;
        this.piece = piece;
        this.limit = limit;
        this.clock = clock;
        this.blocking = blocking;
    }

    static ReceiveBandwidth of(SinkJob job, Path stateDir) {
        BandwidthLimit limit = job.recv().bandwidthLimit();
        return of(
                limit,
                limit.limited() ? new FileBuckets() : null,
                file(stateDir, job.name(), limit),
                TimeMeter.SYSTEM_NANOTIME,
                BlockingStrategy.PARKING);
    }

    /**
     * With another store, clock and way of waiting, for tests. {@code clock} times this process's waits; the
     * bucket's own time is the store's.
     */
    static ReceiveBandwidth of(
            BandwidthLimit limit, FileBuckets buckets, Path file, TimeMeter clock, BlockingStrategy blocking) {
        if (!limit.limited()) {
            return new ReceiveBandwidth(null, 0, limit, clock, blocking);
        }
        BucketConfiguration configuration = BucketConfiguration.builder()
                .addLimit(Bandwidth.builder()
                        .capacity(limit.capacityTokens())
                        .refillGreedy(limit.tokensPerSecond(), Duration.ofSeconds(1))
                        .build())
                .build();
        // a second of max at most, so that a slow limit still moves every second; a bucketful at least
        int piece = (int) Math.min(PIECE, Math.max(limit.bucketCapacityBytes(), limit.maxBytesPerSecond()));
        return new ReceiveBandwidth(buckets.builder().build(file, () -> configuration), piece, limit, clock, blocking);
    }

    static Path file(Path stateDir, String job, BandwidthLimit limit) {
        // job names are letters, digits and _ - . : only, so they make file names as they are
        return stateDir.resolve("bandwidth")
                .resolve(job + "-" + limit.maxBytesPerSecond() + "-" + limit.bucketCapacityBytes() + ".bucket");
    }

    /** {@code out} itself when unlimited; else it takes every byte only once the bucket has paid for it. */
    OutputStream wrap(OutputStream out) {
        return bucket == null
                ? out
                : new FilterOutputStream(out) {
                    @Override
                    public void write(int b) throws IOException {
                        awaitTurn(reserve(1));
                        out.write(b);
                    }

                    @Override
                    public void write(byte[] b, int off, int len) throws IOException {
                        long[] turns = new long[(len + piece - 1) / piece];
                        for (int i = 0; i < turns.length; i++) {
                            turns[i] = reserve(Math.min(piece, len - i * piece));
                        }
                        for (int i = 0; i < turns.length; i++) {
                            awaitTurn(turns[i]);
                            out.write(b, off + i * piece, Math.min(piece, len - i * piece));
                        }
                    }
                };
    }

    /**
     * Takes the tokens of {@code n} bytes at once, into debt if the bucket holds fewer, and returns when (on
     * {@code clock}) they are paid.
     */
    private long reserve(int n) throws IOException {
        try {
            long wait = bucket.consumeIgnoringRateLimits(limit.tokens(n));
            return clock.currentTimeNanos() + wait;
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
    }

    private void awaitTurn(long deadline) throws IOException {
        long wait = deadline - clock.currentTimeNanos();
        if (wait <= 0) {
            return;
        }
        try {
            blocking.park(wait);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while waiting for recv.bandwidth_limit");
        }
    }
}
