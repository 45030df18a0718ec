package dev.zreplj.stdinserver;

import java.io.IOException;
import java.io.OutputStream;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Arrays;

/**
 * The forced command's stderr, which is the client's SSH channel: a client that stops reading it (a window
 * it never opens) made a log line block the box for good, with a receive's slots and its dataset's lock
 * held, outside every bound {@link IdleOutput} puts on the protocol's replies. Writes go to a queue that a
 * thread of its own drains; what does not fit in {@code capacity} is dropped (the box's log has it), so no
 * writer ever waits on the client.
 */
public final class SheddingOutput extends OutputStream {
    private final OutputStream out;
    private final int capacity;
    /** Guarded by this: the chunks not yet written, their bytes, and whether writing has ended. */
    private final ArrayDeque<byte[]> queue = new ArrayDeque<>();

    private int queued;
    private boolean ended;

    public SheddingOutput(OutputStream out, int capacity) {
        this.out = out;
        this.capacity = capacity;
        Thread writer = new Thread(this::writeQueued, "stdinserver-stderr");
        writer.setDaemon(true);
        writer.start();
    }

    @Override
    public void write(int b) {
        write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public synchronized void write(byte[] b, int off, int len) {
        if (ended || len == 0 || queued + len > capacity) {
            return;
        }
        queue.add(Arrays.copyOfRange(b, off, off + len));
        queued += len;
        notifyAll();
    }

    /**
     * Waits at most {@code limit} for what is queued to reach the client: a failing process's last lines say
     * why it failed. False when the client did not take them in time.
     */
    public synchronized boolean drain(Duration limit) throws InterruptedException {
        long deadline = System.nanoTime() + limit.toNanos();
        while (queued > 0 && !ended) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return false;
            }
            wait(Math.max(1, left / 1_000_000));
        }
        return queued == 0;
    }

    private void writeQueued() {
        try {
            while (true) {
                byte[] next;
                synchronized (this) {
                    while (queue.isEmpty()) {
                        wait();
                    }
                    next = queue.peek();
                }
                out.write(next);
                out.flush();
                synchronized (this) {
                    queue.poll();
                    queued -= next.length;
                    notifyAll();
                }
            }
        } catch (IOException | InterruptedException e) {
            synchronized (this) {
                // The channel is gone: nothing written from now on reaches anyone.
                ended = true;
                queue.clear();
                queued = 0;
                notifyAll();
            }
        }
    }
}
