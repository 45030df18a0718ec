package dev.zreplj.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.zreplj.agent.JobLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** agent once and agent run refuse a job another pass holds, before touching zfs or the network. */
class AgentLockCommandTest {
    @TempDir
    Path dir;

    @Test
    void onceRunAndPruneRefuseARunningJobWithOneLineNamingThePid() throws Exception {
        Path state = dir.resolve("state");
        Path config = dir.resolve("zreplj.yml");
        Files.writeString(
                config,
                TestConfigs.PUSH_AND_SINK.replace(
                        "jobs:",
                        "global:\n  zreplj:\n    state_dir: " + state + "\n    zfs_binary: /nonexistent/zfs\njobs:"));
        String expected = "zreplj: job laptop: another pass is running (pid "
                + ProcessHandle.current().pid();
        try (JobLock held = JobLock.acquire(state, List.of("laptop"))) {
            for (List<String> command : List.of(
                    List.of("agent", "once"),
                    List.of("agent", "once", "--job", "laptop"),
                    List.of("agent", "run"),
                    List.of("prune"),
                    List.of("prune", "--job", "laptop"))) {
                List<String> args = new java.util.ArrayList<>(List.of("--config", config.toString()));
                args.addAll(command);
                CliRun run = CliRun.of(args.toArray(String[]::new));
                assertEquals(1, run.exitCode(), run::toString);
                assertEquals("", run.out(), run::toString);
                assertEquals(1, run.err().lines().count(), run::toString);
                assertEquals(true, run.err().startsWith(expected), run::toString);
                assertEquals(
                        true,
                        run.err()
                                .endsWith("; it holds " + JobLock.file(state, "laptop")
                                        + ". Wait for it to finish, or stop that process\n"),
                        run::toString);
            }
            // A dry run changes nothing: it may look while a pass runs (here it gets as far as zfs).
            CliRun dry = CliRun.of("--config", config.toString(), "prune", "--dry-run");
            assertEquals(false, dry.err().contains("another pass is running"), dry::toString);
            assertEquals(true, dry.out().contains("job laptop: prune plan (dry run)"), dry::toString);
        }
    }

    @Test
    void aStateDirThatCannotHoldTheLockIsOneLine() throws Exception {
        Path notADir = Files.writeString(dir.resolve("file"), "");
        Path config = dir.resolve("zreplj.yml");
        Files.writeString(
                config,
                TestConfigs.PUSH_AND_SINK.replace(
                        "jobs:",
                        "global:\n  zreplj:\n    state_dir: " + notADir + "\n    zfs_binary: /nonexistent/zfs\njobs:"));
        CliRun run = CliRun.of("--config", config.toString(), "agent", "once");
        assertEquals(
                new CliRun(
                        1,
                        "",
                        // The file in the way named, not the directory that could not be made under it.
                        "zreplj: cannot take the job lock under " + notADir.resolve("jobs") + " (" + notADir
                                + ": Not a directory); the agent needs a writable global.zreplj.state_dir\n"),
                run);
    }
}
