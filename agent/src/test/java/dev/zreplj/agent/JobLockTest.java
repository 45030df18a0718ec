package dev.zreplj.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class JobLockTest {
    @TempDir
    Path state;

    private static final long SELF = ProcessHandle.current().pid();

    /** The holder's message shows zreplj's own arguments (agent run or agent once), not the launcher's JVM options. */
    @Test
    void theHoldersCommandIsShownFromZrepljsArgumentsOn() throws Exception {
        String shown = JobLock.withoutJvmOptions("/usr/lib/jvm/java-17-openjdk-amd64/bin/java -XX:+UseSerialGC -Xmx256m"
                + " -XX:SharedArchiveFile=/var/cache/zreplj/agent.jsa -Dzreplj.launcher=/usr/bin/zreplj -cp"
                + " /usr/share/zreplj/lib/* dev.zreplj.cli.Main --config /etc/zreplj/zreplj.yml agent run");
        assertEquals("zreplj --config /etc/zreplj/zreplj.yml agent run", shown);
        // docs/cli.md quotes the message an admin meets when a timer fires during a long pass.
        String doc = Files.readString(Path.of("..", "docs", "cli.md"));
        assertTrue(
                doc.contains("`zreplj: job laptop: another pass is running (pid 4242, " + shown + "); it holds "
                        + "/var/lib/zreplj/jobs/laptop.lock. Wait for it to finish, or stop that process`"),
                "docs/cli.md does not show the holder as the message names it: " + shown);
        assertEquals("/usr/bin/other --flag", JobLock.withoutJvmOptions("/usr/bin/other --flag"));
    }

    @Test
    void aSecondPassOfTheSameJobRefusesNamingTheRunningProcess() throws Exception {
        try (JobLock first = JobLock.acquire(state, List.of("laptop"))) {
            JobLock.HeldException e =
                    assertThrows(JobLock.HeldException.class, () -> JobLock.acquire(state, List.of("laptop")));
            assertTrue(
                    e.getMessage().startsWith("job laptop: another pass is running (pid " + SELF + ", "),
                    e.getMessage());
            assertTrue(
                    e.getMessage()
                            .endsWith("; it holds " + JobLock.file(state, "laptop")
                                    + ". Wait for it to finish, or stop that process"),
                    e.getMessage());
            assertEquals(SELF + "\n", Files.readString(JobLock.file(state, "laptop")));
            // Another job is not held up by it.
            JobLock.acquire(state, List.of("server")).close();
        }
        JobLock.acquire(state, List.of("laptop")).close();
    }

    @Test
    void aLockLeftByADeadProcessIsTakenOver() throws Exception {
        Process dead = new ProcessBuilder("true").start();
        dead.waitFor();
        Path file = JobLock.file(state, "laptop");
        Files.createDirectories(file.getParent());
        Files.writeString(file, dead.pid() + "\n");
        try (JobLock lock = JobLock.acquire(state, List.of("laptop"))) {
            assertEquals(SELF + "\n", Files.readString(file));
        }
    }

    /** A root agent in a state directory the box's user may own: no lock is taken through a planted link. */
    @Test
    void aLinkAtTheLockIsNotFollowed() throws Exception {
        Path victim = Files.writeString(state.resolve("victim"), "precious\n");
        Path file = JobLock.file(state, "laptop");
        Files.createDirectories(file.getParent());
        Files.createSymbolicLink(file, victim);
        assertThrows(java.io.IOException.class, () -> JobLock.acquire(state, List.of("laptop")));
        assertEquals("precious\n", Files.readString(victim));
    }

    @Test
    void aPassThatEndsLeavesNoPid() throws Exception {
        // A pid left behind would make the next pass log that it took the job over from a dead process.
        JobLock.acquire(state, List.of("laptop", "server")).close();
        assertEquals("", Files.readString(JobLock.file(state, "laptop")));
        assertEquals("", Files.readString(JobLock.file(state, "server")));
    }

    @Test
    void allOrNone() throws Exception {
        try (JobLock held = JobLock.acquire(state, List.of("b"))) {
            assertThrows(JobLock.HeldException.class, () -> JobLock.acquire(state, List.of("a", "b")));
            // "a" was released when "b" refused.
            JobLock.acquire(state, List.of("a")).close();
        }
    }

    @Test
    void garbageInTheFileIsNotAPid() throws Exception {
        Path file = JobLock.file(state, "laptop");
        try (JobLock held = JobLock.acquire(state, List.of("laptop"))) {
            Files.writeString(file, "not a pid");
            JobLock.HeldException e =
                    assertThrows(JobLock.HeldException.class, () -> JobLock.acquire(state, List.of("laptop")));
            assertEquals(
                    "job laptop: another pass is running; it holds " + file
                            + ". Wait for it to finish, or stop that process",
                    e.getMessage());
        }
    }
}
