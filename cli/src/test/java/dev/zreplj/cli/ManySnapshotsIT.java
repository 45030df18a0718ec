package dev.zreplj.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.zreplj.zfs.DatasetName;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A first pass over a filesystem with many snapshots (a migration from zrepl or sanoid, a box not pruned for
 * months): every one is replicated, then the keep rules prune both sides to a handful in that one pass, and
 * the summary, the box's log, {@code box list} and {@code status} stay readable. zfs-fuse takes about 0.1 s per
 * snapshot made or destroyed, so the test's count is small; {@code -Dzreplj.scale.snapshots=4000} runs the
 * same by hand at scale.
 */
@Tag("system")
@Timeout(value = 3, unit = TimeUnit.HOURS)
class ManySnapshotsIT {
    private static final int COUNT = Integer.getInteger("zreplj.scale.snapshots", 150);
    /** Longest line the agent's summary or the box's log may have: names are counted, not all listed. */
    private static final int MAX_LINE = 1500;

    @TempDir
    Path tmp;

    private static final String TAIL = String.join(
            "\n",
            "    conflict_resolution:",
            "      initial_replication: all",
            "    pruning:",
            "      keep_sender:",
            "        - type: not_replicated",
            "        - type: last_n",
            "          count: 3",
            "      keep_receiver:",
            "        - type: last_n",
            "          count: 3",
            "");

    private static long millisSince(long start) {
        return (System.nanoTime() - start) / 1_000_000;
    }

    private static int longestLine(String s) {
        return s.lines().mapToInt(String::length).max().orElse(0);
    }

    /** The start of the longest line, to say which one it is. */
    private static String longest(String s) {
        String line =
                s.lines().max(java.util.Comparator.comparingInt(String::length)).orElse("");
        return line.substring(0, Math.min(200, line.length()));
    }

    @Test
    void aFirstPassReplicatesThousandsOfSnapshotsAndPrunesBothSidesToAHandful() throws Exception {
        try (EndToEnd e = new EndToEnd(tmp, "\"SRC/home\": true", TAIL, "")) {
            DatasetName home = e.pools.createFilesystem(e.src.child("home"));
            long start = System.nanoTime();
            ExecutorService makers = Executors.newFixedThreadPool(4);
            List<Future<?>> made = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                int first = t;
                made.add(makers.submit(() -> {
                    for (int i = first; i < COUNT - 1; i += 4) {
                        e.pools.snapshot(home, String.format("zrepl_%05d", i));
                    }
                }));
            }
            for (Future<?> f : made) f.get();
            makers.shutdown();
            // The last by name also the last taken: the box keeps last_n by creation, ties (made in parallel within
            // one second) by name, as zrepl, and also the last one received (its hold); with another snapshot
            // taken last, that is a fourth.
            e.pools.snapshot(home, String.format("zrepl_%05d", COUNT - 1));
            System.out.printf("scale: %d snapshots made in %d ms%n", COUNT, millisSince(start));

            start = System.nanoTime();
            EndToEnd.Run run = e.zreplj(
                    List.of("--config", e.agentConfig.toString(), "--summary", "agent", "once"), null, 3 * 3600);
            long passMillis = millisSince(start);
            System.out.printf(
                    "scale: first pass %d ms, summary %d bytes, longest line %d%n",
                    passMillis,
                    run.stdout().length() + run.stderr().length(),
                    longestLine(run.stdout() + run.stderr()));
            assertEquals(
                    0,
                    run.exit(),
                    () -> run.toString().substring(0, Math.min(run.toString().length(), 5000)));

            // not_replicated keeps the cursor's snapshot, last_n(3) the newest three: a handful on each side.
            List<String> sender = e.pools.snapshotNames(home);
            List<String> box = e.pools.snapshotNames(e.jail.child(home.value()));
            assertTrue(sender.size() <= 4, () -> "sender keeps " + sender.size());
            assertEquals(3, box.size(), () -> "box keeps " + box);
            assertTrue(
                    longestLine(run.stdout() + run.stderr()) <= MAX_LINE,
                    () -> "the summary names a few, counts the rest: " + longest(run.stdout() + run.stderr()));
            String boxLog = java.nio.file.Files.readString(e.dir.resolve("box-state/log/stdinserver.log"));
            System.out.printf("scale: box log %d bytes, longest line %d%n", boxLog.length(), longestLine(boxLog));
            assertTrue(
                    longestLine(boxLog) <= MAX_LINE,
                    () -> "the box's log names a few, counts the rest: " + longest(boxLog));

            start = System.nanoTime();
            EndToEnd.Run list = e.zreplj(List.of("--config", e.agentConfig.toString(), "box", "list"), null);
            System.out.printf(
                    "scale: box list %d ms, %d bytes%n",
                    millisSince(start), list.stdout().length());
            assertEquals(0, list.exit(), list::toString);
            start = System.nanoTime();
            EndToEnd.Run status = e.zreplj(List.of("--config", e.agentConfig.toString(), "status", "--json"), null);
            System.out.printf(
                    "scale: status --json %d ms, %d bytes%n",
                    millisSince(start), status.stdout().length());
            assertEquals(0, status.exit(), status::toString);
            start = System.nanoTime();
            EndToEnd.Run second =
                    e.zreplj(List.of("--config", e.agentConfig.toString(), "--summary", "agent", "once"), null, 3600);
            System.out.printf("scale: second pass %d ms%n", millisSince(start));
            assertEquals(0, second.exit(), second::toString);
        }
    }
}
