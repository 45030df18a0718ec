package dev.zreplj.cli;

import static dev.zreplj.cli.EndToEnd.assertContains;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.zreplj.agent.JobLock;
import dev.zreplj.ssh.testing.TestSshd;
import dev.zreplj.zfs.DatasetName;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Failures that must say what happened, on zfs-fuse with a real sshd and the built launcher: a forced
 * command whose binary is gone, a second pass of a running job, and status after a failing and an
 * ageing backup.
 */
@Tag("system")
class HonestEdgesIT {
    private static final String JOB = "laptop_to_box";

    @TempDir
    Path tmp;

    /**
     * docs/troubleshooting.md: what the agent prints when the box refuses the client (not in client_identities)
     * and when the box's config does not load; the row quoted a line neither case prints.
     */
    @Test
    void aBoxThatRefusesTheClientOrCannotLoadItsConfigSaysWhyOnTheJobsLine() throws Exception {
        try (EndToEnd e = new EndToEnd(tmp, PushSuite.HOME_FILTER)) {
            e.pools.createFilesystem(e.src.child("home"));
            String sink = Files.readString(e.sinkConfig);
            Files.writeString(
                    e.sinkConfig,
                    sink.replace("client_identities: [" + EndToEnd.CLIENT + ", other]", "client_identities: [other]"));
            EndToEnd.Run unlisted = e.agent("agent", "once", "--snapshot");
            assertEquals(1, unlisted.exit(), unlisted::toString);
            assertContains(
                    unlisted.stdout(),
                    "talking to the backup box failed: client '" + EndToEnd.CLIENT + "' is not listed in any sink"
                            + " job's serve.client_identities in " + e.sinkConfig,
                    unlisted);

            Files.writeString(e.sinkConfig, sink.replace("client_identities:", "client_identitis:"));
            EndToEnd.Run broken = e.agent("agent", "once");
            assertEquals(1, broken.exit(), broken::toString);
            assertContains(
                    broken.stdout(),
                    "job " + JOB + ": failed: connect: no session with the backup box: ssh: the forced command on"
                            + " root@127.0.0.1:" + e.sshd.port() + " failed to start (exit 2): zreplj: " + e.sinkConfig
                            + ":",
                    broken);
            assertContains(
                    broken.stdout(),
                    "unknown key 'client_identitis' (did you mean 'client_identities'?); the box's zreplj refused its"
                            + " own config or command line: fix it there ('zreplj configcheck' on the box)",
                    broken);
        }
    }

    @Test
    void aForcedCommandWhoseBinaryIsGoneIsReportedWithTheBoxsOwnLine() throws Exception {
        try (EndToEnd e = new EndToEnd(tmp, PushSuite.HOME_FILTER)) {
            DatasetName home = e.pools.createFilesystem(e.src.child("home"));
            String moved = tmp.resolve("zreplj-0.0.9/bin/zreplj").toString();
            try (TestSshd upgraded = TestSshd.start(
                    Files.createDirectories(tmp.resolve("sshd-upgraded")),
                    moved + " --config " + e.sinkConfig + " stdinserver " + EndToEnd.CLIENT)) {
                Files.writeString(
                        e.agentConfig,
                        Files.readString(e.agentConfig)
                                .replace("port: " + e.sshd.port(), "port: " + upgraded.port())
                                .replace(
                                        e.sshd.clientKey().toString(),
                                        upgraded.clientKey().toString())
                                .replace(
                                        e.sshd.knownHosts().toString(),
                                        upgraded.knownHosts().toString()));

                EndToEnd.Run run = e.agent("agent", "once", "--snapshot");

                assertEquals(1, run.exit(), run::toString);
                assertContains(
                        run.stdout(),
                        "job " + JOB
                                + ": failed: connect: no session with the backup box: ssh: the forced command on root@127.0.0.1:"
                                + upgraded.port() + " failed to start (exit 127: command not found): ",
                        run);
                assertContains(
                        run.stdout(),
                        moved + ": No such file or directory; the command= of this key in the"
                                + " box's authorized_keys points at a zreplj that is not there",
                        run);
                assertFalse(run.stdout().contains("before the handshake"), run::toString);
                assertEquals("", e.snapshotsWithGuids(e.dst), "nothing reached the box");
                assertEquals(1, e.pools.snapshotNames(home).size(), "the snapshot was still taken");
            }
        }
    }

