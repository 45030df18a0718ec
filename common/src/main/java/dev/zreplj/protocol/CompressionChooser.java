package dev.zreplj.protocol;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Decides for {@link StreamCompression#AUTO} whether a channel's chunks go through zstd, by measuring
 * both ways on the stream itself. zstd pays when the link (or the box behind it) is the bottleneck and
 * costs when the sending CPU is: on loopback text went at 0.46x the plain pipe's rate compressed, on a
 * 100 Mbit/s link at several times it. Which one holds cannot be known before sending, so the chooser
 * times windows of the stream (each at least {@link #WINDOW_BYTES} and {@link #WINDOW_NANOS}; the time
 * is the sending loop's, reading from zfs send included, so a slow zfs send makes both ways equal):
 * a warm-up window with zstd, one measured with zstd, one without, then the faster way. zstd must be
 * {@link #MARGIN} times faster to be chosen, since it costs CPU. It then stays {@link #FIRST_STAY}
 * windows and measures the other way for one window; each time that confirms the choice the stay
 * doubles (to {@link #MAX_STAY}), so a long stream spends little time on the slower way. Time outside
 * {@link #chunk} (between streams) is not counted, so the measurements carry over from one stream on the
 * channel to the next. Pure logic: the caller passes the times. Not thread-safe: one per channel.
 */
final class CompressionChooser {
    private static final Logger log = LoggerFactory.getLogger(CompressionChooser.class);

    /**
     * Small, so that measuring the plain way on a slow link costs little (at 100 Mbit/s a window is then
     * 0.5 s, 6 MiB, where 16 MiB cost 1.4 s per look: 3 s of a 1 GiB push). Data still buffered from the
     * other way when a window starts makes it look slower, which on a slow link favours zstd, rightly;
     * on a fast one the buffers drain at once and the 0.5 s decides.
     */
    static final long WINDOW_BYTES = 4L << 20;

    static final long WINDOW_NANOS = 500_000_000L;
    static final double MARGIN = 1.1;
    static final int FIRST_STAY = 8;
    static final int MAX_STAY = 256;

    private enum Phase {
        WARM_UP,
        MEASURE_ZSTD,
        MEASURE_PLAIN,
        STAY,
        PROBE
    }

    private Phase phase = Phase.WARM_UP;
    private boolean zstd = true;
    private long windowBytes;
    private long windowNanos;
    private double zstdRate = Double.NaN;
    private double plainRate = Double.NaN;
    private int stay = FIRST_STAY;
    private int stayLeft;

    /** Whether the next chunk is to be offered to zstd. */
    boolean zstd() {
        return zstd;
    }

    /** Accounts one chunk: {@code bytes} of the stream, sent in {@code nanos} (reading it included). */
    void chunk(long bytes, long nanos) {
        windowBytes += bytes;
        windowNanos += Math.max(nanos, 0);
        if (windowBytes < WINDOW_BYTES || windowNanos < WINDOW_NANOS) {
            return;
        }
        double rate = windowBytes * 1e9 / windowNanos;
        windowBytes = 0;
        windowNanos = 0;
        switch (phase) {
            case WARM_UP -> phase = Phase.MEASURE_ZSTD;
            case MEASURE_ZSTD -> {
                zstdRate = rate;
                zstd = false;
                phase = Phase.MEASURE_PLAIN;
            }
            case MEASURE_PLAIN -> {
                plainRate = rate;
                choose(false);
            }
            case STAY -> {
                record(rate);
                if (--stayLeft == 0) {
                    zstd = !zstd;
                    phase = Phase.PROBE;
                }
            }
            case PROBE -> {
                record(rate);
                choose(true);
            }
        }
    }

    private void record(double rate) {
        if (zstd) {
            zstdRate = rate;
        } else {
            plainRate = rate;
        }
    }

    private void choose(boolean probed) {
        boolean before = !zstd; // in PROBE: the way chosen before it
        zstd = zstdRate > plainRate * MARGIN;
        if (probed && zstd == before) {
            stay = Math.min(stay * 2, MAX_STAY);
        } else {
            stay = FIRST_STAY;
        }
        stayLeft = stay;
        phase = Phase.STAY;
        if (log.isDebugEnabled()) {
            log.debug(
                    "stream compression auto: {} (zstd {} MB/s, plain {} MB/s of stream); next look in {} windows",
                    zstd ? "zstd" : "plain",
                    Math.round(zstdRate / 1e6),
                    Math.round(plainRate / 1e6),
                    stay);
        }
    }

    /** The last measured rates in stream bytes per second (NaN before the first), for logs and tests. */
    double zstdRate() {
        return zstdRate;
    }

    double plainRate() {
        return plainRate;
    }
}
