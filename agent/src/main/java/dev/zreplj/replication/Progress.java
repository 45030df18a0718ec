package dev.zreplj.replication;

import java.io.InputStream;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * What a pass is doing, for a person at a terminal: the phase before any byte moves ("connecting to …"),
 * then the bytes of the whole pass and of each send in flight, rate and, where zfs estimated a stream's
 * size, percentage and ETA. It draws on a {@link Screen} (a real terminal in the CLI); without one it
 * prints nothing at all. The line is laid out by {@link ProgressLine}.
 */
public final class Progress implements AutoCloseable {
    /** Four redraws a second: readable, and negligible work next to a stream. */
    static final long REFRESH_NANOS = 250_000_000L;

    /** One status line at the bottom of a terminal; what else is printed goes above it. */
    public interface Screen extends AutoCloseable {
        /** Columns of the terminal now (it may have been resized). */
        int width();

        /** Replaces the status line by {@code line}, which fits {@link #width()}. */
        void show(String line);

        /** Removes the status line. */
        void clear();

        /** Removes the status line for good and gives the terminal back. */
        @Override
        void close();
    }

    private final Screen screen;
    private final LongSupplier nanoTime;
    private final boolean autoRefresh;
    private final List<Transfer> active = new ArrayList<>();
    private final RateMeter overallMeter = new RateMeter();
    private long finishedBytes;
    private String phase;
    private long phaseSince;
    private ScheduledExecutorService ticker;
    /** Kept also without a screen: a pass stopped by a signal says where it was ({@link #where()}). */
    private volatile String lastPhase;

    private final Set<String> sending = ConcurrentHashMap.newKeySet();
    private long lastDraw;
    private boolean drawn;
    private boolean closed;

    /** Tests drive the clock and call {@link #tick()} themselves; {@code screen == null} means quiet. */
    Progress(Screen screen, LongSupplier nanoTime, boolean autoRefresh) {
        this.screen = screen;
        this.nanoTime = nanoTime;
        this.autoRefresh = autoRefresh;
    }

    /** Prints nothing. */
    public static Progress quiet() {
        return new Progress(null, System::nanoTime, false);
    }

    /** Draws on {@code screen}, redrawn on a daemon thread until {@link #close()}. */
    public static Progress on(Screen screen) {
        return new Progress(screen, System::nanoTime, true);
    }

    public boolean enabled() {
        return screen != null;
    }

    /**
     * What the pass does while no stream runs, e.g. "job laptop: connecting to root@box:22"; shown at once,
     * with the seconds it has taken, so a slow connect is not silence. Null shows nothing until a send.
     */
    public void phase(String text) {
        if (text != null) lastPhase = text;
        if (screen == null) return;
        synchronized (this) {
            if (closed) return;
            phase = text;
            phaseSince = nanoTime.getAsLong();
            startTicker();
            draw(true);
        }
    }

    /**
     * Where the pass is, for a log line when it is stopped: the last phase, and the sends still running
     * ("job laptop: replicating 2 filesystems; sending rpool/home @a -> @b"); "starting" before any phase.
     */
    public String where() {
        String phase = lastPhase == null ? "starting" : lastPhase;
        List<String> now = new ArrayList<>(sending);
        Collections.sort(now);
        return now.isEmpty() ? phase : phase + "; sending " + String.join(", ", now);
    }

    /**
     * Starts showing a send named {@code label}; read the stream through {@link Transfer#stream()}. The
     * line is cleared at the stream's end already, before the box's report of the receive is logged.
     */
    public Transfer begin(String label, InputStream stream) {
        return show(new Transfer(label, stream));
    }

    /**
     * Starts showing a send whose bytes do not pass through this JVM (zfs send writes into the channel): its
     * count is what {@link Transfer#report} is told, the box's count of what arrived.
     */
    public Transfer begin(String label) {
        return show(new Transfer(label, null));
    }

    private Transfer show(Transfer t) {
        sending.add(t.label);
        if (screen == null) return t;
        synchronized (this) {
            if (closed) return t;
            long now = nanoTime.getAsLong();
            long sent = finishedBytes;
            for (Transfer other : active) sent += other.bytes();
            overallMeter.sample(now, sent);
            active.add(t);
            t.meter.sample(now, 0);
            startTicker();
        }
        return t;
    }