    @Test
    void aSecondPassOfARunningJobRefusesAtOnceAndTheFirstCompletes() throws Exception {
        try (EndToEnd e = new EndToEnd(tmp, PushSuite.HOME_FILTER)) {
            DatasetName home = e.pools.createFilesystem(e.src.child("home"));
            e.pools.writeRandomFile(home, "big.bin", 48 << 20);
            String target = e.jail.child(home.value()).value();

            Process first = e.startAgent("agent", "once", "--snapshot");
            long stopped = 0;
            try {
                // Hold the first pass inside its receive: stop the box's stdinserver until the second has tried.
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
                Optional<ProcessHandle> server;
                while ((server = ProcessHandle.allProcesses()
                                .filter(p -> p.info()
                                        .commandLine()
                                        .map(c -> EndToEnd.isReceive(c, target))
                                        .orElse(false))
                                .findFirst()
                                .flatMap(ProcessHandle::parent))
                        .isEmpty()) {
                    assertTrue(first.isAlive(), () -> "the first pass ended before its receive: " + e.killedAgentLog());
                    assertTrue(System.nanoTime() < deadline, "no zfs recv into " + target + " within 120 s");
                    Thread.sleep(5);
                }
                stopped = server.get().pid();
                signal("STOP", stopped);
                Path lock = JobLock.file(tmp.resolve("laptop-state"), JOB);
                assertEquals(first.pid() + "\n", Files.readString(lock), "the first pass holds the job's lock");

                long started = System.nanoTime();
                EndToEnd.Run second = e.agent("agent", "once");
                double seconds = (System.nanoTime() - started) / 1e9;

                assertEquals(1, second.exit(), second::toString);
                assertEquals("", second.stdout(), second::toString);
                assertTrue(
                        second.stderr()
                                .startsWith(
                                        "zreplj: job " + JOB + ": another pass is running (pid " + first.pid() + ", "),
                        second::toString);
                assertTrue(
                        second.stderr()
                                .endsWith(
                                        "; it holds " + lock + ". Wait for it to finish, or stop that" + " process\n"),
                        second::toString);
                assertEquals(1, second.stderr().lines().count(), second::toString);
                assertTrue(seconds < 30, "refused after " + seconds + " s: a JVM start, no waiting");
                assertTrue(first.isAlive(), "the first pass is still running");
            } finally {
                if (stopped > 0) {
                    signal("CONT", stopped);
                }
            }
            assertTrue(first.waitFor(180, TimeUnit.SECONDS), e::killedAgentLog);
            assertEquals(0, first.exitValue(), e::killedAgentLog);
            String source = e.snapshotsWithGuids(home);
            assertEquals(1, source.lines().count(), source);
            assertEquals(
                    PushSuite.expectedOnBox(e, source),
                    e.snapshotsWithGuids(e.jail.child(e.src.value())),
                    "the box has the snapshot with the sender's guid");

            EndToEnd.Run third = e.agent("agent", "once");
            assertEquals(0, third.exit(), "the lock was released: " + third);
        }
    }

