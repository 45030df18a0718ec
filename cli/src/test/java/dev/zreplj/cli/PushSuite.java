package dev.zreplj.cli;

import static dev.zreplj.cli.EndToEnd.assertContains;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.zreplj.zfs.DatasetName;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The push suite, the same assertions wherever the setup lives: on zfs-fuse ({@link EndToEndIT}) and
 * in the OpenZFS lab guest ({@link OpenZfsPushIT}).
 */
abstract class PushSuite {
    static final String HOME_FILTER = "\"SRC/home<\": true\n\"SRC/home/cache\": false";

    @TempDir
    Path tmp;

    /**
     * The least the agent may take beyond replication.timeout to exit after its receiver stalled: the
     * watchdog's sampling (at most 1 s), aborting the channel, opening a fresh one for pruning and pruning
     * both sides. Where a whole healthy run takes longer (the TCG guest on a loaded host: a JVM start
     * there took 29 s at load 9 on 2 cores), the margin is that run's time.
     */
    static final int STALL_MARGIN_SECONDS = 30;

    /** A fresh setup whose agent selects filesystems with this filter ("SRC" stands for the source pool). */
    PushSetup open(Path dir, String filesystemsYaml) throws IOException {
        return open(dir, filesystemsYaml, EndToEnd.DEFAULT_JOB_TAIL);
    }

    /** The same with the push job's YAML after its snapshotting section (see {@link EndToEnd#DEFAULT_JOB_TAIL}). */
    abstract PushSetup open(Path dir, String filesystemsYaml, String jobTail) throws IOException;

    /**
     * The least replication.timeout for the stalled-receiver test. The watchdog guards the box's HELLO too
     * (a stdinserver JVM start), so the test takes at least one and a half healthy runs.
     */
    abstract int stallTimeoutSeconds();

    /** The source listing as it must look on the box: every name moved into the client's jail. */
    static String expectedOnBox(PushSetup e, String sourceListing) {
        return sourceListing
                .lines()
                .map(l -> e.jail().value() + "/" + l)
                .collect(Collectors.joining("\n", "", sourceListing.isEmpty() ? "" : "\n"));
    }

    /**
     * conflict_resolution.allow_rollback: the laptop was rolled back and took a new snapshot, so the box holds
     * one the laptop no longer has. With allow_rollback the box's copy is received over (zfs recv -F): its
     * newer snapshot goes, although it carries the last-received hold, and the new one lands with its guid.
     */
    @Test
    void aDivergedSourceIsReceivedOverWhenAllowRollbackSaysSo() throws Exception {
        String tail = EndToEnd.DEFAULT_JOB_TAIL + "    conflict_resolution:\n      allow_rollback: true\n";
        try (PushSetup e = open(tmp, HOME_FILTER, tail)) {
            DatasetName home = e.createFilesystem(e.src().child("home"));
            DatasetName onBox = e.jail().child(home.value());
            e.writeRandomFile(home, "one.bin", 1 << 20);
            EndToEnd.Run first = e.agent("agent", "once", "--snapshot");
            assertEquals(0, first.exit(), first::toString);
            e.writeRandomFile(home, "two.bin", 1 << 20);
            EndToEnd.Run second = e.agent("agent", "once", "--snapshot");
            assertEquals(0, second.exit(), second::toString);
            List<String> received = e.snapshotNames(onBox);
            assertEquals(2, received.size(), received::toString);

            // Where zfs has no bookmarks the agent holds its cursor snapshot: whoever rolls back releases it first.
            String cursor = home + "@" + received.get(1);
            if (!"0".equals(e.get(cursor, "userrefs"))) {
                e.zfs("release", "zrepl_CURSOR_J_laptop_to_box", cursor);
            }
            e.zfs("rollback", "-r", home + "@" + received.get(0));
            e.writeRandomFile(home, "three.bin", 1 << 20);
            EndToEnd.Run third = e.agent("agent", "once", "--snapshot");
            assertEquals(0, third.exit(), third::toString);
            String source = e.snapshotsWithGuids(home);
            assertEquals(2, source.lines().count(), source);
            assertEquals(expectedOnBox(e, source), e.snapshotsWithGuids(e.jail()), "the box follows the laptop");
            assertFalse(e.snapshotNames(onBox).contains(received.get(1)), "the diverged snapshot is gone");
        }
    }

