package dev.zreplj.stdinserver;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;

/**
 * The global cap on concurrent receives across every stdinserver process on the box: one of
 * {@code <state_dir>/receive-slots/0.lock .. N-1.lock}, each a {@link LockFile}.
 */
final class ReceiveSlot implements AutoCloseable {
    /** Enough to keep a disk busy without every laptop's channels thrashing the pool at once. */
    static final int DEFAULT_SLOTS = 4;
    /** How long a receive waits for a free slot before it is refused as busy. */
    static final Duration DEFAULT_WAIT = Duration.ofMinutes(10);
    private static final long POLL_MILLIS = 200;

    private final LockFile file;

    private ReceiveSlot(LockFile file) {
        this.file = file;
    }

    /** A free slot, or null when all {@code slots} are taken. */
    static ReceiveSlot tryAcquire(Path stateDir, int slots) throws IOException {
        for (int i = 0; i < slots; i++) {
            LockFile f = LockFile.tryLock(stateDir.resolve("receive-slots").resolve(i + ".lock"));
            if (f != null) {
                return new ReceiveSlot(f);
            }
        }
        return null;
    }

    /** Waits up to {@code maxWait} for a free slot; null when none came free. */
    static ReceiveSlot acquire(Path stateDir, int slots, Duration maxWait) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + maxWait.toNanos();
        while (true) {
            ReceiveSlot slot = tryAcquire(stateDir, slots);
            if (slot != null || System.nanoTime() - deadline >= 0) {
                return slot;
            }
            Thread.sleep(POLL_MILLIS);
        }
    }

    @Override
    public void close() throws IOException {
        file.close();
    }
}
