package dev.zreplj.stdinserver;

import dev.zreplj.protocol.ProtocolException;
import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.Locale;

/**
 * The client's input with a bound on every wait: a read that has been blocked for longer than the current
 * limit is cut by interrupting the reading thread (an interruptible channel closes and wakes; a pipe's
 * wait wakes) and fails with a {@link ProtocolException} naming what was awaited. The limit changes with
 * what the server waits for ({@link #expect}). Once cut, every further read fails: the process ends.
 */
final class IdleInput extends InputStream {
    private final InputStream in;
    private final Thread watchdog;
    private String awaited = "the handshake";
    private long limitNanos;
    private Thread reader;
    private long readingSince;
    private boolean cut;

    IdleInput(InputStream in, Duration limit) {
        this.in = in;
        this.limitNanos = limit.toNanos();
        this.watchdog = new Thread(this::watch, "stdinserver-idle-watchdog");
        watchdog.setDaemon(true);
        watchdog.start();
    }

    /** From now on a read waits at most {@code limit} for {@code what} (for the message). */
    synchronized void expect(String what, Duration limit) {
        awaited = what;
        limitNanos = limit.toNanos();
    }

    /** Stops the watchdog; the stream itself stays open. */
    void stop() {
        watchdog.interrupt();
    }

    @Override
    public int read() throws IOException {
        begin();
        try {
            return in.read();
        } catch (IOException e) {
            throw cutOr(e);
        } finally {
            end();
        }
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        begin();
        try {
            return in.read(b, off, len);
        } catch (IOException e) {
            throw cutOr(e);
        } finally {
            end();
        }
    }

    @Override
    public int available() throws IOException {
        return in.available();
    }

    @Override
    public void close() throws IOException {
        stop();
        in.close();
    }

    private synchronized void begin() throws ProtocolException {
        if (cut) {
            throw timedOut();
        }
        reader = Thread.currentThread();
        readingSince = System.nanoTime();
    }

    private void end() throws ProtocolException {
        synchronized (this) {
            reader = null;
            if (!cut) {
                return;
            }
        }
        // The interrupt was for the read, whether or not it still returned: nothing else may see it.
        Thread.interrupted();
        throw timedOut();
    }

    private synchronized IOException cutOr(IOException e) {
        return cut ? timedOut() : e;
    }

    private synchronized ProtocolException timedOut() {
        return new ProtocolException("the client sent nothing for "
                + Duration.ofNanos(limitNanos).toString().substring(2).toLowerCase(Locale.ROOT)
                + " while the box waited for "
                + awaited + "; closing the channel");
    }

    private void watch() {
        try {
            while (true) {
                long sleep;
                synchronized (this) {
                    if (reader != null && System.nanoTime() - readingSince > limitNanos) {
                        cut = true;
                        reader.interrupt();
                        return;
                    }
                    sleep = Math.max(10, Math.min(1000, limitNanos / 10_000_000));
                }
                Thread.sleep(sleep);
            }
        } catch (InterruptedException stopped) {
            // stop(): the server is done.
        }
    }
}