    @Test
    void replicatesSelectedFilesystemsThenOnlyTheIncrementThenNothing() throws Exception {
        try (PushSetup e = open(tmp, HOME_FILTER)) {
            DatasetName home = e.createFilesystem(e.src().child("home"));
            DatasetName docs = e.createFilesystem(home.child("docs"));
            DatasetName cache = e.createFilesystem(home.child("cache"));
            DatasetName other = e.createFilesystem(e.src().child("other"));
            e.writeRandomFile(home, "photo.bin", 3 << 20);
            e.writeRandomFile(docs, "note.bin", 1 << 20);

            EndToEnd.Run first = e.agent("agent", "once", "--snapshot");
            assertEquals(0, first.exit(), first::toString);
            assertContains(first.stdout(), "took snapshot @zrepl_", first);

            String source = e.snapshotsWithGuids(home);
            assertEquals(2, source.lines().count(), "one snapshot on home and one on docs:\n" + source);
            assertEquals(
                    1,
                    source.lines()
                            .map(l -> l.substring(l.indexOf('@'), l.indexOf('\t')))
                            .distinct()
                            .count(),
                    "both snapshots carry the same name:\n" + source);
            assertEquals(List.of(), e.snapshotNames(cache), "a filtered filesystem is not snapshotted");
            assertEquals(List.of(), e.snapshotNames(other), "a filtered filesystem is not snapshotted");
            assertEquals(expectedOnBox(e, source), e.snapshotsWithGuids(e.jail()), "same snapshots, same guids");
            assertEquals(
                    List.of(
                            e.jail().value(),
                            e.jail().child(e.src().value()).value(),
                            e.jail().child(home.value()).value(),
                            e.jail().child(docs.value()).value()),
                    e.datasets(e.jail()),
                    "children replicated, filtered ones not");
            assertEquals("no", e.get(e.jail().child(home.value()).value(), "mounted"), "never mounted on the box");
            assertEquals("on", e.get(e.jail().child(e.src().value()).value(), "zrepl:placeholder"));

            e.writeRandomFile(docs, "more.bin", 256 << 10);
            EndToEnd.Run second = e.agent("agent", "once", "--snapshot");
            assertEquals(0, second.exit(), second::toString);
            assertContains(second.stdout(), home.value() + ": replicated 1 step,", second);
            assertContains(second.stdout(), docs.value() + ": replicated 1 step,", second);
            String sourceAfter = e.snapshotsWithGuids(home);
            assertEquals(4, sourceAfter.lines().count(), sourceAfter);
            assertEquals(expectedOnBox(e, sourceAfter), e.snapshotsWithGuids(e.jail()));

            EndToEnd.Run third = e.agent("agent", "once");
            assertEquals(0, third.exit(), third::toString);
            assertFalse(third.stdout().contains("took snapshot"), "the interval has not passed: " + third);
            assertContains(third.stdout(), home.value() + ": up to date", third);
            assertEquals(sourceAfter, e.snapshotsWithGuids(home));
            assertEquals(expectedOnBox(e, sourceAfter), e.snapshotsWithGuids(e.jail()));
        }
    }

    @Test
    void changedHostKeyIsRefusedBeforeAnythingIsSent() throws Exception {
        try (PushSetup e = open(tmp, HOME_FILTER)) {
            e.createFilesystem(e.src().child("home"));
            e.pinImpostorHostKey();

            EndToEnd.Run run = e.agent("agent", "once", "--snapshot");
            assertEquals(1, run.exit(), run::toString);
            assertTrue(
                    run.stdout().toLowerCase(Locale.ROOT).contains("host key")
                            || run.stderr().toLowerCase(Locale.ROOT).contains("host key"),
                    run::toString);
            assertEquals(List.of(e.sinkRoot().value()), e.datasets(e.sinkRoot()), "the forced command never ran");
        }
    }

    @Test
    void stdinserverRefusesUnknownAndPathLikeClientsAndGarbage() throws Exception {
        try (PushSetup e = open(tmp, HOME_FILTER)) {
            List<String> before = e.datasets(e.dst());
            String config = e.sinkConfigPath();

            EndToEnd.Run stranger = e.zreplj(List.of("--config", config, "stdinserver", "stranger"), new byte[0]);
            assertEquals(1, stranger.exit(), stranger::toString);
            assertContains(stranger.stderr(), "stranger", stranger);

            for (String bad : List.of("../laptop", "laptop/x", "-x", "a@b", "")) {
                EndToEnd.Run run = e.zreplj(List.of("--config", config, "stdinserver", bad), new byte[0]);
                assertEquals(2, run.exit(), "client id '" + bad + "': " + run);
                assertEquals(1, run.stderr().strip().lines().count(), "one line: " + run);
            }

            byte[] garbage = "Welcome to the box!\n\u0000\u0001garbage".getBytes(StandardCharsets.UTF_8);
            EndToEnd.Run noise = e.zreplj(List.of("--config", config, "stdinserver", EndToEnd.CLIENT), garbage);
            assertNotEquals(0, noise.exit(), noise::toString);
            assertFalse(noise.stderr().contains("\tat "), "no stack trace: " + noise);
            assertFalse(noise.stderr().isBlank(), "says why: " + noise);

            assertEquals(before, e.datasets(e.dst()), "no change to the box's pool");
            assertEquals("", e.snapshotsWithGuids(e.dst()));
        }
    }

