package dev.zreplj.replication;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.OptionalDouble;
import java.util.OptionalLong;

/**
 * Transfer rate over a sliding window of samples (so a stall shows as a falling rate, not as a lifetime
 * average), and the ETA from it. Times are nanoseconds from any fixed origin; not thread-safe.
 */
public final class RateMeter {
    /** Long enough to smooth zfs send's bursts, short enough to follow a real change within seconds. */
    static final long WINDOW_NANOS = 5_000_000_000L;
    /** Below this much history a rate is mostly noise: none is shown. */
    static final long MIN_SPAN_NANOS = 500_000_000L;

    private record Sample(long nanos, long bytes) {}

    private final Deque<Sample> samples = new ArrayDeque<>();

    /** Records that {@code bytes} (a running total) had passed at {@code nanos}. */
    public void sample(long nanos, long bytes) {
        samples.addLast(new Sample(nanos, bytes));
        // Keep one sample at or before the window start so the window is always fully covered.
        while (samples.size() > 2) {
            var it = samples.iterator();
            it.next();
            if (it.next().nanos() <= nanos - WINDOW_NANOS) {
                samples.removeFirst();
            } else {
                break;
            }
        }
    }

    /** Bytes per second over the window; empty until it spans {@link #MIN_SPAN_NANOS}. */
    public OptionalDouble bytesPerSecond() {
        if (samples.size() < 2) return OptionalDouble.empty();
        Sample first = samples.peekFirst();
        Sample last = samples.peekLast();
        long span = last.nanos() - first.nanos();
        if (span < MIN_SPAN_NANOS) return OptionalDouble.empty();
        return OptionalDouble.of((last.bytes() - first.bytes()) * 1e9 / span);
    }

    /** Seconds left to reach {@code total} at the current rate; empty without a rate or past the total. */
    public OptionalLong secondsLeft(long total) {
        OptionalDouble rate = bytesPerSecond();
        Sample last = samples.peekLast();
        if (rate.isEmpty() || last == null || rate.getAsDouble() <= 0 || last.bytes() > total)
            return OptionalLong.empty();
        return OptionalLong.of((long) Math.ceil((total - last.bytes()) / rate.getAsDouble()));
    }
}
