package dev.zreplj.cli;

import dev.zreplj.replication.Progress;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.Charset;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.jline.terminal.Terminal;
import org.jline.terminal.TerminalBuilder;
import org.jline.utils.InfoCmp.Capability;

/**
 * The progress line at the bottom of the terminal, through JLine: the terminal's real width (asked again
 * at each redraw, so a resize takes effect), its own carriage-return and clear-to-end-of-line sequences,
 * and, while it is open, everything written to {@code System.err} (the log, warnings) printed above the
 * line instead of through it. {@code agent once}, {@code agent run} and {@code restore} open one for the
 * duration of their work and close it before printing their summary.
 */
final class TerminalScreen implements Progress.Screen {
    private static final int FALLBACK_WIDTH = 80;
    /** JLine reports a terminal it cannot open to java.util.logging, which would print outside our lines. */
    private static final java.util.logging.Logger JLINE_LOG = java.util.logging.Logger.getLogger("org.jline");

    private final Terminal terminal;
    private final PrintWriter writer;
    private final PrintStream stderr;
    private String line;

    /** @param stderr restored as {@code System.err} at {@link #close()}; null when it was never replaced */
    TerminalScreen(Terminal terminal, PrintStream stderr) {
        this.terminal = terminal;
        this.writer = terminal.writer();
        this.stderr = stderr;
    }

    /**
     * The progress display for this output mode: on an interactive terminal and not quiet, a line on
     * stderr; otherwise (cron, systemd, a pipe, a file, {@code -q}) one that prints nothing, without
     * loading JLine at all.
     */
    // zreplj runs on Java 17 to 21, where System.console() is null unless stdin and stdout are a terminal
    // (Java 22 returns a console regardless; there Console.isTerminal() would say it).
    @SuppressWarnings("SystemConsoleNull")
    static Progress progress(Output output) {
        if (output == Output.QUIET || !interactive(System.console() != null, System.getenv("TERM"), stderrTarget())) {
            return Progress.quiet();
        }
        return open().map(Progress::on).orElseGet(Progress::quiet);
    }

    /**
     * A console (stdin and stdout on a terminal, so not systemd, cron or a pipe), a TERM that can move the
     * cursor, and stderr itself on a terminal where /proc can tell.
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

    /** The system terminal on stderr; empty when JLine finds none it can drive (then no progress at all). */
    static Optional<TerminalScreen> open() {
        JLINE_LOG.setLevel(java.util.logging.Level.OFF);
        Terminal terminal;
        try {
            // No signal handlers of JLine's: Ctrl-C must stay the JVM's, whose shutdown stops zfs send.
            terminal = TerminalBuilder.builder()
                    .system(true)
                    .systemOutput(TerminalBuilder.SystemOutput.SysErr)
                    .nativeSignals(false)
                    .dumb(false)
                    .build();
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
        PrintStream original = System.err;
        TerminalScreen screen = new TerminalScreen(terminal, original);
        System.setErr(new PrintStream(new Above(screen), true, Charset.defaultCharset()));
        return Optional.of(screen);
    }

    @Override
    public synchronized int width() {
        int w = terminal.getWidth();
        return w > 0 ? w : FALLBACK_WIDTH;
    }

    @Override
    public synchronized void show(String text) {
        if (text.equals(line)) return;
        line = text;
        draw();
        writer.flush();
    }

    @Override
    public synchronized void clear() {
        if (line != null) {
            erase();
            writer.flush();
        }
        line = null;
    }

    /** Prints one line of other output above the progress line, which is drawn again below it. */
    synchronized void printAbove(String text) {
        if (line != null) erase();
        writer.print(text);
        writer.print('\n');
        if (line != null) draw();
        writer.flush();
    }

    private void draw() {
        terminal.puts(Capability.carriage_return);
        writer.print(line);
        terminal.puts(Capability.clr_eol);
    }

    private void erase() {
        terminal.puts(Capability.carriage_return);
        terminal.puts(Capability.clr_eol);
    }

    @Override
    public void close() {
        clear();
        if (stderr != null) {
            System.err.flush();
            System.setErr(stderr);
        }
        try {
            terminal.close();
        } catch (IOException e) {
            // Nothing is left to restore: the terminal's modes were never changed.
        }
    }

    /** System.err while the screen is open: whole lines go above the progress line. */
    static final class Above extends OutputStream {
        private final TerminalScreen screen;
        private final ByteArrayOutputStream pending = new ByteArrayOutputStream();

        Above(TerminalScreen screen) {
            this.screen = screen;
        }

        @Override
        public synchronized void write(int b) {
            if (b == '\n') {
                screen.printAbove(pending.toString(Charset.defaultCharset()));
                pending.reset();
            } else {
                pending.write(b);
            }
        }

        @Override
        public synchronized void write(byte[] b, int off, int len) {
            for (int i = off; i < off + len; i++) write(b[i]);
        }

        @Override
        public synchronized void close() {
            if (pending.size() > 0) write('\n');
        }
    }
}
