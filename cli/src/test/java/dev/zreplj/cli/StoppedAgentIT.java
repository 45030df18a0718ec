package dev.zreplj.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.zreplj.zfs.DatasetName;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code agent once} stopped by SIGTERM in the middle of a stream, without systemd's final SIGKILL: a plain
 * {@code kill PID} of the agent alone (cron users, an admin), and timeout(1)'s, which signals the agent's whole
 * process group. Either way nothing of the pass stays behind (no zfs send, no held snapshot, no receive on the box),
 * the stopped pass is not recorded (the status still shows the pass before it), and the next pass completes.
 */
@Tag("system")
class StoppedAgentIT {
    @TempDir
    Path tmp;

    @Test
    void aPlainKillOfTheAgentAloneMidStreamLeavesNothingBehind() throws Exception {
        stopMidStream(false);
    }

    @Test
    void timeoutsSigtermToTheAgentsProcessGroupMidStreamLeavesNothingBehind() throws Exception {
        stopMidStream(true);
    }

    private void stopMidStream(boolean wholeGroup) throws Exception {
        try (EndToEnd e = new EndToEnd(tmp, PushSuite.HOME_FILTER)) {
            DatasetName home = e.createFilesystem(e.src().child("home"));
            e.writeRandomFile(home, "base.bin", 1 << 20);
            EndToEnd.Run base = e.agent("agent", "once", "--snapshot");
            assertEquals(0, base.exit(), base::toString);
            String lastRun = lastRun(e);
            List<String> series = List.of("s1", "s2");
            for (String s : series) {
                e.writeRandomFile(home, s + ".bin", 30 << 20);
                e.zfs("snapshot", home.value() + "@" + s);
            }
            String target = e.jail().child(home.value()).value();
            Process agent = wholeGroup ? e.startAgentInGroupOfItsOwn("agent", "once") : e.startAgent("agent", "once");
            long deadline = System.nanoTime() + 60_000_000_000L;
            while (!e.receiving(target)) {
                assertTrue(agent.isAlive(), e::killedAgentLog);
                assertTrue(System.nanoTime() < deadline, "no receive within 60 s");
                Thread.sleep(5);
            }
            Thread.sleep(300);
            List<ProcessHandle> started = agent.descendants().toList();
            assertTrue(
                    started.stream()
                            .anyMatch(p -> p.info().commandLine().orElse("").contains(" send ")),
                    () -> "no zfs send running: " + commandLines(started));
            String pid = Long.toString(agent.pid());
            // procps' kill takes "-PID" after "--" only: without it, it signals nothing and still exits 0.
            Process kill = new ProcessBuilder(
                            wholeGroup ? List.of("kill", "-TERM", "--", "-" + pid) : List.of("kill", "-TERM", pid))
                    .inheritIO()
                    .start();
            assertEquals(0, kill.waitFor());
            assertTrue(agent.waitFor(20, TimeUnit.SECONDS), e::killedAgentLog);
            assertEquals(143, agent.exitValue(), e::killedAgentLog);
            String log = e.killedAgentLog();
            assertTrue(
                    log.contains("job laptop_to_box: the pass was stopped by a signal (at: job laptop_to_box:"
                            + " replicating 1 filesystem; sending " + home + " @"),
                    log);

            List<ProcessHandle> left = started;
            for (int i = 0; i < 50 && (!left.isEmpty() || e.receiving(target)); i++) {
                Thread.sleep(200);
                left = left.stream().filter(ProcessHandle::isAlive).toList();
            }
            assertEquals("", commandLines(left), "left running by the stopped agent");
            assertFalse(e.receiving(target), "the box still receives");
            for (String s : series) {
                assertEquals("0", e.get(home.value() + "@" + s, "userrefs"), "@" + s + " still held");
            }
            assertEquals(lastRun, lastRun(e), "the stopped pass was recorded");

            EndToEnd.Run next = e.agent("agent", "once");
            assertEquals(0, next.exit(), next::toString);
            String onBox = e.snapshotsWithGuids(home)
                    .lines()
                    .map(l -> e.jail() + "/" + l + "\n")
                    .collect(Collectors.joining());
            assertEquals(onBox, e.snapshotsWithGuids(e.jail()));
            assertTrue(!lastRun.equals(lastRun(e)), "the next pass was not recorded");
        }
    }

    /** The push job's last_run in {@code status --json}. */
    private static String lastRun(EndToEnd e) {
        EndToEnd.Run status = e.agent("status", "--json");
        return status.stdout()
                .lines()
                .filter(l -> l.contains("\"last_run\""))
                .findFirst()
                .orElseThrow(() -> new AssertionError(status.toString()));
    }

    private static String commandLines(List<ProcessHandle> processes) {
        return processes.stream()
                .map(p -> p.pid() + " " + p.info().commandLine().orElse("?"))
                .collect(Collectors.joining("\n"));
    }
}
