package dev.zreplj.ssh;

import java.io.IOException;
import java.io.WriteAbortedException;
import java.util.ArrayList;
import java.util.List;
import org.apache.sshd.common.io.IoWriteFuture;
import org.apache.sshd.common.io.nio2.Nio2DefaultIoWriteFuture;
import org.apache.sshd.common.util.buffer.Buffer;
import org.apache.sshd.common.util.buffer.ByteArrayBuffer;

/**
 * Turns the SSH packets queued behind a socket write into one socket write. MINA's nio2 session writes
 * each packet (32 KiB: OpenSSH's channel packet size) on its own, with its own completion handed to
 * another thread; a stream of 1 GiB is 32768 of them. Here a packet that arrives while a write is in
 * flight is appended to a batch, and the batch goes out as one write when the one in flight completes,
 * so the number of writes and hand-offs follows what the socket can take, not the packet count.
 * Packets keep their order: they arrive in encoding order (MINA holds its encode lock while it queues
 * them) and a batch is only written after everything before it was.
 */
final class WriteCoalescer {
    /** The session's own write of one buffer (MINA's nio2 write cycle). */
    interface Socket {
        IoWriteFuture write(Buffer buffer) throws IOException;
    }

    /** A batch buffer up to this size is reused; a bigger one (a burst) is left to the GC. */
    static final int REUSE_LIMIT = 4 << 20;
    private static final int INITIAL_BATCH = 256 << 10;

    private final Socket socket;
    private boolean inFlight;
    private ByteArrayBuffer batch;
    private Nio2DefaultIoWriteFuture batchFuture;
    private ByteArrayBuffer spare;
    private final List<Runnable> whenIdle = new ArrayList<>();
    private long writes;

    WriteCoalescer(Socket socket) {
        this.socket = socket;
    }

    /**
     * Writes {@code packet} (from its read position) now when nothing is in flight, else appends a copy to
     * the batch. The future completes when the packet's bytes were written (or the write failed).
     */
    IoWriteFuture write(Buffer packet) throws IOException {
        synchronized (this) {
            if (inFlight) {
                if (batch == null) {
                    batch = spare != null ? spare : new ByteArrayBuffer(INITIAL_BATCH, false);
                    spare = null;
                    batch.clear(false);
                    batchFuture = new Nio2DefaultIoWriteFuture("coalesced", null, null);
                }
                batch.putRawBytes(packet.array(), packet.rpos(), packet.available());
                return batchFuture;
            }
            inFlight = true;
        }
        return submit(packet, null);
    }

    /** Runs {@code action} once nothing is in flight or batched (now, if that is already so). */
    void whenIdle(Runnable action) {
        synchronized (this) {
            if (inFlight) {
                whenIdle.add(action);
                return;
            }
        }
        action.run();
    }

    /** Socket writes started so far (for tests and the benchmark's figures). */
    synchronized long writes() {
        return writes;
    }

    private IoWriteFuture submit(Buffer buffer, Nio2DefaultIoWriteFuture done) throws IOException {
        IoWriteFuture written;
        synchronized (this) {
            writes++;
        }
        try {
            written = socket.write(buffer);
        } catch (IOException | RuntimeException e) {
            // The session is broken: what waits behind this write fails with it.
            failBatch(e);
            if (done == null) {
                throw e;
            }
            done.setException(e);
            return done;
        }
        written.addListener(w -> completed(buffer, done, w));
        return done != null ? done : written;
    }

    private void completed(Buffer buffer, Nio2DefaultIoWriteFuture done, IoWriteFuture written) {
        if (done != null) {
            if (written.isWritten()) {
                done.setWritten();
            } else {
                done.setException(written.getException() != null ? written.getException()
                        : new WriteAbortedException("write of coalesced SSH packets was not completed", null));
            }
        }
        ByteArrayBuffer next;
        Nio2DefaultIoWriteFuture nextDone;
        List<Runnable> idle = List.of();
        synchronized (this) {
            if (done != null && buffer.array().length <= REUSE_LIMIT) {
                spare = (ByteArrayBuffer) buffer;
            }
            next = batch;
            nextDone = batchFuture;
            batch = null;
            batchFuture = null;
            if (next == null) {
                inFlight = false;
                idle = List.copyOf(whenIdle);
                whenIdle.clear();
            }
        }
        if (next == null) {
            idle.forEach(Runnable::run);
            return;
        }
        try {
            submit(next, nextDone);
        } catch (IOException e) {
            // Only a direct write rethrows; submit has failed nextDone already.
        }
    }

    private void failBatch(Throwable cause) {
        Nio2DefaultIoWriteFuture failed;
        List<Runnable> idle;
        synchronized (this) {
            failed = batchFuture;
            batch = null;
            batchFuture = null;
            inFlight = false;
            idle = List.copyOf(whenIdle);
            whenIdle.clear();
        }
        if (failed != null) {
            failed.setException(cause);
        }
        idle.forEach(Runnable::run);
    }
}
