package dev.zreplj.stdinserver;

import dev.zreplj.protocol.ProtocolException;
import java.io.IOException;
import java.time.Duration;
import java.util.Locale;

/**
 * A bound on every blocking wait on one of the client's pipes: a wait that has lasted longer than the current
 * limit is cut by interrupting the waiting thread (an interruptible channel closes and wakes; a pipe's wait
 * wakes) and fails with a {@link ProtocolException} naming what the box was doing. The limit changes with what
 * the box does ({@link #expect}). Once cut, every further wait fails at once: the process ends.
 */
final class WaitBound {
    private final Thread watchdog;
    private final String clientIdle;
    private final String boxBusy;
    private String doing;
    private long limitNanos;
    private Thread waiter;
    private long since;
    private boolean cut;

    /**
     * @param clientIdle what the client did not do, for the message ("sent nothing")
     * @param boxBusy    what the box was doing meanwhile, before {@link #expect}'s words ("waited for")
     */
    WaitBound(String name, String clientIdle, String boxBusy, String doing, Duration limit) {
        this.clientIdle = clientIdle;
        this.boxBusy = boxBusy;
        this.doing = doing;
        this.limitNanos = limit.toNanos();
        this.watchdog = new Thread(this::watch, name);
        watchdog.setDaemon(true);
        watchdog.start();
    }

    /**
     * From now on a wait lasts at most {@code limit} while the box does {@code what} (for the message). A wait in
     * progress counts from now: IdleInput switches to the shorter limit when a request's first byte has arrived,
     * inside the read that waited for it, and the watchdog must not measure that read's long wait against it.
     */
    synchronized void expect(String what, Duration limit) {
        doing = what;
        limitNanos = limit.toNanos();
        since = System.nanoTime();
    }

    /** Stops the watchdog; the pipe itself stays open. */
    void stop() {
        watchdog.interrupt();
    }

    /** Before a call that may block. */
    synchronized void begin() throws ProtocolException {
        if (cut) {
            throw timedOut();
        }
        waiter = Thread.currentThread();
        since = System.nanoTime();
    }

    /** After it, returned or not. */
    void end() throws ProtocolException {
        synchronized (this) {
            waiter = null;
            if (!cut) {
                return;
            }
        }
        // The interrupt was for the wait, whether or not it still returned: nothing else may see it.
        Thread.interrupted();
        throw timedOut();
    }

    /** What a failed call throws: the cut, when that was why. */
    synchronized IOException cutOr(IOException e) {
        return cut ? timedOut() : e;
    }

    private synchronized ProtocolException timedOut() {
        return new ProtocolException("the client " + clientIdle + " for "
                + Duration.ofNanos(limitNanos).toString().substring(2).toLowerCase(Locale.ROOT)
                + " while the box " + boxBusy + " " + doing + "; closing the channel");
    }

    private void watch() {
        try {
            while (true) {
                long sleep;
                synchronized (this) {
                    if (waiter != null && System.nanoTime() - since > limitNanos) {
                        cut = true;
                        waiter.interrupt();
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
