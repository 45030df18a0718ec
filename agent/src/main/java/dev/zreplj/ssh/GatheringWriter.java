package dev.zreplj.ssh;

import java.nio.ByteBuffer;
import java.nio.channels.CompletionHandler;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Consumer;
import org.apache.sshd.common.io.IoWriteFuture;
import org.apache.sshd.common.io.nio2.Nio2DefaultIoWriteFuture;

/**
 * Writes the SSH packets queued behind a socket write with one gathering write, without copying them.
 * MINA's nio2 session writes each packet (32 KiB: OpenSSH's channel packet size) on its own, and hands
 * each completion to another thread; a GiB is 32768 of them. Here everything queued while a write is in
 * flight goes out in the next write, so the number of writes and hand-offs follows what the socket takes,
 * as OpenSSH's buffered output does. Packets keep their order: MINA queues them under its encode lock, and
 * a batch is only started after everything before it was written.
 */
final class GatheringWriter {
    /** The socket's gathering write (an {@code AsynchronousSocketChannel} in production). */
    interface Socket {
        void write(ByteBuffer[] buffers, int offset, int length, CompletionHandler<Long, Void> done);
    }

    /** At most this many packets per write: 2 MiB of 32 KiB packets, OpenSSH's window for one channel. */
    static final int MAX_BATCH = 64;

    private record Pending(ByteBuffer buffer, Nio2DefaultIoWriteFuture future) {
    }

    private final Socket socket;
    private final Consumer<Throwable> onSocketFailure;
    private final ArrayDeque<Pending> queue = new ArrayDeque<>();
    private final List<Runnable> whenIdle = new ArrayList<>();
    private final CompletionHandler<Long, Void> completion = new CompletionHandler<>() {
        @Override
        public void completed(Long written, Void attachment) {
            written();
        }

        @Override
        public void failed(Throwable exc, Void attachment) {
            socketFailed(exc);
        }
    };
    /** The batch being written, or empty; guarded by this. */
    private final List<Pending> inFlight = new ArrayList<>(MAX_BATCH);
    private final ByteBuffer[] buffers = new ByteBuffer[MAX_BATCH];
    private Throwable failure;
    private long writes;

    /** {@code onSocketFailure} hears once of a write that failed (the session is broken then). */
    GatheringWriter(Socket socket, Consumer<Throwable> onSocketFailure) {
        this.socket = socket;
        this.onSocketFailure = onSocketFailure;
    }

    /** Queues {@code buffer} (from its position to its limit); the future completes once it was written. */
    IoWriteFuture write(ByteBuffer buffer) {
        Nio2DefaultIoWriteFuture future = new Nio2DefaultIoWriteFuture("ssh-packet", null, buffer);
        boolean start;
        synchronized (this) {
            if (failure != null) {
                future.setException(failure);
                return future;
            }
            queue.add(new Pending(buffer, future));
            start = inFlight.isEmpty();
            if (start) take();
        }
        if (start) submit(0);
        return future;
    }

    /** Runs {@code action} once nothing is queued or in flight (now, if that is already so). */
    void whenIdle(Runnable action) {
        synchronized (this) {
            if (!inFlight.isEmpty()) {
                whenIdle.add(action);
                return;
            }
        }
        action.run();
    }

    /** Fails everything queued or in flight with {@code cause}, and every later write. */
    void abort(Throwable cause) {
        failed(cause);
    }

    /** Socket writes started so far (for tests). */
    synchronized long writes() {
        return writes;
    }

    /** Moves up to MAX_BATCH queued packets into the batch; caller holds the lock and the batch is empty. */
    private void take() {
        for (int i = 0; i < MAX_BATCH && !queue.isEmpty(); i++) {
            Pending p = queue.poll();
            inFlight.add(p);
            buffers[i] = p.buffer();
        }
    }

    private void submit(int from) {
        int length;
        synchronized (this) {
            writes++;
            length = inFlight.size() - from;
        }
        try {
            socket.write(buffers, from, length, completion);
        } catch (RuntimeException e) {
            socketFailed(e);
        }
    }

    /** A write completed: completes the packets it finished, then writes the rest or the next batch. */
    private void written() {
        List<Nio2DefaultIoWriteFuture> done = new ArrayList<>();
        List<Runnable> idle = List.of();
        int resumeAt = -1;
        boolean next = false;
        synchronized (this) {
            if (failure != null) return;
            int i = 0;
            while (i < inFlight.size() && !inFlight.get(i).buffer().hasRemaining()) {
                done.add(inFlight.get(i).future());
                i++;
            }
            if (i < inFlight.size()) {
                resumeAt = i;
            } else {
                inFlight.clear();
                Arrays.fill(buffers, null);
                if (queue.isEmpty()) {
                    idle = List.copyOf(whenIdle);
                    whenIdle.clear();
                } else {
                    take();
                    next = true;
                }
            }
        }
        done.forEach(Nio2DefaultIoWriteFuture::setWritten);
        if (resumeAt >= 0) {
            submit(resumeAt);
        } else if (next) {
            submit(0);
        } else {
            idle.forEach(Runnable::run);
        }
    }

    private void socketFailed(Throwable cause) {
        boolean first;
        synchronized (this) {
            first = failure == null;
        }
        failed(cause);
        if (first) onSocketFailure.accept(cause);
    }

    private void failed(Throwable cause) {
        List<Pending> failed = new ArrayList<>();
        List<Runnable> idle;
        synchronized (this) {
            if (failure == null) failure = cause;
            failed.addAll(inFlight);
            failed.addAll(queue);
            inFlight.clear();
            queue.clear();
            Arrays.fill(buffers, null);
            idle = List.copyOf(whenIdle);
            whenIdle.clear();
        }
        for (Pending p : failed) {
            if (!p.future().isDone()) p.future().setException(cause);
        }
        idle.forEach(Runnable::run);
    }
}
