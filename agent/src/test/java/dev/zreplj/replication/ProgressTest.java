package dev.zreplj.replication;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.OptionalDouble;
import java.util.OptionalLong;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class ProgressTest {
    private static final long MS = 1_000_000L;
    private static final long MIB = 1L << 20;

    @Test
    void describesSentTotalPercentRateAndEta() {
        assertEquals("p/fs full @b: 1.0 GiB of 4.0 GiB (25%), 100.0 MiB/s, ETA 0:31",
                Progress.describe("p/fs full @b", 1L << 30, OptionalLong.of(4L << 30), OptionalDouble.of(100 * MIB),
                        OptionalLong.of(31)));
        assertEquals("p/fs @a -> @b: 512 B", Progress.describe("p/fs @a -> @b", 512, OptionalLong.empty(),
                OptionalDouble.empty(), OptionalLong.empty()));
        assertEquals("x: 1.5 MiB, 2.0 KiB/s", Progress.describe("x", 3 * MIB / 2, OptionalLong.empty(),
                OptionalDouble.of(2048), OptionalLong.empty()));
    }

    @Test
    void percentStaysBelowHundredUntilTheEstimateIsReachedAndZeroTotalShowsNone() {
        assertEquals("x: 1023 B of 1.0 KiB (99%)", Progress.describe("x", 1023, OptionalLong.of(1024),
                OptionalDouble.empty(), OptionalLong.empty()));
        assertEquals("x: 2.0 KiB of 1.0 KiB (100%)", Progress.describe("x", 2048, OptionalLong.of(1024),
                OptionalDouble.empty(), OptionalLong.empty()));
        assertEquals("x: 0 B", Progress.describe("x", 0, OptionalLong.of(0), OptionalDouble.empty(), OptionalLong.empty()));
    }

    @Test
    void durations() {
        assertEquals("0:00", Progress.duration(0));
        assertEquals("0:59", Progress.duration(59));
        assertEquals("1:00", Progress.duration(60));
        assertEquals("59:59", Progress.duration(3599));
        assertEquals("1:00:00", Progress.duration(3600));
        assertEquals("26:03:07", Progress.duration(26 * 3600 + 187));
    }

    @Test
    void onlyAnInteractiveTerminalGetsProgress() {
        assertTrue(Progress.interactive(true, "xterm-256color", "/dev/pts/3"));
        assertTrue(Progress.interactive(true, "linux", "/dev/tty1"));
        assertTrue(Progress.interactive(true, "xterm", null));
        assertFalse(Progress.interactive(false, "xterm", "/dev/pts/3"), "no console: systemd, cron, pipes");
        assertFalse(Progress.interactive(true, "dumb", "/dev/pts/3"));
        assertFalse(Progress.interactive(true, null, "/dev/pts/3"));
        assertFalse(Progress.interactive(true, "", "/dev/pts/3"));
        assertFalse(Progress.interactive(true, "xterm", "/tmp/agent.log"), "stderr redirected to a file");
        assertFalse(Progress.interactive(true, "xterm", "pipe:[12345]"));
    }

    @Test
    void widthFromColumns() {
        assertEquals(80, Progress.width(null));
        assertEquals(80, Progress.width("wide"));
        assertEquals(80, Progress.width("5"));
        assertEquals(132, Progress.width(" 132 "));
    }

    @Test
    void drawsInPlaceAtMostFourTimesASecondWithRateAndEtaThenClears() throws IOException {
        AtomicLong clock = new AtomicLong();
        ByteArrayOutputStream screen = new ByteArrayOutputStream();
        Progress progress = new Progress(new PrintStream(screen, true, StandardCharsets.UTF_8), clock::get, 200, false);
        assertTrue(progress.enabled());
        byte[] data = new byte[(int) (40 * MIB)];
        try (Progress.Transfer t = progress.begin("p/fs full @b", OptionalLong.of(data.length),
                new ByteArrayInputStream(data))) {
            InputStream in = t.stream();
            byte[] buf = new byte[(int) MIB];
            for (int second = 1; second <= 2; second++) {
                for (int i = 0; i < 10; i++) in.read(buf);
                clock.addAndGet(1000 * MS);
                progress.tick();
            }
            assertEquals(20 * MIB, t.bytes());
            String shown = screen.toString(StandardCharsets.UTF_8);
            assertEquals("\rp/fs full @b: 10.0 MiB of 40.0 MiB (25%), 10.0 MiB/s, ETA 0:03\033[K"
                    + "\rp/fs full @b: 20.0 MiB of 40.0 MiB (50%), 10.0 MiB/s, ETA 0:02\033[K", shown);

            screen.reset();
            clock.addAndGet(100 * MS);
            progress.tick();
            assertEquals("", screen.toString(StandardCharsets.UTF_8), "redrawn only a quarter second after the last");
            clock.addAndGet(150 * MS);
            progress.tick();
            assertEquals("\rp/fs full @b: 20.0 MiB of 40.0 MiB (50%), 8.9 MiB/s, ETA 0:03\033[K",
                    screen.toString(StandardCharsets.UTF_8));
            screen.reset();
            in.readAllBytes();
            assertEquals("\r\033[K", screen.toString(StandardCharsets.UTF_8), "cleared at the end of the stream");
            screen.reset();
        }
        assertEquals("", screen.toString(StandardCharsets.UTF_8), "closing after the end clears nothing more");
    }

    @Test
    void concurrentSendsShareOneLineCutToTheWidth() {
        AtomicLong clock = new AtomicLong();
        ByteArrayOutputStream screen = new ByteArrayOutputStream();
        Progress progress = new Progress(new PrintStream(screen, true, StandardCharsets.UTF_8), clock::get, 40, false);
        Progress.Transfer a = progress.begin("p/a full @s", OptionalLong.empty(), new ByteArrayInputStream(new byte[0]));
        Progress.Transfer b = progress.begin("p/b full @s", OptionalLong.empty(), new ByteArrayInputStream(new byte[0]));
        progress.tick();
        assertEquals("\rp/a full @s: 0 B | p/b full @s: 0 B\033[K", screen.toString(StandardCharsets.UTF_8));
        screen.reset();
        a.close();
        assertEquals("", screen.toString(StandardCharsets.UTF_8), "still one send in flight");
        Progress.Transfer c = progress.begin("p/c-with-a-much-longer-name full @s", OptionalLong.empty(),
                new ByteArrayInputStream(new byte[0]));
        clock.addAndGet(300 * MS);
        progress.tick();
        assertEquals("\rp/b full @s: 0 B | p/c-with-a-much-long\033[K", screen.toString(StandardCharsets.UTF_8));
        screen.reset();
        b.close();
        c.close();
        assertEquals("\r\033[K", screen.toString(StandardCharsets.UTF_8), "a send closed early (a failure) clears too");
    }

    @Test
    void quietPrintsNothingButStillPassesTheStreamThrough() throws IOException {
        Progress quiet = Progress.quiet();
        assertFalse(quiet.enabled());
        try (Progress.Transfer t = quiet.begin("x", OptionalLong.of(3), new ByteArrayInputStream(new byte[] {1, 2, 3}))) {
            assertEquals(3, t.stream().readAllBytes().length);
            assertEquals(3, t.bytes());
        }
        quiet.tick();
    }
}
