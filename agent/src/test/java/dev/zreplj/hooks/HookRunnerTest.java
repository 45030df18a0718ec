package dev.zreplj.hooks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HookRunnerTest {
    @TempDir
    Path dir;

    /**
     * A hook that waits on a child of its own: {@code wait} without operands exits 0 once the child is gone, so a
     * kill that took the child first could leave the shell a moment to exit 0, and the stopped pre-snapshot run
     * counted as succeeded (its post run then ran). A run the agent killed is failed, whatever its status.
     */
    @Test
    void aRunKilledBecauseTheAgentStopsIsFailedEvenIfItsShellWouldExitZero() throws Exception {
        Path child = dir.resolve("child");
        Path hook = script("hook", "sleep 60 &\necho $! > " + child + "\nwait\nexit 0\n");
        HookRunner runner = new HookRunner();
        AtomicReference<HookRunner.Run> result = new AtomicReference<>();
        Thread t = inBackground(runner, hook, result);
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (!Files.exists(child) || Files.readString(child).isBlank()) {
            assertTrue(System.nanoTime() < deadline, "the hook started its child");
            Thread.sleep(20);
        }
        long sleeper = Long.parseLong(Files.readString(child).trim());

        runner.killRunning();
        t.join(10_000);

        assertFalse(t.isAlive(), "the run returned");
        HookRunner.Run run = result.get();
        assertFalse(run.ok(), run::toString);
        assertEquals("killed: the agent is stopping", run.error());
        assertEquals(-1, run.exitCode());
        assertTrue(gone(sleeper), "its child was killed too");
    }

    /** Ended within 5 s: no process, or a zombie (killed; its new parent may not have reaped it yet). */
    private static boolean gone(long pid) throws Exception {
        Path stat = Path.of("/proc/" + pid + "/stat");
        for (int i = 0; i < 250; i++) {
            try {
                String s = Files.readString(stat);
                if (s.substring(s.lastIndexOf(')') + 2).startsWith("Z")) {
                    return true;
                }
            } catch (java.nio.file.NoSuchFileException e) {
                return true;
            }
            Thread.sleep(20);
        }
        return false;
    }

    /**
     * Stopped before its start: the command never runs (a freeze begun after the kill of the pre runs in progress
     * would outlive the agent), and the run is a killed one.
     */
    @Test
    void aRunCancelledBeforeItsStartDoesNotRun() throws Exception {
        Path ran = dir.resolve("ran");
        Path hook = script("hook", "touch " + ran + "\n");
        HookRunner.Run run = new HookRunner().run(hook, Map.of(), Duration.ofSeconds(30), () -> true);
        assertFalse(run.ok(), run::toString);
        assertEquals("killed: the agent is stopping", run.error());
        assertEquals(-1, run.exitCode());
        assertFalse(Files.exists(ran), "the hook ran");
    }

    /** After a kill, the same runner's next run (a post run owed) is a run like any other. */
    @Test
    void aRunAfterAKillIsNotCountedKilled() throws Exception {
        Path hook = script("ok", "echo fine\n");
        HookRunner runner = new HookRunner();
        runner.killRunning();
        HookRunner.Run run = runner.run(hook, Map.of(), Duration.ofSeconds(30), () -> false);
        assertTrue(run.ok(), run::toString);
        assertEquals("fine\n", run.output());
    }

    /**
     * docs/config.md: a hook that outlives its timeout is killed with what it started. A child it detached
     * ({@code ( cmd & )}: its parent gone, it no longer descends from the hook) ran on.
     */
    @Test
    void aTimedOutRunIsKilledWithWhatItDetached() throws Exception {
        Path child = dir.resolve("child");
        Path hook = script("hook", "( sleep 600 & echo $! > " + child + " )\nsleep 60\n");
        HookRunner.Run run = new HookRunner().run(hook, Map.of(), Duration.ofSeconds(1), () -> false);
        assertEquals("killed after its timeout of 1 s", run.error());
        long detached = Long.parseLong(Files.readString(child).trim());
        assertTrue(gone(detached), "the detached child was killed too");
    }

    /**
     * A freeze hook that exited 0 while a child it left still held its output: the agent stopping in the moment its
     * output drained counted the run killed, and its thaw (the post run) was never run.
     */
    @Test
    void aRunThatEndedByItselfBeforeTheKillKeepsItsStatus() throws Exception {
        Path exited = dir.resolve("exited");
        Path hook = script("hook", "sleep 600 &\ntouch " + exited + "\nexit 0\n");
        HookRunner runner = new HookRunner();
        AtomicReference<HookRunner.Run> result = new AtomicReference<>();
        Thread t = inBackground(runner, hook, result);
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (!Files.exists(exited)) {
            assertTrue(System.nanoTime() < deadline, "the hook ran");
            Thread.sleep(20);
        }
        Thread.sleep(500);
        runner.killRunning();
        t.join(10_000);
        assertFalse(t.isAlive(), "the run returned");
        assertTrue(result.get().ok(), result.get()::toString);
    }

    /**
     * A pre_snapshot hook that exits 0 and leaves a process of its own running in the background (a session that
     * holds a database's lock until the post hook ends it), its output still on the hook's: the run is a success
     * that returns once the output has had its time to drain, and what it left runs on. The agent killed it.
     */
    @Test
    void aSuccessfulRunLeavesWhatItStartedInTheBackgroundRunning() throws Exception {
        Path late = dir.resolve("late");
        Path hook = script("hook", "( sleep 4; touch " + late + " ) &\necho locked\nexit 0\n");
        long start = System.nanoTime();
        HookRunner.Run run = new HookRunner().run(hook, Map.of(), Duration.ofSeconds(30), () -> false);
        assertTrue(run.ok(), run::toString);
        assertEquals("locked\n", run.output());
        assertTrue(System.nanoTime() - start < 3_900_000_000L, "the run did not wait for its background process");
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (!Files.exists(late) && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        assertTrue(Files.exists(late), "the process the hook left in the background ran to its end");
    }

    /** Runs {@code hook} (timeout 30 s) on a thread of its own, its result into {@code result}. */
    private static Thread inBackground(HookRunner runner, Path hook, AtomicReference<HookRunner.Run> result) {
        Thread t = new Thread(() -> {
            try {
                result.set(runner.run(hook, Map.of(), Duration.ofSeconds(30), () -> false));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        t.start();
        return t;
    }

    /** An executable shell script named {@code name} in the test's directory. */
    private Path script(String name, String body) throws Exception {
        Path hook = Files.writeString(dir.resolve(name), "#!/bin/sh\n" + body);
        Files.setPosixFilePermissions(hook, PosixFilePermissions.fromString("rwxr-xr-x"));
        return hook;
    }
}
