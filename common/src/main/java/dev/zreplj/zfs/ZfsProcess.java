package dev.zreplj.zfs;

import java.io.InputStream;
import java.io.OutputStream;

/**
 * A running {@code zfs send} or {@code zfs recv}. stderr is drained in the background (bounded) so the
 * process never blocks on it and its text can be reported when the process fails.
 *
 * SKELETON: the zfs layer fills this in.
 */
public final class ZfsProcess implements AutoCloseable {
    public OutputStream stdin() {
        throw new IllegalStateException("not implemented yet");
    }

    public InputStream stdout() {
        throw new IllegalStateException("not implemented yet");
    }

    /** Waits for exit; throws with zfs's stderr when the exit status is non-zero. */
    public void finish() throws ZfsException, InterruptedException {
        throw new ZfsException("not implemented yet");
    }

    /** Kills the process (used when the other side of a stream failed). Idempotent. */
    public void kill() {
    }

    @Override
    public void close() {
        kill();
    }
}
