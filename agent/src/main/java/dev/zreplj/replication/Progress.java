package dev.zreplj.replication;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.OptionalDouble;
import java.util.OptionalLong;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * One status line on an interactive terminal for the sends in flight: bytes sent, rate and, where zfs
 * estimated the stream size, percentage and ETA. Redrawn in place at most {@link #REFRESH_NANOS} apart and
 * cleared when the last send ends. Without a terminal (systemd, cron, a pipe) it prints nothing at all.
 */
public final class Progress {
    /** Four redraws a second: readable, and negligible work next to a stream. */
    static final long REFRESH_NANOS = 250_000_000L;
    private static final int DEFAULT_WIDTH = 80;
    private static final String CLEAR_TO_EOL = "\033[K";

    private final PrintStream out;
    private final LongSupplier nanoTime;
    private final int width;
    private final boolean autoRefresh;
    private final List<Transfer> active = new ArrayList<>();
    private ScheduledExecutorService ticker;
    private long lastDraw;
    private boolean drawn;

    /** Tests drive the clock and call {@link #tick()} themselves; {@code out == null} means quiet. */
    Progress(PrintStream out, LongSupplier nanoTime, int width, boolean autoRefresh) {
        this.out = out;
        this.nanoTime = nanoTime;
        this.width = width;
        this.autoRefresh = autoRefresh;
    }

    /** Prints nothing. */
    public static Progress quiet() {
        return new Progress(null, System::nanoTime, DEFAULT_WIDTH, false);
    }

    /** Draws on {@code stderr} when this process runs on an interactive terminal, else {@link #quiet()}. */
    public static Progress onTerminal(PrintStream stderr) {
        if (!interactive(System.console() != null, System.getenv("TERM"), stderrTarget())) {
            return quiet();
        }
        return new Progress(stderr, System::nanoTime, width(System.getenv("COLUMNS")), true);
    }

    /**
     * A console (stdin and stdout on a terminal, so not systemd, cron or a pipe), a TERM that can move
     * the cursor, and stderr itself on a terminal where /proc can tell.
     */
    static boolean interactive(boolean console, String term, String stderrTarget) {
        if (!console || term == null || term.isBlank() || term.equals("dumb")) return false;
        return stderrTarget == null || stderrTarget.startsWith("/dev/pts/") || stderrTarget.startsWith("/dev/tty");
    }

    private static String stderrTarget() {
        try {
            return Files.readSymbolicLink(Path.of("/proc/self/fd/2")).toString();
        } catch (IOException | UnsupportedOperationException e) {
            return null;
        }
    }

    static int width(String columns) {
        try {
            int n = columns == null ? DEFAULT_WIDTH : Integer.parseInt(columns.strip());
            return n >= 20 ? n : DEFAULT_WIDTH;
        } catch (NumberFormatException e) {
            return DEFAULT_WIDTH;
        }
    }

    public boolean enabled() {
        return out != null;
    }

    /**
     * Starts showing a send named {@code label}; read the stream through {@link Transfer#stream()}. The
     * line is cleared at the stream's end already, before the box's report of the receive is logged.
     */
    public Transfer begin(String label, OptionalLong total, InputStream stream) {
        Transfer t = new Transfer(label, total, stream);
        if (out == null) return t;
        synchronized (this) {
            active.add(t);
            t.meter.sample(nanoTime.getAsLong(), 0);
            if (autoRefresh && ticker == null) {
                ticker = Executors.newSingleThreadScheduledExecutor(r -> {
                    Thread thread = new Thread(r, "progress");
                    thread.setDaemon(true);
                    return thread;
                });
                ticker.scheduleAtFixedRate(this::tick, REFRESH_NANOS, REFRESH_NANOS, TimeUnit.NANOSECONDS);
            }
        }
        return t;
    }

    /** Samples every send in flight and redraws the line, unless it was drawn less than a refresh ago. */
    synchronized void tick() {
        if (out == null || active.isEmpty()) return;
        long now = nanoTime.getAsLong();
        for (Transfer t : active) {
            t.meter.sample(now, t.stream.count());
        }
        if (drawn && now - lastDraw < REFRESH_NANOS) return;
        List<String> parts = new ArrayList<>();
        for (Transfer t : active) {
            parts.add(describe(t.label, t.stream.count(), t.total, t.meter.bytesPerSecond(), t.secondsLeft()));
        }
        String line = String.join(" | ", parts);
        if (line.length() > width - 1) line = line.substring(0, width - 1);
        out.print("\r" + line + CLEAR_TO_EOL);
        out.flush();
        lastDraw = now;
        drawn = true;
    }

    private synchronized void end(Transfer t) {
        if (!active.remove(t) || !active.isEmpty() || !drawn) return;
        out.print("\r" + CLEAR_TO_EOL);
        out.flush();
        drawn = false;
    }

    /** e.g. "pool/home full @b: 1.2 GiB of 4.0 GiB (30%), 107.1 MiB/s, ETA 0:25". */
    static String describe(String label, long sent, OptionalLong total, OptionalDouble bytesPerSecond,
                           OptionalLong secondsLeft) {
        StringBuilder s = new StringBuilder(label).append(": ").append(Bytes.human(sent));
        if (total.isPresent() && total.getAsLong() > 0) {
            long t = total.getAsLong();
            long percent = sent >= t ? 100 : Math.min(99, sent * 100 / t);
            s.append(" of ").append(Bytes.human(t)).append(" (").append(percent).append("%)");
        }
        if (bytesPerSecond.isPresent()) {
            s.append(", ").append(Bytes.human(Math.round(bytesPerSecond.getAsDouble()))).append("/s");
        }
        if (secondsLeft.isPresent()) {
            s.append(", ETA ").append(duration(secondsLeft.getAsLong()));
        }
        return s.toString();
    }

    /** M:SS below an hour, else H:MM:SS. */
    static String duration(long seconds) {
        long h = seconds / 3600;
        long m = seconds / 60 % 60;
        long sec = seconds % 60;
        return h > 0 ? String.format(Locale.ROOT, "%d:%02d:%02d", h, m, sec)
                : String.format(Locale.ROOT, "%d:%02d", m, sec);
    }

    /** One send on display; closing it takes it off the line. */
    public final class Transfer implements AutoCloseable {
        private final String label;
        private final OptionalLong total;
        private final CountingInputStream stream;
        private final RateMeter meter = new RateMeter();

        private Transfer(String label, OptionalLong total, InputStream stream) {
            this.label = label;
            this.total = total;
            this.stream = new CountingInputStream(stream, this::close);
        }

        /** The send stream, counted. */
        public InputStream stream() {
            return stream;
        }

        public long bytes() {
            return stream.count();
        }

        private OptionalLong secondsLeft() {
            return total.isPresent() ? meter.secondsLeft(total.getAsLong()) : OptionalLong.empty();
        }

        @Override
        public void close() {
            if (out != null) end(this);
        }
    }
}
