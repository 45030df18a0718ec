package dev.zreplj.stdinserver;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;

/**
 * One of N slots shared by every stdinserver process on the box: {@code <dir>/0.lock .. N-1.lock}, each a
 * {@link LockFile}. The box's cap on concurrent receives ({@link #boxReceives}), and per client its cap on
 * receives ({@link #clientReceives}) and on channels ({@link #clientChannels}).
 */
final class ReceiveSlot implements AutoCloseable {
    /** How long a receive waits for a free slot before it is refused as busy. */
    static final Duration DEFAULT_WAIT = Duration.ofMinutes(10);

    private static final long POLL_MILLIS = 200;

    private final LockFile file;

    private ReceiveSlot(LockFile file) {
        this.file = file;
    }

    static Path boxReceives(Path stateDir) {
        return stateDir.resolve("receive-slots");
    }

    /** Per-client directories live apart from the box's: a client id may well be "0.lock". */
    static Path clientReceives(Path stateDir, String clientId) {
        return stateDir.resolve("client-receive-slots").resolve(clientId);
    }

    static Path clientChannels(Path stateDir, String clientId) {
        return stateDir.resolve("client-channels").resolve(clientId);
    }

    /** A free slot in {@code dir}, or null when all {@code slots} are taken. */
    static ReceiveSlot tryAcquire(Path dir, int slots) throws IOException {
        for (int i = 0; i < slots; i++) {
            LockFile f = LockFile.tryLock(dir.resolve(i + ".lock"));
            if (f != null) {
                return new ReceiveSlot(f);
            }
        }
        return null;
    }

    /** Waits up to {@code maxWait} for a free slot; null when none came free. */
    static ReceiveSlot acquire(Path dir, int slots, Duration maxWait) throws IOException, InterruptedException {
        return LockFile.retry(maxWait, POLL_MILLIS, () -> tryAcquire(dir, slots));
    }

    @Override
    public void close() throws IOException {
        file.close();
    }
}
