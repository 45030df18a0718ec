package dev.zreplj.stdinserver;

import dev.zreplj.files.StateFiles;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * An OS lock on a file, or on one byte of it, shared by every stdinserver process on the box. The OS drops
 * it when the process dies, so a killed process never leaves a stale lock behind.
 *
 * <p>These locks belong to the process, and closing any descriptor of a file drops every lock the process
 * holds on it: a channel that opened a file only to find it taken by another channel of the same box JVM
 * would free it for every other process. So a lock file is open once per process while the process holds a
 * lock in it, and the process keeps its own record of what it holds. This is the box's only static mutable
 * state, because what it mirrors is the process's.
 */
final class LockFile implements AutoCloseable {
    private static final Object TABLE = new Object();
    /** Guarded by TABLE: each file the process holds a lock in, with the positions it holds (-1: the whole). */
    private static final Map<Path, Open> OPEN = new HashMap<>();

    private static final class Open {
        final FileChannel channel;
        final Set<Long> held = new HashSet<>();

        Open(FileChannel channel) {
            this.channel = channel;
        }
    }

    private final Path file;
    private final long position;
    private final FileLock lock;

    private LockFile(Path file, long position, FileLock lock) {
        this.file = file;
        this.position = position;
        this.lock = lock;
    }

    private static final Set<PosixFilePermission> BOX_USERS_ALONE = PosixFilePermissions.fromString("rwxr-x---");

    /** The mode of the box's state files: its directories' (no one else lists them), less execute. */
    static final Set<PosixFilePermission> BOX_FILE = PosixFilePermissions.fromString("rw-r-----");

    /**
     * Creates the missing directories of the box's state 0750, as docs/monitoring.md and box setup promise,
     * whatever umask sshd gave the forced command: the client status files in them are written plainly.
     */
    static void createDirectories(Path dir) throws IOException {
        StateFiles.createDirectories(dir, BOX_USERS_ALONE);
    }

    /** The lock on {@code file} (created with its directory if missing), or null while someone else holds it. */
    static LockFile tryLock(Path file) throws IOException {
        return tryLock(file, -1);
    }

    /**
     * The lock on the byte at {@code position} of {@code file} (0 .. Long.MAX_VALUE - 1; the file stays empty),
     * or null while someone else holds it: many locks in one file, where a file each would leave one behind
     * for every name a client ever made up.
     */
    static LockFile tryLock(Path file, long position) throws IOException {
        createDirectories(file.getParent());
        Path real = file.getParent().toRealPath().resolve(file.getFileName());
        synchronized (TABLE) {
            Open open = OPEN.get(real);
            if (open != null && open.held.contains(position)) {
                return null;
            }
            if (open == null) {
                open = new Open(StateFiles.openLock(real));
                OPEN.put(real, open);
            }
            FileLock lock;
            try {
                lock = position < 0 ? open.channel.tryLock() : open.channel.tryLock(position, 1, false);
            } catch (OverlappingFileLockException e) {
                // Only through a path this table does not know as this one (a hard link): taken all the same.
                lock = null;
            } catch (IOException | RuntimeException e) {
                closeIfUnused(real, open);
                throw e;
            }
            if (lock == null) {
                closeIfUnused(real, open);
                return null;
            }
            open.held.add(position);
            return new LockFile(real, position, lock);
        }
    }

    /** With no lock of this process left in the file, closing it drops none. */
    private static void closeIfUnused(Path file, Open open) throws IOException {
        if (open.held.isEmpty()) {
            OPEN.remove(file);
            open.channel.close();
        }
    }

    @Override
    public void close() throws IOException {
        synchronized (TABLE) {
            Open open = OPEN.get(file);
            try {
                lock.release();
            } finally {
                open.held.remove(position);
                closeIfUnused(file, open);
            }
        }
    }

    /** One try at a lock: the lock, or null when another holder has it. */
    @FunctionalInterface
    interface Attempt<T> {
        T once() throws IOException;
    }

    /** Tries {@code attempt} every {@code pollMillis} until it gives a lock; null when {@code wait} passed first. */
    static <T> T retry(Duration wait, long pollMillis, Attempt<T> attempt) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + wait.toNanos();
        while (true) {
            T lock = attempt.once();
            if (lock != null || System.nanoTime() - deadline >= 0) {
                return lock;
            }
            Thread.sleep(pollMillis);
        }
    }
}
