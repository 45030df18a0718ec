package dev.zreplj.ssh;

import java.nio.ByteBuffer;
import java.nio.channels.InterruptedByTimeoutException;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import org.apache.sshd.common.io.IoWriteFuture;
import org.apache.sshd.common.io.nio2.Nio2DefaultIoWriteFuture;

/**
 * Writes SSH packets to the socket on the thread that queued them, as long as the socket takes them at
 * once. MINA's nio2 session starts each packet's write with a completion handler, and the JDK runs that
 * handler on a pool thread whenever the writing thread is not one of the pool's: one thread hand-off (two
 * futex calls and a wake-up) per 32 KiB packet, 32768 per GiB. A write that completes at once needs no
 * handler; only a socket that is full makes a waiter thread wait for it and write what queued meanwhile.
 * Packets keep their order: one thread at a time writes, in queue order (MINA queues them under its encode
 * lock), and a packet that arrives meanwhile is written by the thread that is writing.
 */
final class DirectWriter {
    /** Starts an asynchronous write of {@code buffer} (an {@code AsynchronousSocketChannel} in production). */
    interface Socket {
        Future<Integer> write(ByteBuffer buffer);
    }

    private record Pending(ByteBuffer buffer, Nio2DefaultIoWriteFuture future) {}

    private final Socket socket;
    private final Executor waiter;
    private final Duration timeout;
    private final Consumer<Throwable> onSocketFailure;
    private final ArrayDeque<Pending> queue = new ArrayDeque<>();
    private final List<Runnable> whenIdle = new ArrayList<>();
    /** Whether some thread is writing the queue; guarded by this. */
    private boolean writing;

    private Throwable failure;

    /**
     * @param waiter          runs the wait for a full socket (and the writes after it), off the caller's thread
     * @param timeout         how long a full socket may take a write before the session is given up
     * @param onSocketFailure hears once of a write that failed or timed out (the session is broken then)
     */
    DirectWriter(Socket socket, Executor waiter, Duration timeout, Consumer<Throwable> onSocketFailure) {
        this.socket = socket;
        this.waiter = waiter;
        this.timeout = timeout;
        this.onSocketFailure = onSocketFailure;
    }

    /** Queues {@code buffer} (from its position to its limit); the future completes once it was written. */
    IoWriteFuture write(ByteBuffer buffer) {
        Nio2DefaultIoWriteFuture future = new Nio2DefaultIoWriteFuture("ssh-packet", null, buffer);
        synchronized (this) {
            if (failure != null) {
                future.setException(failure);
                return future;
            }
            queue.add(new Pending(buffer, future));
            if (writing) return future;
            writing = true;
        }
        drain(null);
        return future;
    }

    /** Runs {@code action} once nothing is queued or being written (now, if that is already so). */
    void whenIdle(Runnable action) {
        synchronized (this) {
            if (writing) {
                whenIdle.add(action);
                return;
            }
        }
        action.run();
    }

    /** Fails everything queued with {@code cause}, and every later write. */
    void abort(Throwable cause) {
        failed(cause);
    }

    /**
     * Writes the queue until it is empty. {@code blocked}: a write of the head packet that the socket did not
     * take at once; only the waiter thread waits for it, a caller hands it to the waiter and returns.
     */
    private void drain(Future<Integer> blocked) {
        Future<Integer> pending = blocked;
        while (true) {
            Pending head;
            List<Runnable> idle = List.of();
            synchronized (this) {
                head = failure == null ? queue.peek() : null;
                if (head == null) {
                    writing = false;
                    idle = List.copyOf(whenIdle);
                    whenIdle.clear();
                }
            }
            if (head == null) {
                idle.forEach(Runnable::run);
                return;
            }
            try {
                while (pending != null || head.buffer().hasRemaining()) {
                    Future<Integer> write = pending != null ? pending : socket.write(head.buffer());
                    pending = null;
                    if (!write.isDone()) {
                        if (blocked == null) {
                            waiter.execute(() -> drain(write));
                            return;
                        }
                        write.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
                    } else {
                        write.get();
                    }
                }
            } catch (ExecutionException e) {
                socketFailed(e.getCause() != null ? e.getCause() : e);
                return;
            } catch (TimeoutException e) {
                socketFailed(new InterruptedByTimeoutException());
                return;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                socketFailed(e);
                return;
            } catch (RuntimeException e) {
                socketFailed(e);
                return;
            }
            synchronized (this) {
                queue.poll();
            }
            head.future().setWritten();
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
        List<Pending> failed;
        List<Runnable> idle;
        synchronized (this) {
            if (failure == null) failure = cause;
            failed = new ArrayList<>(queue);
            queue.clear();
            writing = false;
            idle = List.copyOf(whenIdle);
            whenIdle.clear();
        }
        for (Pending p : failed) {
            if (!p.future().isDone()) p.future().setException(cause);
        }
        idle.forEach(Runnable::run);
    }
}
