package dev.zreplj.replication;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class ProgressTest {
    private static final long MS = 1_000_000L;
    private static final long MIB = 1L << 20;

    /** What a terminal would have been told, one entry per call. */
    private static final class Recording implements Progress.Screen {
        final List<String> calls = new ArrayList<>();
        int width = 200;

        @Override
        public int width() {
            return width;
        }

        @Override
        public void show(String line) {
            assertTrue(line.length() < width, "wider than the terminal: " + line);
            calls.add(line);
        }

        @Override
        public void clear() {
            calls.add("<clear>");
        }

        @Override
        public void close() {
            calls.add("<close>");
        }

        List<String> take() {
            List<String> out = List.copyOf(calls);
            calls.clear();
            return out;
        }
    }

    @Test
    void drawsInPlaceAtMostFourTimesASecondWithTotalRateAndEtaThenClears() throws IOException {
        AtomicLong clock = new AtomicLong();
        Recording screen = new Recording();
        Progress progress = new Progress(screen, clock::get, false);
        assertTrue(progress.enabled());
        byte[] data = new byte[(int) (40 * MIB)];
        try (Progress.Transfer t = progress.begin("p/fs full @b", new ByteArrayInputStream(data))) {
            t.estimated(OptionalLong.of(data.length));
            InputStream in = t.stream();
            byte[] buf = new byte[(int) MIB];
            for (int second = 1; second <= 2; second++) {
                for (int i = 0; i < 10; i++) in.read(buf);
                clock.addAndGet(1000 * MS);
                progress.tick();
            }
            assertEquals(20 * MIB, t.bytes());
            assertEquals(
                    List.of(
                            "total 10.0 MiB, 10.0 MiB/s | p/fs full @b: 10.0 MiB of 40.0 MiB (25%), 10.0 MiB/s, ETA 0:03",
                            "total 20.0 MiB, 10.0 MiB/s | p/fs full @b: 20.0 MiB of 40.0 MiB (50%), 10.0 MiB/s, ETA 0:02"),
                    screen.take());

            clock.addAndGet(100 * MS);
            progress.tick();
            assertEquals(List.of(), screen.take(), "redrawn only a quarter second after the last");
            clock.addAndGet(150 * MS);
            progress.tick();
            assertEquals(
                    List.of(
                            "total 20.0 MiB, 8.9 MiB/s | p/fs full @b: 20.0 MiB of 40.0 MiB (50%), 8.9 MiB/s, ETA 0:03"),
                    screen.take());
            in.readAllBytes();
            assertEquals(List.of("<clear>"), screen.take(), "cleared at the end of the stream, as no phase is set");
        }
        assertEquals(List.of(), screen.take(), "closing after the end clears nothing more");
        progress.close();
        assertEquals(List.of("<close>"), screen.take());
    }

    @Test
    void thePhaseShowsAtOnceWithItsSecondsAndTheTotalCarriesOverFinishedSends() throws IOException {
        AtomicLong clock = new AtomicLong();
        Recording screen = new Recording();
        Progress progress = new Progress(screen, clock::get, false);
        progress.phase("job j: connecting to root@box:22");
        assertEquals(List.of("job j: connecting to root@box:22 (0 s)"), screen.take(), "drawn before any tick");
        clock.addAndGet(9000 * MS);
        progress.tick();
        assertEquals(List.of("job j: connecting to root@box:22 (9 s)"), screen.take());
        progress.phase("job j: replicating 2 filesystems");
        screen.take();
        try (Progress.Transfer t = progress.begin("p/a full @s", new ByteArrayInputStream(new byte[(int) MIB]))) {
            t.stream().readAllBytes();
        }
        assertEquals(
                List.of("job j: replicating 2 filesystems (0 s) | total 1.0 MiB"),
                screen.take(),
                "the end of a send redraws at once: the phase again, with the pass's bytes (no rate: it took no time)");
        clock.addAndGet(2000 * MS);
        progress.tick();
        assertEquals(List.of("job j: replicating 2 filesystems (2 s) | total 1.0 MiB"), screen.take());
        progress.close();
        progress.phase("job j: pruning");
        progress.tick();
        assertEquals(List.of("<close>"), screen.take(), "nothing after close");
    }

    @Test
    void concurrentSendsShareOneLineThatFollowsTheTerminalsWidth() {
        AtomicLong clock = new AtomicLong();
        Recording screen = new Recording();
        Progress progress = new Progress(screen, clock::get, false);
        Progress.Transfer a = progress.begin("p/a full @s", new ByteArrayInputStream(new byte[0]));
        Progress.Transfer b = progress.begin("p/b full @s", new ByteArrayInputStream(new byte[0]));
        progress.tick();
        assertEquals(List.of("total 0 B | p/a full @s: 0 B | p/b full @s: 0 B"), screen.take());
        a.close();
        assertEquals(List.of("total 0 B | p/b full @s: 0 B"), screen.take(), "redrawn at once without it");
        screen.width = 30;
        clock.addAndGet(300 * MS);
        progress.tick();
        assertEquals(List.of("total 0 B | p/b full @s: 0 B"), screen.take(), "a resize takes effect at the next draw");
        b.close();
        assertEquals(List.of("<clear>"), screen.take(), "a send closed early (a failure) clears too");
    }

    @Test
    void quietPrintsNothingButStillPassesTheStreamThrough() throws IOException {
        Progress quiet = Progress.quiet();
        assertFalse(quiet.enabled());
        quiet.phase("job j: connecting");
        try (Progress.Transfer t = quiet.begin("x", new ByteArrayInputStream(new byte[] {1, 2, 3}))) {
            assertEquals(3, t.stream().readAllBytes().length);
            assertEquals(3, t.bytes());
        }
        quiet.tick();
        quiet.close();
    }

    @Test
    void aQuietProgressStillKnowsWhereThePassIsForTheStopLine() {
        Progress quiet = Progress.quiet();
        assertEquals("starting", quiet.where());
        quiet.phase("job laptop: replicating 1 filesystem");
        Progress.Transfer send = quiet.begin("rpool/home @a -> @b");
        assertEquals("job laptop: replicating 1 filesystem; sending rpool/home @a -> @b", quiet.where());
        send.close();
        assertEquals("job laptop: replicating 1 filesystem", quiet.where());
        quiet.close();
    }
}
