package dev.zreplj.stdinserver;

import dev.zreplj.config.BandwidthLimit;
import dev.zreplj.config.SinkJob;
import io.github.bucket4j.Bandwidth;
import io.github.bucket4j.BlockingStrategy;
import io.github.bucket4j.Bucket;
import io.github.bucket4j.BucketConfiguration;
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
 */
final class ReceiveBandwidth {
    private final Bucket bucket;
    private final int piece;
    private final BandwidthLimit limit;
    private final BlockingStrategy blocking;

    private ReceiveBandwidth(Bucket bucket, int piece, BandwidthLimit limit, BlockingStrategy blocking) {
        this.bucket = bucket;
        this.piece = piece;
        this.limit = limit;
        this.blocking = blocking;
    }

    static ReceiveBandwidth of(SinkJob job, Path stateDir) {
        BandwidthLimit limit = job.recv().bandwidthLimit();
        return of(
                limit,
                limit.limited() ? new FileBuckets() : null,
                file(stateDir, job.name(), limit),
                BlockingStrategy.PARKING);
    }

    /** With another store and way of waiting, for tests. */
    static ReceiveBandwidth of(BandwidthLimit limit, FileBuckets buckets, Path file, BlockingStrategy blocking) {
        if (!limit.limited()) {
            return new ReceiveBandwidth(null, 0, limit, blocking);
        }
        BucketConfiguration configuration = BucketConfiguration.builder()
                .addLimit(Bandwidth.builder()
                        .capacity(limit.capacityTokens())
                        .refillGreedy(limit.tokensPerSecond(), Duration.ofSeconds(1))
                        .build())
                .build();
        // never more at once than the bucket holds, or the wait for it would never end
        int piece = (int) Math.min(64 * 1024, limit.bucketCapacityBytes());
        return new ReceiveBandwidth(buckets.builder().build(file, () -> configuration), piece, limit, blocking);
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
                        pay(1);
                        out.write(b);
                    }

                    @Override
                    public void write(byte[] b, int off, int len) throws IOException {
                        for (int done = 0; done < len; ) {
                            int n = Math.min(piece, len - done);
                            pay(n);
                            out.write(b, off + done, n);
                            done += n;
                        }
                    }
                };
    }

    private void pay(int n) throws IOException {
        try {
            bucket.asBlocking().consume(limit.tokens(n), blocking);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while waiting for recv.bandwidth_limit");
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
    }
}
