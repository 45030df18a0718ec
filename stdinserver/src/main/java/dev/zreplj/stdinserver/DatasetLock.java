package dev.zreplj.stdinserver;

import dev.zreplj.zfs.DatasetName;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

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

    /** The lock, or null when another receive or destroy of the dataset holds it. */
    static DatasetLock tryAcquire(Path stateDir, DatasetName dataset) throws IOException {
        LockFile file = LockFile.tryLock(path(stateDir), position(dataset));
        return file == null ? null : new DatasetLock(file);
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