    @Test
    void statusOnBothSidesAfterAPassThatFailedAndABackupThatAged() throws Exception {
        try (EndToEnd e = new EndToEnd(tmp, PushSuite.HOME_FILTER)) {
            DatasetName home = e.pools.createFilesystem(e.src.child("home"));
            EndToEnd.Run never = e.agent("status");
            assertEquals(2, never.exit(), never::toString);
            assertTrue(
                    never.stdout().startsWith("ZREPLJ CRITICAL: job " + JOB + ": never run: no backup exists |"),
                    never::toString);

            EndToEnd.Run pass = e.agent("agent", "once", "--snapshot");
            assertEquals(0, pass.exit(), pass::toString);
            EndToEnd.Run fresh = e.agent("status");
            assertEquals(0, fresh.exit(), fresh::toString);
            assertTrue(
                    fresh.stdout()
                            .startsWith("ZREPLJ OK: 1 job, 1 filesystem backed up within 1d1h | '" + JOB + ":" + home
                                    + "'="),
                    fresh::toString);

            // A pass whose status cannot be recorded (a full state disk; here a directory in the file's place):
            // status still shows the pass before, so the pass must not exit 0.
            Path statusFile = e.dir.resolve("laptop-state/jobs/" + JOB + ".json");
            Path kept = Files.move(statusFile, e.dir.resolve("kept.json"));
            Files.createDirectories(statusFile.resolve("blocker"));
            EndToEnd.Run unrecorded = e.agent("agent", "once", "--snapshot");
            assertEquals(1, unrecorded.exit(), unrecorded::toString);
            assertContains(unrecorded.stderr(), "cannot write the status file for job " + JOB + ": ", unrecorded);
            Files.delete(statusFile.resolve("blocker"));
            Files.delete(statusFile);
            Files.move(kept, statusFile);

            Thread.sleep(2100);
            EndToEnd.Run warn = e.agent("status", "--warn", "2s", "--crit", "1h");
            assertEquals(1, warn.exit(), warn::toString);
            assertTrue(
                    warn.stdout().startsWith("ZREPLJ WARNING: job " + JOB + " " + home + ": last success "),
                    warn::toString);
            EndToEnd.Run crit = e.agent("status", "--warn", "1s", "--crit", "2s");
            assertEquals(2, crit.exit(), crit::toString);
            assertTrue(
                    crit.stdout().startsWith("ZREPLJ CRITICAL: job " + JOB + " " + home + ": last success "),
                    crit::toString);

            // The box, by its own clock: the laptop is fresh, "other" never connected.
            EndToEnd.Run box = e.zreplj(java.util.List.of("--config", e.sinkConfig.toString(), "status"), null);
            assertEquals(2, box.exit(), box::toString);
            assertTrue(
                    box.stdout().startsWith("ZREPLJ CRITICAL: client other: nothing received yet: no backup exists |"),
                    box::toString);
            assertContains(box.stdout(), "sink job backups, client laptop: OK, ", box);
            EndToEnd.Run boxStale = e.zreplj(
                    java.util.List.of(
                            "--config", e.sinkConfig.toString(), "status", "--json", "--warn", "1s", "--crit", "1h"),
                    null);
            assertEquals(2, boxStale.exit(), boxStale::toString);
            assertContains(boxStale.stdout(), "\"status\" : \"WARNING\"", boxStale);

            int closed;
            try (ServerSocket s = new ServerSocket(0)) {
                closed = s.getLocalPort();
            }
            Files.writeString(
                    e.agentConfig,
                    Files.readString(e.agentConfig).replace("port: " + e.sshd.port(), "port: " + closed));
            EndToEnd.Run cut = e.agent("agent", "once", "--snapshot");
            assertEquals(1, cut.exit(), cut::toString);
            EndToEnd.Run failing = e.agent("status");
            assertEquals(1, failing.exit(), failing::toString);
            assertTrue(
                    failing.stdout()
                            .startsWith("ZREPLJ WARNING: job " + JOB
                                    + ": last pass failed: connect: no session with the backup box: ssh: cannot connect"
                                    + " to root@127.0.0.1:" + closed + ": connection refused"),
                    failing::toString);
        }
    }

    private static void signal(String name, long pid) throws IOException, InterruptedException {
        Process kill = new ProcessBuilder("kill", "-" + name, Long.toString(pid))
                .inheritIO()
                .start();
        assertEquals(0, kill.waitFor(), "kill -" + name + " " + pid);
    }
}
