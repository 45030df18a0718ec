package dev.zreplj.stdinserver;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;

/**
 * An OS lock on a file, shared by every stdinserver process on the box. The OS drops it when the process
 * dies, so a killed process never leaves a stale lock behind. A holder may remove the file as it lets go
 * ({@link #closeAndDelete()}): the lock is then only taken once the file at the path is found to be the one
 * locked, so that a process that opened the removed file before it went cannot hold a lock beside one on
 * its successor.
 */
final class LockFile implements AutoCloseable {
    /** Rounds of "the file was removed under us, take its successor" before answering busy. */
    private static final int ATTEMPTS = 3;

    private final Path path;
    private final FileChannel channel;
    private final FileLock lock;

    private LockFile(Path path, FileChannel channel, FileLock lock) {
        this.path = path;
        this.channel = channel;
        this.lock = lock;
    }

    /** The lock on {@code file} (created with its directory if missing), or null while someone else holds it. */
    static LockFile tryLock(Path file) throws IOException {
        for (int attempt = 0; attempt < ATTEMPTS; attempt++) {
            Files.createDirectories(file.getParent());
            FileChannel channel = FileChannel.open(
                    file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
            try {
                FileLock lock = channel.tryLock();
                if (lock == null) {
                    channel.close();
                    return null;
                }
                // Written only under the lock: finding it at the path proves the path names the locked file.
                byte[] mark = (ProcessHandle.current().pid() + " " + System.nanoTime() + " "
                                + System.identityHashCode(channel) + "\n")
                        .getBytes(StandardCharsets.US_ASCII);
                channel.truncate(0);
                channel.write(ByteBuffer.wrap(mark), 0);
                if (Arrays.equals(mark, readIfPresent(file))) {
                    return new LockFile(file, channel, lock);
                }
                lock.release();
                channel.close();
            } catch (OverlappingFileLockException e) {
                // Held by another server in this same JVM (tests run several in one process).
                channel.close();
                return null;
            } catch (IOException | RuntimeException e) {
                channel.close();
                throw e;
            }
        }
        return null;
    }

    private static byte[] readIfPresent(Path file) throws IOException {
        try {
            return Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            return null;
        }
    }

    /**
     * Removes the file, then lets go: for a dataset that does not exist, whose lock file would otherwise stay
     * for good (a client can name any number of them).
     */
    void closeAndDelete() throws IOException {
        try {
            Files.deleteIfExists(path);
        } finally {
            close();
        }
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
