package dev.zreplj.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.zreplj.replication.Progress;
import java.io.ByteArrayOutputStream;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.jline.terminal.Size;
import org.jline.terminal.Terminal;
import org.jline.terminal.TerminalBuilder;
import org.junit.jupiter.api.Test;

class TerminalScreenTest {
    /** An xterm as JLine knows it, writing into {@code screen}, {@code columns} wide. */
    private static Terminal xterm(ByteArrayOutputStream screen, int columns) throws Exception {
        // An input that never ends: JLine's external terminal closes itself at the end of its input. The exec
        // provider's terminal over streams writes at once; the JNI one would pump through a pty of its own.
        PipedInputStream keyboard = new PipedInputStream(new PipedOutputStream());
        return TerminalBuilder.builder()
                .system(false)
                .provider("exec")
                .type("xterm")
                .encoding(StandardCharsets.UTF_8)
                .streams(keyboard, screen)
                .size(new Size(columns, 24))
                .build();
    }

    /** What the terminal received, its control characters made visible. */
    private static String shown(ByteArrayOutputStream screen) {
        return screen.toString(StandardCharsets.UTF_8)
                .replace("\r", "\\r")
                .replace("\n", "\\n")
                .replace("\033", "\\e");
    }

    @Test
    void logLinesGoAboveTheProgressLineWhichIsDrawnAgainBelowThem() throws Exception {
        ByteArrayOutputStream screen = new ByteArrayOutputStream();
        TerminalScreen ts = new TerminalScreen(xterm(screen, 80), null);
        assertEquals(80, ts.width());
        ts.show("job j: connecting to root@box:22 (1 s)");
        PrintStream err = new PrintStream(new TerminalScreen.Above(ts), true, StandardCharsets.UTF_8);
        err.print("12:00:00.000 WARN  job j: a warning");
        assertEquals(
                "\\rjob j: connecting to root@box:22 (1 s)\\e[K",
                shown(screen),
                "half a line is held back: nothing is printed through the progress line");
        screen.reset();
        err.println(" about something");
        assertEquals(
                "\\r\\e[K12:00:00.000 WARN  job j: a warning about something\\r\\n"
                        + "\\rjob j: connecting to root@box:22 (1 s)\\e[K",
                shown(screen));
        screen.reset();
        ts.show("job j: connecting to root@box:22 (1 s)");
        assertEquals("", shown(screen), "the same line is not sent again (four redraws a second)");
        ts.clear();
        assertEquals("\\r\\e[K", shown(screen));
        screen.reset();
        err.println("after the line is gone");
        assertEquals("after the line is gone\\r\\n", shown(screen), "nothing to erase or redraw");
        ts.close();
    }

    @Test
    void theWidthIsTheTerminalsNowNotColumnsAndTheLineFitsIt() throws Exception {
        ByteArrayOutputStream screen = new ByteArrayOutputStream();
        Terminal terminal = xterm(screen, 200);
        TerminalScreen ts = new TerminalScreen(terminal, null);
        assertEquals(200, ts.width());
        terminal.setSize(new Size(40, 24));
        assertEquals(40, ts.width(), "a resize is seen at the next draw");
        ts.close();
    }

    @Test
    @SuppressWarnings("SystemConsoleNull") // Java 17 to 21: null without a terminal, as zreplj relies on
    void notOnAnInteractiveTerminalOrQuietThereIsNoDisplayAndNoByteOfIt() throws Exception {
        // Under mvn, as under cron or systemd, there is no console: the display must be the quiet one.
        assertFalse(System.console() != null, "this test needs to run without a terminal");
        PrintStream saved = System.err;
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        try {
            for (Output output : Output.values()) {
                try (Progress progress = TerminalScreen.progress(output)) {
                    assertFalse(progress.enabled(), output.name());
                    progress.phase("job j: connecting to root@box:22");
                }
            }
        } finally {
            System.setErr(saved);
        }
        assertEquals("", err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void onlyAnInteractiveTerminalGetsProgress() {
        assertTrue(TerminalScreen.interactive(true, "xterm-256color", "/dev/pts/3"));
        assertTrue(TerminalScreen.interactive(true, "linux", "/dev/tty1"));
        assertTrue(TerminalScreen.interactive(true, "xterm", null));
        assertFalse(TerminalScreen.interactive(false, "xterm", "/dev/pts/3"), "no console: systemd, cron, pipes");
        assertFalse(TerminalScreen.interactive(true, "dumb", "/dev/pts/3"));
        assertFalse(TerminalScreen.interactive(true, null, "/dev/pts/3"));
        assertFalse(TerminalScreen.interactive(true, "", "/dev/pts/3"));
        assertFalse(TerminalScreen.interactive(true, "xterm", "/tmp/agent.log"), "stderr redirected to a file");
        assertFalse(TerminalScreen.interactive(true, "xterm", "pipe:[12345]"));
    }
}