    private void startTicker() {
        if (autoRefresh && ticker == null) {
            ticker = Executors.newSingleThreadScheduledExecutor(r -> {
                Thread thread = new Thread(r, "progress");
                thread.setDaemon(true);
                return thread;
            });
            var unused = ticker.scheduleAtFixedRate(this::tick, REFRESH_NANOS, REFRESH_NANOS, TimeUnit.NANOSECONDS);
        }
    }

    /** Samples every send in flight and redraws the line, unless it was drawn less than a refresh ago. */
    synchronized void tick() {
        if (screen == null) return;
        draw(false);
    }

    private void draw(boolean now) {
        if (closed) return;
        long t = nanoTime.getAsLong();
        long sent = finishedBytes;
        for (Transfer tr : active) {
            long bytes = tr.bytes();
            tr.meter.sample(t, bytes);
            sent += bytes;
        }
        // The pass's rate counts while sends run, not the connect and listing before the first one.
        if (!active.isEmpty()) overallMeter.sample(t, sent);
        if (active.isEmpty() && phase == null) return;
        if (!now && drawn && t - lastDraw < REFRESH_NANOS) return;
        List<ProgressLine.Send> sends = new ArrayList<>();
        for (Transfer tr : active) {
            sends.add(
                    new ProgressLine.Send(tr.label, tr.bytes(), tr.total, tr.meter.bytesPerSecond(), tr.secondsLeft()));
        }
        ProgressLine.Overall overall =
                new ProgressLine.Overall(sent, overallMeter.bytesPerSecond(), phase, (t - phaseSince) / 1_000_000_000L);
        screen.show(ProgressLine.render(overall, sends, screen.width()));
        lastDraw = t;
        drawn = true;
    }

    private synchronized void end(Transfer t) {
        if (!active.remove(t)) return;
        finishedBytes += t.bytes();
        long sent = finishedBytes;
        for (Transfer other : active) sent += other.bytes();
        overallMeter.sample(nanoTime.getAsLong(), sent);
        if (!drawn || closed) return;
        if (active.isEmpty() && phase == null) {
            screen.clear();
            drawn = false;
        } else {
            draw(true);
        }
    }

    /** Stops redrawing and gives the screen back, before the summary is printed. */
    @Override
    public void close() {
        if (screen == null) return;
        ScheduledExecutorService stopping;
        synchronized (this) {
            if (closed) return;
            closed = true;
            stopping = ticker;
            ticker = null;
            phase = null;
            drawn = false;
        }
        if (stopping != null) stopping.shutdownNow();
        synchronized (this) {
            screen.close();
        }
    }

    /** One send on display; closing it takes it off the line. */
    public final class Transfer implements AutoCloseable {
        private final String label;
        private volatile OptionalLong total = OptionalLong.empty();
        /** The stream read through this JVM, counted; null for a stream that goes around it. */
        private final CountingInputStream stream;

        private final AtomicLong reported = new AtomicLong();
        private final RateMeter meter = new RateMeter();

        private Transfer(String label, InputStream in) {
            this.label = label;
            this.stream = in == null ? null : new CountingInputStream(in, this::close);
        }

        /** The send stream, counted. */
        public InputStream stream() {
            if (stream == null) {
                throw new IllegalStateException(label + ": the stream does not pass through the agent");
            }
            return stream;
        }

        public long bytes() {
            return stream == null ? reported.get() : stream.count();
        }

        /** For a send begun without a stream: how many of its bytes have arrived so far. */
        public void report(long bytes) {
            reported.set(bytes);
        }

        /** zfs's estimate of the stream's size; it comes while the stream runs (until then: no percentage). */
        public void estimated(OptionalLong size) {
            total = size;
        }

        private OptionalLong secondsLeft() {
            return total.isPresent() ? meter.secondsLeft(total.getAsLong()) : OptionalLong.empty();
        }

        @Override
        public void close() {
            sending.remove(label);
            if (screen != null) end(this);
        }
    }
}
