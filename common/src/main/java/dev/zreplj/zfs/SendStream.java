package dev.zreplj.zfs;

import java.io.InputStream;
import java.util.concurrent.CompletableFuture;

/** A running {@code zfs send}: its stream, its exit, and a way to stop it when the other side failed. */
public interface SendStream extends AutoCloseable {
    InputStream stdout();

    /** Completes with the exit status once the process has exited (a stream given to a FIFO is not read here). */
    CompletableFuture<Integer> exited();

    /** Waits for exit; throws with zfs's stderr when the exit status is non-zero. */
    void finish() throws ZfsException, InterruptedException;

    /** Stops the send; idempotent. */
    void kill();

    @Override
    void close();
}
