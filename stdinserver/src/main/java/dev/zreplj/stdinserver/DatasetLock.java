package dev.zreplj.stdinserver;

import dev.zreplj.zfs.DatasetName;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;

/**
 * One receive or destroy per dataset across every stdinserver process on the box: a {@link LockFile} lock on
 * one byte of {@code <state_dir>/locks/datasets.lock}, at a position the dataset's name picks. One file for
 * all names: a file per name would stay behind for every name a client made up.
 */
final class DatasetLock implements AutoCloseable {
    private final LockFile file;

    private DatasetLock(LockFile file) {
        this.file = file;
    }

    /**
     * How long a receive or destroy waits for the dataset's lock: a receive keeps it after its RESULT while it
     * moves its hold and records itself, and a request on another channel (pruning after the pass's last step)
     * must not be refused for that. A receive or destroy that is really running takes longer than this.
     */
    static final Duration WAIT = Duration.ofSeconds(10);

    private static final long POLL_MILLIS = 20;

    /** The lock, or null when another receive or destroy of the dataset holds it. */
    static DatasetLock tryAcquire(Path stateDir, DatasetName dataset) throws IOException {
        LockFile file = LockFile.tryLock(path(stateDir), position(dataset));
        return file == null ? null : new DatasetLock(file);
    }

    /** The lock, or null when another receive or destroy of the dataset held it all of {@code wait}. */
    static DatasetLock acquire(Path stateDir, DatasetName dataset, Duration wait)
            throws IOException, InterruptedException {
        return LockFile.retry(wait, POLL_MILLIS, () -> tryAcquire(stateDir, dataset));
    }

    static Path path(Path stateDir) {
        return stateDir.resolve("locks").resolve("datasets.lock");
    }

    /**
     * 62 bits of the SHA-256 of the name: two of n names share a position with odds of about n² / 2^63, and
     * then only wait for each other.
     */
    static long position(DatasetName dataset) {
        try {
            byte[] hash =
                    MessageDigest.getInstance("SHA-256").digest(dataset.value().getBytes(StandardCharsets.UTF_8));
            return ByteBuffer.wrap(hash).getLong() & 0x3FFF_FFFF_FFFF_FFFFL;
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java runtime has SHA-256", e);
        }
    }

    @Override
    public void close() throws IOException {
        file.close();
    }
}
