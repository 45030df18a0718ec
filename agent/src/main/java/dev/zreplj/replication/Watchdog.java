package dev.zreplj.replication;

import java.io.IOException;
import java.math.BigDecimal;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import java.util.function.LongSupplier;

/**
 * Cancels work on the backup box that makes no progress for {@code replication.timeout}: a step whose
 * send stream is not taken up and, after the stream ended, gets no reply; a request (LIST, DESTROY,
 * handshake) without a reply. One thread per pass samples every watch; a watch's cancel action tears
 * its channel down so that the threads blocked on it wake up with an IOException.
 */
public final class Watchdog implements AutoCloseable {
    private static final long MAX_POLL_NANOS = 1_000_000_000L;
    private static final long MIN_POLL_NANOS = 10_000_000L;

    private final Duration timeout;
    private final LongSupplier nanoTime;
    private final List<Watch> watches = new ArrayList<>();
    private Thread thread;

    /** Tests call {@link #check()} themselves with their own clock. */
    Watchdog(Duration timeout, LongSupplier nanoTime) {
        if (timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("watchdog timeout must be positive: " + timeout);
        }
        this.timeout = timeout;
        this.nanoTime = nanoTime;
    }

    /** A watchdog with its own daemon thread, checking about twenty times per timeout (at most once a second). */
    public static Watchdog start(Duration timeout) {
        Watchdog w = new Watchdog(timeout, System::nanoTime);
        long poll = Math.max(MIN_POLL_NANOS, Math.min(MAX_POLL_NANOS, timeout.toNanos() / 20));
        Thread t = new Thread(
                () -> {
                    try {
                        while (!Thread.currentThread().isInterrupted()) {
                            long before = w.nanoTime.getAsLong();
                            Thread.sleep(poll / 1_000_000L, (int) (poll % 1_000_000L));
                            w.afterSleep(poll, w.nanoTime.getAsLong() - before);
                        }
                    } catch (InterruptedException e) {
                        // closed
                    }
                },
                "watchdog");
        t.setDaemon(true);
        w.thread = t;
        t.start();
        return w;
    }

    public Duration timeout() {
        return timeout;
    }

    /**
     * Watches work whose progress is {@code progress} (a counter that grows while it advances); when it
     * has not grown for the timeout, {@code cancel} runs once, from the watchdog's thread. Close the watch
     * when the work ends.
     */
    public Watch watch(LongSupplier progress, Runnable cancel) {
        Watch w = new Watch(progress, cancel, nanoTime.getAsLong());
        synchronized (watches) {
            watches.add(w);
        }
        return w;
    }

    /**
     * Runs a request that has no progress but its reply; when none comes within the timeout, {@code abort}
     * cuts it and this throws a {@link StalledException} saying so.
     */
    public <T> T guard(String request, Request<T> call, Runnable abort) throws IOException {
        T reply;
        try (Watch w = watch(() -> 0L, abort)) {
            try {
                reply = call.run();
            } catch (IOException | RuntimeException e) {
                if (w.cancelled()) {
                    throw stalled(request, e);
                }
                throw e;
            }
            if (w.cancelled()) {
                // The reply came as the channel was being cut: the reply is good, the channel is gone.
                throw stalled(request, null);
            }
        }
        return reply;
    }

    private StalledException stalled(String request, Exception cause) {
        return new StalledException(
                "stalled: no reply from the backup box to " + request + " for " + goDuration(timeout) + "; cancelled",
                cause);
    }

    /**
     * One round of the watchdog's thread, whose sleep of {@code poll} took {@code slept}. A sleep that took more
     * than twice as long means this process did not run meanwhile (stopped by SIGSTOP or Ctrl-Z, a frozen
     * cgroup, a paused VM): its work could not progress, and a reply that came meanwhile is still unread, so that
     * time counts against no watch; a stall is judged on the time the process ran. (A machine's suspend needs
     * none of this: the monotonic clock stands still while it sleeps.)
     */
    void afterSleep(long poll, long slept) {
        long stopped = slept - poll;
        if (stopped > poll) {
            synchronized (watches) {
                for (Watch w : watches) {
                    w.lastChange += stopped;
                }
            }
        }
        check();
    }

    /** Samples every watch once and cancels those without progress for the timeout. */
    void check() {
        List<Watch> due = new ArrayList<>();
        long now = nanoTime.getAsLong();
        synchronized (watches) {
            for (Watch w : watches) {
                if (w.stalledAt(now, timeout.toNanos())) {
                    due.add(w);
                }
            }
        }
        // Outside the lock: a cancel closes channels, and may take a moment.
        for (Watch w : due) {
            w.cancel.run();
        }
    }

    @Override
    public void close() {
        if (thread != null) {
            thread.interrupt();
        }
    }

    /** Go's spelling, as the config writes durations: 10m0s, 20s, 1h0m0s, 500ms. */
    public static String goDuration(Duration d) {
        if (d.toSeconds() == 0) {
            return d.toMillis() + "ms";
        }
        long h = d.toHours();
        long m = d.toMinutesPart();
        String s =
                BigDecimal.valueOf(d.toSecondsPart() * 1000L + d.toMillisPart(), 3)
                                .stripTrailingZeros()
                                .toPlainString() + "s";
        return h > 0 ? h + "h" + m + "m" + s : m > 0 ? m + "m" + s : s;
    }

    /** A request whose only sign of progress is its reply. */
    @FunctionalInterface
    public interface Request<T> {
        T run() throws IOException;
    }

    /** One piece of watched work. */
    public final class Watch implements AutoCloseable {
        private final LongSupplier progress;
        private final Runnable cancel;
        private long lastValue;
        private long lastChange;
        private volatile boolean cancelled;

        private Watch(LongSupplier progress, Runnable cancel, long now) {
            this.progress = progress;
            this.cancel = cancel;
            this.lastValue = progress.getAsLong();
            this.lastChange = now;
        }

        /** Called under the watchdog's lock: true exactly once, when the work has stalled. */
        private boolean stalledAt(long now, long limit) {
            if (cancelled) {
                return false;
            }
            long v = progress.getAsLong();
            if (v != lastValue) {
                lastValue = v;
                lastChange = now;
                return false;
            }
            if (now - lastChange < limit) {
                return false;
            }
            cancelled = true;
            return true;
        }

        /** Whether the watchdog cancelled this work. */
        public boolean cancelled() {
            return cancelled;
        }

        /** e.g. "stalled: no progress for 10m0s at 52.3 MiB of 200 MiB; cancelled". */
        public String stalledMessage(long bytes, OptionalLong estimate) {
            return "stalled: no progress for " + goDuration(timeout) + " at " + Bytes.human(bytes)
                    + (estimate.isPresent() ? " of " + Bytes.human(estimate.getAsLong()) : "") + "; cancelled";
        }

        @Override
        public void close() {
            synchronized (watches) {
                watches.remove(this);
            }
        }
    }
}
