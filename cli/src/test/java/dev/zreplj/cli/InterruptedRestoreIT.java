package dev.zreplj.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.zreplj.zfs.DatasetName;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * docs/restore.md's "a rerun continues" for {@code restore -r} on zfs-fuse through the real sshd: the agent
 * SIGKILLed in the middle of one filesystem's stream, then the very same command again. What was complete
 * stays and is not sent again, the cut filesystem and the ones after it arrive in full, every guid is the box's.
 */
@Tag("system")
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class InterruptedRestoreIT {
    @TempDir
    Path tmp;

    @Test
    void aKilledRecursiveRestoreCompletesWhenRunAgain() throws Exception {
        try (EndToEnd e = new EndToEnd(tmp, "\"SRC<\": true\n\"SRC/t/a\": false")) {
            DatasetName top = e.pools.createFilesystem(e.src.child("t"));
            // The box holds a as a placeholder (no snapshots) for x: the restore creates it empty.
            DatasetName a = e.pools.createFilesystem(top.child("a"));
            DatasetName x = e.pools.createFilesystem(a.child("x"));
            DatasetName big = e.pools.createFilesystem(top.child("b"));
            DatasetName c = e.pools.createFilesystem(top.child("c"));
            List<DatasetName> all = List.of(top, x, big, c);
            for (DatasetName fs : all) {
                e.pools.writeRandomFile(fs, "one", 256 << 10);
            }
            e.pools.writeRandomFile(big, "big", 16 << 20);
            EndToEnd.Run first = e.agent("agent", "once");
            assertEquals(0, first.exit(), first::toString);
            String s1 = e.pools.snapshotNames(top).get(0);
            for (DatasetName fs : all) {
                e.pools.writeRandomFile(fs, "two", 64 << 10);
            }
            e.pools.zfs("snapshot", "-r", top + "@s2");
            EndToEnd.Run second = e.agent("agent", "once");
            assertEquals(0, second.exit(), second::toString);

            DatasetName rst = e.pools.createPool("rst");
            e.pools.zfs("set", "mountpoint=none", rst.value());
            DatasetName to = rst.child("t");
            String[] restore = {"restore", "--job", "laptop_to_box", top + "@" + s1, "--to", to.value(), "-r"};

            Process agent = e.startAgent(restore);
            long server = stopSenderOnceReceiving(e, to.child("b"), e.jail.child(big.value()), agent);
            try {
                agent.destroyForcibly();
                assertTrue(agent.waitFor(30, TimeUnit.SECONDS));
            } finally {
                signal("CONT", server);
            }
            long deadline = System.nanoTime() + 60_000_000_000L;
            while (e.receiving(to.child("b").value())) {
                assertTrue(System.nanoTime() < deadline, "zfs recv outlived the killed agent by 60 s");
                Thread.sleep(20);
            }
            String killed = e.killedAgentLog();
            assertTrue(killed.contains("restored " + top + "@" + s1 + " -> " + to + " (full)"), killed);
            assertTrue(killed.contains(to.child("a") + ": created empty"), killed);
            assertTrue(killed.contains("restored " + x + "@" + s1), killed);
            // What the cut left: the complete ones, and no half of b (zfs-fuse keeps no partial receive).
            assertEquals(
                    List.of(
                            rst.value(),
                            to.value(),
                            to.child("a").value(),
                            to.child("a/x").value()),
                    e.datasets(rst),
                    killed);

            long started = System.nanoTime();
            EndToEnd.Run again = e.agent(restore);
            System.out.printf("rerun: %.1f s%n", (System.nanoTime() - started) / 1e9);
            assertEquals(0, again.exit(), again::toString);
            assertTrue(
                    again.stdout().contains("up to date: " + to + ": already at " + top + "@" + s1), again::toString);
            assertTrue(
                    again.stdout().contains("up to date: " + to.child("a") + ": exists (" + a + " has no snapshots"),
                    again::toString);
            assertTrue(
                    again.stdout().contains("up to date: " + to.child("a/x") + ": already at " + x + "@" + s1),
                    again::toString);
            assertTrue(
                    again.stdout().contains("restored " + big + "@" + s1 + " -> " + to.child("b") + " (full)"),
                    again::toString);
            assertTrue(
                    again.stdout().contains("restored " + c + "@" + s1 + " -> " + to.child("c") + " (full)"),
                    again::toString);
            assertEquals(5, again.stdout().lines().count(), again::toString);

            EndToEnd.Run newest = e.agent("restore", "--job", "laptop_to_box", top.value(), "--to", to.value(), "-r");
            assertEquals(0, newest.exit(), newest::toString);
            for (DatasetName fs : all) {
                String local = fs.value().equals(top.value())
                        ? to.value()
                        : to.child(fs.value().substring(top.value().length() + 1))
                                .value();
                assertEquals(List.of(s1, "s2"), e.pools.snapshotNames(DatasetName.of(local)), local);
                for (String snap : List.of(s1, "s2")) {
                    assertEquals(
                            e.pools.guid(e.jail.child(fs.value()) + "@" + snap),
                            e.pools.guid(local + "@" + snap),
                            local + "@" + snap);
                }
            }
        }
    }

    /**
     * Once the restore's {@code zfs recv} into {@code target} runs (the stream's first record has arrived), stops
     * the box's stdinserver sending it, so the agent is killed in the middle of that stream; returns its pid.
     */
    private static long stopSenderOnceReceiving(EndToEnd e, DatasetName target, DatasetName onBox, Process agent)
            throws InterruptedException {
        long deadline = System.nanoTime() + 120_000_000_000L;
        while (!e.receiving(target.value())) {
            assertTrue(
                    agent.isAlive(), () -> "the restore ended before receiving " + target + ": " + e.killedAgentLog());
            assertTrue(System.nanoTime() < deadline, "no zfs recv into " + target + " within 120 s");
            Thread.sleep(5);
        }
        Optional<ProcessHandle> sender = ProcessHandle.allProcesses()
                .filter(p -> p.info()
                        .commandLine()
                        .map(c -> c.contains(" send ") && (c.contains(onBox + "@") || c.contains(onBox + " ")))
                        .orElse(false))
                .findFirst()
                .flatMap(ProcessHandle::parent);
        long pid = sender.orElseThrow(() -> new AssertionError("no zfs send of b on the box: "
                        + ProcessHandle.allProcesses()
                                .map(p -> p.info().commandLine().orElse(""))
                                .filter(l -> l.contains("zfs"))
                                .toList()))
                .pid();
        signal("STOP", pid);
        return pid;
    }

    private static void signal(String name, long pid) throws InterruptedException {
        try {
            assertEquals(
                    0,
                    new ProcessBuilder("kill", "-" + name, Long.toString(pid))
                            .inheritIO()
                            .start()
                            .waitFor());
        } catch (IOException ex) {
            throw new AssertionError("kill -" + name + " " + pid, ex);
        }
    }
}
