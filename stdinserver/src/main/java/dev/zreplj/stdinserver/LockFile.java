package dev.zreplj.stdinserver;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * An OS lock on a file, shared by every stdinserver process on the box. The OS drops it when the process
 * dies, so a killed process never leaves a stale lock behind.
 */
final class LockFile implements AutoCloseable {
    /**
     * The files this process holds locked. The OS keeps these locks per process, and closing any descriptor of a
     * locked file drops every lock the process has on it: a channel that opened the file only to find it
     * taken by another channel of the same box JVM would free it for every other process. So a file this
     * process holds is never opened a second time. This is the one static mutable state of the box, because
     * what it mirrors is the process's.
     */
    private static final Set<Path> HELD = ConcurrentHashMap.newKeySet();

    private final Path key;
    private final FileChannel channel;
    private final FileLock lock;

    private LockFile(Path key, FileChannel channel, FileLock lock) {
        this.key = key;
        this.channel = channel;
        this.lock = lock;
    }

    /** The lock on {@code file} (created with its directory if missing), or null while someone else holds it. */
    static LockFile tryLock(Path file) throws IOException {
        Files.createDirectories(file.getParent());
        Path key = file.getParent().toRealPath().resolve(file.getFileName());
        if (!HELD.add(key)) {
            return null;
        }
        FileChannel channel = null;
        try {
            channel = FileChannel.open(key, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            FileLock lock = channel.tryLock();
            if (lock == null) {
                channel.close();
                HELD.remove(key);
                return null;
            }
            return new LockFile(key, channel, lock);
        } catch (IOException | RuntimeException e) {
            if (channel != null) {
                channel.close();
            }
            HELD.remove(key);
            if (e instanceof OverlappingFileLockException) {
                // Only through a path HELD does not know as this one (a hard link): taken all the same.
                return null;
            }
            throw e;
        }
    }

    @Override
    public void close() throws IOException {
        try {
            lock.release();
        } finally {
            try {
                channel.close();
            } finally {
                HELD.remove(key);
            }
        }
    }
}
