package dev.zreplj.stdinserver;

import dev.zreplj.zfs.DatasetName;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * One receive per dataset across every stdinserver process on the box: an OS file lock on
 * {@code <state_dir>/locks/<dataset>.lock}. The OS drops it when the process dies, so a killed
 * receive never leaves a stale lock behind.
 */
final class DatasetLock implements AutoCloseable {
    private final FileChannel channel;
    private final FileLock lock;

    private DatasetLock(FileChannel channel, FileLock lock) {
        this.channel = channel;
        this.lock = lock;
    }

    /** The lock, or null when another receive into the dataset holds it. */
    static DatasetLock tryAcquire(Path stateDir, DatasetName dataset) throws IOException {
        Path dir = stateDir.resolve("locks");
        Files.createDirectories(dir);
        FileChannel channel = FileChannel.open(dir.resolve(fileName(dataset)), StandardOpenOption.CREATE,
                StandardOpenOption.WRITE);
        try {
            FileLock lock = channel.tryLock();
            if (lock == null) {
                channel.close();
                return null;
            }
            return new DatasetLock(channel, lock);
        } catch (OverlappingFileLockException e) {
            // Held by another server in this same JVM (tests run several in one process).
            channel.close();
            return null;
        } catch (IOException | RuntimeException e) {
            channel.close();
            throw e;
        }
    }

    /** '/' cannot appear in a file name and '%' cannot appear in a dataset name, so this is unambiguous. */
    static String fileName(DatasetName dataset) {
        return dataset.value().replace("/", "%2F") + ".lock";
    }

    @Override
    public void close() throws IOException {
        try {
            lock.release();
        } finally {
            channel.close();
        }
    }
}