    @Test
    void agentKilledMidStreamLeavesNothingThatBlocksTheNextRun() throws Exception {
        try (PushSetup e = open(tmp, HOME_FILTER)) {
            DatasetName home = e.createFilesystem(e.src().child("home"));
            for (int i = 0; i < 6; i++) {
                e.writeRandomFile(home, "big" + i + ".bin", 8 << 20);
            }
            String target = e.jail().child(home.value()).value();
            e.killAgentWhileReceiving(target, "agent", "once", "--snapshot");
            // Let the box notice the dead connection and clean up its side.
            long settle = System.nanoTime() + 60_000_000_000L;
            while (e.receiving(target) && System.nanoTime() < settle) {
                Thread.sleep(50);
            }
            assertFalse(e.receiving(target), "zfs recv still running 60 s after the agent died");

            EndToEnd.Run next = e.agent("agent", "once");
            assertEquals(0, next.exit(), next::toString);
            String source = e.snapshotsWithGuids(home);
            assertEquals(1, source.lines().count(), source);
            assertEquals(expectedOnBox(e, source), e.snapshotsWithGuids(e.jail()));
        }
    }

    @Test
    void stalledReceiverIsCutByTheWatchdogAndPruningStillRuns() throws Exception {
        String tail = String.join(
                "\n",
                "    replication:",
                "      timeout: 10m",
                "      attempts: 1",
                "    pruning:",
                "      keep_sender:",
                "        - type: not_replicated",
                "        - type: last_n",
                "          count: 2",
                "      keep_receiver:",
                "        - type: last_n",
                "          count: 100",
                "");
        try (PushSetup e = open(tmp, HOME_FILTER, tail)) {
            DatasetName home = e.createFilesystem(e.src().child("home"));
            e.writeRandomFile(home, "small.bin", 64 << 10);
            double healthy = 0;
            for (int i = 0; i < 2; i++) {
                long started = System.nanoTime();
                EndToEnd.Run run = e.agent("agent", "once", "--snapshot");
                healthy = Math.max(healthy, (System.nanoTime() - started) / 1e9);
                assertEquals(0, run.exit(), run::toString);
            }
            int timeout = Math.max(stallTimeoutSeconds(), (int) Math.ceil(1.5 * healthy));
            int margin = Math.max(STALL_MARGIN_SECONDS, (int) Math.ceil(healthy));
            e.replaceInAgentConfig("timeout: 10m", "timeout: " + timeout + "s");
            List<String> replicated = e.snapshotNames(home);
            assertEquals(2, replicated.size(), replicated::toString);
            for (int i = 0; i < 6; i++) {
                e.writeRandomFile(home, "big" + i + ".bin", 8 << 20);
            }
            String target = e.jail().child(home.value()).value();
            try {
                PushSetup.Stalled stalled =
                        e.stallReceiver(target, timeout + margin + 60, "agent", "once", "--snapshot");
                System.out.printf(
                        "stalled receiver: the agent exited %.1f s after its stdinserver was stopped"
                                + " (replication.timeout %d s, margin %d s, a healthy run %.1f s)%n",
                        stalled.secondsFromStopToExit(), timeout, margin, healthy);
                System.out.print(stalled.output());
                assertEquals(1, stalled.exit(), stalled::toString);
                assertTrue(stalled.secondsFromStopToExit() >= timeout - 0.5, "cut before the timeout: " + stalled);
                assertTrue(stalled.secondsFromStopToExit() <= timeout + margin, stalled::toString);
                assertTrue(
                        stalled.output().contains(home.value() + ": failed after 0 steps: step ")
                                && stalled.output()
                                        .contains(": stalled: no progress for "
                                                + (timeout < 60 ? "" : timeout / 60 + "m") + timeout % 60 + "s at ")
                                && stalled.output().contains("; cancelled"),
                        stalled::toString);
                assertFalse(
                        stalled.output().contains("prune receiver: skipped"),
                        "the receiver is pruned over a" + " fresh channel: " + stalled);
                List<String> after = e.snapshotNames(home);
                assertEquals(2, after.size(), "the oldest replicated snapshot is pruned, nothing else: " + after);
                assertEquals(replicated.get(1), after.get(0), "the cursor snapshot stays: " + after);
                assertFalse(replicated.contains(after.get(1)), "the unreplicated new snapshot stays: " + after);
            } finally {
                e.continueStopped();
            }
            long settle = System.nanoTime() + 60_000_000_000L;
            while (e.receiving(target) && System.nanoTime() < settle) {
                Thread.sleep(50);
            }
            assertFalse(e.receiving(target), "zfs recv still running 60 s after its stdinserver was continued");

            EndToEnd.Run next = e.agent("agent", "once");
            assertEquals(0, next.exit(), next::toString);
            assertContains(next.stdout(), home.value() + ": replicated 1 step,", next);
            String source = e.snapshotsWithGuids(home);
            assertEquals(2, source.lines().count(), source);
            String onBox = e.snapshotsWithGuids(e.jail());
            for (String line : expectedOnBox(e, source).lines().toList()) {
                assertTrue(onBox.contains(line + "\n"), line + " not on the box with the sender's guid:\n" + onBox);
            }
            assertEquals(3, onBox.lines().count(), "the box keeps all three (keep_receiver last_n 100): " + onBox);
        }
    }
}
