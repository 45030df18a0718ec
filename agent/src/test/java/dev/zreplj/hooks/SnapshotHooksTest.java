package dev.zreplj.hooks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.zreplj.config.FilesystemFilter;
import dev.zreplj.config.SnapshotHook;
import dev.zreplj.testing.LogCapture;
import dev.zreplj.zfs.DatasetName;
import dev.zreplj.zfs.ZfsException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** zrepl's hook semantics (docs/configuration/snapshotting.rst, daemon/hooks/hooks_test.go) with real processes. */
class SnapshotHooksTest {
    private static final DatasetName A = DatasetName.of("tank/a");
    private static final DatasetName B = DatasetName.of("tank/b");
    private static final FilesystemFilter ALL = new FilesystemFilter(Map.of("<", true));

    @TempDir
    Path dir;

    /** A hook script that appends "NAME TYPE FS SNAP DRYRUN=... TIMEOUT" to the log and exits with {@code exit}. */
    private Path script(String name, String exit) throws Exception {
        Path p = dir.resolve(name);
        Files.writeString(
                p,
                "#!/bin/sh\necho \"" + name + " $ZREPL_HOOKTYPE $ZREPL_FS $ZREPL_SNAPNAME"
                        + " dryrun=[$ZREPL_DRYRUN] timeout=$ZREPL_TIMEOUT\" >> " + dir.resolve("log") + "\n"
                        + "echo \"output of " + name + "\"\necho \"stderr of " + name + "\" >&2\nexit " + exit + "\n");
        Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwxr-xr-x"));
        return p;
    }

    private static SnapshotHook hook(Path path, boolean fatal, FilesystemFilter filter) {
        return new SnapshotHook(path, Duration.ofSeconds(10), fatal, filter);
    }

    private List<String> log() {
        try {
            return Files.exists(dir.resolve("log")) ? Files.readAllLines(dir.resolve("log")) : List.of();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Test
    void preInConfigOrderThenTheSnapshotThenPostInReverseWithZreplsEnvironment() throws Exception {
        List<SnapshotHook> hooks = List.of(hook(script("h1", "0"), false, ALL), hook(script("h2", "0"), true, ALL));
        List<String> order = new ArrayList<>();
        SnapshotHooks.Outcome o = new SnapshotHooks(hooks, new HookRunner()).around(List.of(A, B), "zrepl_1", fss -> {
            order.addAll(log());
            order.add("snapshot " + fss);
        });
        assertEquals(List.of(A, B), o.snapshotted());
        assertEquals(List.of(), o.reports());
        assertEquals(
                List.of(
                        "h1 pre_snapshot tank/a zrepl_1 dryrun=[] timeout=10",
                        "h2 pre_snapshot tank/a zrepl_1 dryrun=[] timeout=10",
                        "h1 pre_snapshot tank/b zrepl_1 dryrun=[] timeout=10",
                        "h2 pre_snapshot tank/b zrepl_1 dryrun=[] timeout=10",
                        "snapshot [tank/a, tank/b]"),
                order);
        assertEquals(
                List.of(
                        "h2 post_snapshot tank/a zrepl_1 dryrun=[] timeout=10",
                        "h1 post_snapshot tank/a zrepl_1 dryrun=[] timeout=10",
                        "h2 post_snapshot tank/b zrepl_1 dryrun=[] timeout=10",
                        "h1 post_snapshot tank/b zrepl_1 dryrun=[] timeout=10"),
                log().subList(4, 8));
    }

    @Test
    void aFatalPreFailureCutsOffLaterHooksSkipsThatSnapshotAndUnwindsOnlyEarlierSuccesses() throws Exception {
        Path ok = script("ok", "0");
        Path failsOnA = dir.resolve("failsOnA");
        Files.writeString(
                failsOnA,
                "#!/bin/sh\necho \"failsOnA $ZREPL_HOOKTYPE $ZREPL_FS\" >> " + dir.resolve("log")
                        + "\n[ \"$ZREPL_FS\" = tank/a ] && [ \"$ZREPL_HOOKTYPE\" = pre_snapshot ] && { echo 'db not ready' >&2;"
                        + " exit 3; }\nexit 0\n");
        Files.setPosixFilePermissions(failsOnA, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path never = script("never", "0");
        List<SnapshotHook> hooks = List.of(hook(ok, false, ALL), hook(failsOnA, true, ALL), hook(never, false, ALL));
        List<List<DatasetName>> snapshots = new ArrayList<>();
        SnapshotHooks.Outcome o = new SnapshotHooks(hooks, new HookRunner()).around(List.of(A, B), "s", snapshots::add);
        assertEquals(List.of(List.of(B)), snapshots, "tank/a is not snapshotted");
        assertEquals(List.of(B), o.snapshotted());
        assertEquals(
                List.of("hook " + failsOnA + " (pre_snapshot, tank/a) failed: exit status 3; snapshot of tank/a "
                        + "skipped (err_is_fatal)\n    | db not ready"),
                o.reports());
        List<String> log = log().stream().map(l -> l.split(" dryrun")[0]).toList();
        assertEquals(
                List.of(
                        "ok pre_snapshot tank/a s",
                        "failsOnA pre_snapshot tank/a",
                        "ok pre_snapshot tank/b s",
                        "failsOnA pre_snapshot tank/b",
                        "never pre_snapshot tank/b s",
                        "ok post_snapshot tank/a s",
                        "never post_snapshot tank/b s",
                        "failsOnA post_snapshot tank/b",
                        "ok post_snapshot tank/b s"),
                log);
    }

    @Test
    void aNonFatalFailureIsReportedAndItsPostRunSkippedButNothingElseChanges() throws Exception {
        List<SnapshotHook> hooks = List.of(hook(script("bad", "1"), false, ALL), hook(script("good", "0"), false, ALL));
        SnapshotHooks.Outcome o = new SnapshotHooks(hooks, new HookRunner()).around(List.of(A), "s", fss -> {});
        assertEquals(List.of(A), o.snapshotted());
        assertEquals(1, o.reports().size(), o.reports().toString());
        assertTrue(
                o.reports()
                        .get(0)
                        .startsWith(
                                "hook " + dir.resolve("bad") + " (pre_snapshot, tank/a) failed: " + "exit status 1\n"),
                o.reports().get(0));
        assertTrue(
                o.reports().get(0).contains("    | output of bad")
                        && o.reports().get(0).contains("    | stderr of bad"),
                "stdout and stderr both captured: " + o.reports().get(0));
        assertEquals(
                List.of("bad pre_snapshot", "good pre_snapshot", "good post_snapshot"),
                log().stream().map(l -> l.substring(0, l.indexOf(" tank"))).toList());
    }

    @Test
    void theFilterLimitsAHookToItsFilesystems() throws Exception {
        List<SnapshotHook> hooks =
                List.of(hook(script("onlyB", "0"), false, new FilesystemFilter(Map.of("tank/b", true))));
        new SnapshotHooks(hooks, new HookRunner()).around(List.of(A, B), "s", fss -> {});
        assertEquals(
                List.of("onlyB pre_snapshot tank/b", "onlyB post_snapshot tank/b"),
                log().stream().map(l -> l.substring(0, l.indexOf(" s dryrun"))).toList());
    }

    /** As zrepl's "hook did not match any snapshotted filesystems": a typo in a filter is said, not silent. */
    @Test
    void aHookWhoseFilterMatchesNoneIsWarnedAbout() throws Exception {
        Path typo = script("typo", "0");
        List<SnapshotHook> hooks = List.of(
                hook(script("fine", "0"), false, ALL),
                hook(typo, false, new FilesystemFilter(Map.of("tank/speical", true))));
        assertEquals(
                List.of("snapshot hook 2 (" + typo
                        + ") matches none of the 2 filesystems snapshotted; it does not run"),
                warnings(() -> new SnapshotHooks(hooks, new HookRunner()).around(List.of(A, B), "s", fss -> {})));
    }

    @Test
    void postHooksRunAlsoWhenTheSnapshotFails() throws Exception {
        List<SnapshotHook> hooks = List.of(hook(script("unlock", "0"), false, ALL));
        SnapshotHooks.Outcome o = new SnapshotHooks(hooks, new HookRunner()).around(List.of(A), "s", fss -> {
            throw new ZfsException("out of space");
        });
        assertEquals("out of space", o.failure().getMessage());
        assertEquals(2, log().size(), "post_snapshot ran (e.g. to unlock what pre_snapshot locked)");
        assertTrue(log().get(1).startsWith("unlock post_snapshot tank/a"));
    }

    @Test
    void aHookOverItsTimeoutIsKilledWithWhatItStarted() throws Exception {
        Path slow = dir.resolve("slow");
        Files.writeString(
                slow, "#!/bin/sh\necho started\nsleep 60 &\necho $! > " + dir.resolve("child") + "\nsleep 60\n");
        Files.setPosixFilePermissions(slow, PosixFilePermissions.fromString("rwxr-xr-x"));
        long start = System.nanoTime();
        HookRunner.Run run = new HookRunner().run(slow, Map.of(), Duration.ofSeconds(1), () -> false);
        long tookMillis = (System.nanoTime() - start) / 1_000_000;
        assertEquals("killed after its timeout of 1 s", run.error());
        assertEquals(-1, run.exitCode());
        // a shell may still report its killed child ("Killed") before it is killed itself
        assertTrue(run.output().startsWith("started\n"), run.output());
        assertTrue(tookMillis < 5000, "returned after " + tookMillis + " ms");
        long child = Long.parseLong(Files.readString(dir.resolve("child")).strip());
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (!dead(child) && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        assertTrue(dead(child), "the hook's child was killed too");
    }

    /**
     * Gone, or a zombie: a killed child whose shell was killed too is reparented to a reaper that may not
     * reap it at once, and ProcessHandle counts a zombie as alive.
     */
    private static boolean dead(long pid) throws IOException {
        Path stat = Path.of("/proc/" + pid + "/stat");
        if (!Files.exists(stat)) {
            return true;
        }
        String s;
        try {
            s = Files.readString(stat);
        } catch (java.nio.file.NoSuchFileException gone) {
            return true;
        }
        char state = s.charAt(s.lastIndexOf(')') + 2);
        return state == 'Z' || state == 'X';
    }

    /** Stands in for the JVM's shutdown hooks: the test runs the registered one when it stops the agent. */
    private static final class ManualStop implements SnapshotHooks.StopHooks {
        final AtomicReference<Thread> registered = new AtomicReference<>();
        final AtomicReference<Thread> removed = new AtomicReference<>();

        @Override
        public void add(Thread hook) {
            registered.set(hook);
        }

        @Override
        public void remove(Thread hook) {
            removed.set(hook);
        }
    }

    /** A hook that logs its run, then (pre_snapshot only) sleeps with a child of its own until killed. */
    private Path slowPre(String name) throws Exception {
        Path p = dir.resolve(name);
        Files.writeString(
                p,
                "#!/bin/sh\necho \"" + name + " $ZREPL_HOOKTYPE $ZREPL_FS\" >> " + dir.resolve("log") + "\n"
                        + "[ \"$ZREPL_HOOKTYPE\" = pre_snapshot ] || exit 0\n"
                        + "sleep 60 &\necho $! > " + dir.resolve("child") + "\nwait\n");
        Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwxr-xr-x"));
        return p;
    }

    /**
     * SIGTERM (systemctl stop) while a pre-snapshot run is in progress: the JVM runs its shutdown hooks and
     * halts, so the post-snapshot runs owed must come from there. The run in progress is killed with its
     * child, no snapshot is taken, and the hooks whose pre runs succeeded get their post runs, last first.
     */
    @Test
    void stoppingDuringAPreRunKillsItAndRunsThePostRunsOwed() throws Exception {
        List<SnapshotHook> hooks = List.of(
                hook(script("freeze", "0"), false, ALL),
                hook(script("lock", "0"), false, ALL),
                hook(slowPre("slow"), false, ALL));
        ManualStop stop = new ManualStop();
        List<String> snapshots = new ArrayList<>();
        AtomicReference<Throwable> thrown = new AtomicReference<>();
        Thread pass = new Thread(() -> {
            try {
                new SnapshotHooks(hooks, new HookRunner(), stop).around(List.of(A), "zrepl_1", fss -> {
                    snapshots.add("snapshot " + fss);
                });
            } catch (Throwable t) {
                thrown.set(t);
            }
        });
        pass.start();
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (!Files.exists(dir.resolve("child")) && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertTrue(Files.exists(dir.resolve("child")), "the slow pre run started: " + log());
        long start = System.nanoTime();
        Thread onStop = stop.registered.get();
        List<String> warned = warnings(() -> {
            onStop.start();
            onStop.join(10_000);
        });
        assertFalse(onStop.isAlive(), "the shutdown hook returned");
        assertEquals(
                List.of("the agent is stopping during the snapshot hooks of @zrepl_1: running the 2 post_snapshot runs"
                        + " owed"),
                warned.stream()
                        .filter(w -> w.startsWith("the agent is stopping"))
                        .toList());
        assertTrue((System.nanoTime() - start) / 1_000_000 < 5000, "stopped within 5 s");
        pass.join(10_000);

        assertEquals(List.of(), snapshots, "no snapshot once the agent is stopping");
        assertTrue(thrown.get() instanceof InterruptedException, String.valueOf(thrown.get()));
        assertEquals(
                List.of(
                        "freeze pre_snapshot tank/a zrepl_1 dryrun=[] timeout=10",
                        "lock pre_snapshot tank/a zrepl_1 dryrun=[] timeout=10",
                        "slow pre_snapshot tank/a",
                        "lock post_snapshot tank/a zrepl_1 dryrun=[] timeout=10",
                        "freeze post_snapshot tank/a zrepl_1 dryrun=[] timeout=10"),
                log(),
                "each post run once, none for the killed one");
        long child = Long.parseLong(Files.readString(dir.resolve("child")).strip());
        long until = System.nanoTime() + 5_000_000_000L;
        while (!dead(child) && System.nanoTime() < until) {
            Thread.sleep(50);
        }
        assertTrue(dead(child), "the killed run's child was killed too");
        assertEquals(onStop, stop.removed.get());
    }

    /** What SnapshotHooks warned about while {@code action} ran. */
    private static List<String> warnings(LogCapture.Action action) throws Exception {
        return LogCapture.logged(SnapshotHooks.class, action).stream()
                .filter(l -> l.startsWith("WARN "))
                .map(l -> l.substring("WARN ".length()))
                .toList();
    }

    /**
     * A stop while the snapshot is taken with no hooks configured: nothing about hooks is said (it spoke of "the
     * post_snapshot hooks owed" to admins who had none); the pass's own stop line says where it was.
     */
    @Test
    void aStopWithoutHooksSaysNothingAboutHooks() throws Exception {
        ManualStop stop = new ManualStop();
        java.util.concurrent.CountDownLatch inSnapshot = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
        Thread pass = new Thread(() -> {
            try {
                new SnapshotHooks(List.of(), new HookRunner(), stop).around(List.of(A), "zrepl_1", fss -> {
                    inSnapshot.countDown();
                    try {
                        release.await();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                });
            } catch (Exception e) {
                // the outcome is not what this test looks at
            }
        });
        pass.start();
        assertTrue(inSnapshot.await(10, java.util.concurrent.TimeUnit.SECONDS));
        Thread onStop = stop.registered.get();
        List<String> warned = warnings(() -> {
            onStop.start();
            Thread.sleep(200);
            release.countDown();
            onStop.join(10_000);
        });
        pass.join(10_000);
        assertFalse(onStop.isAlive(), "the shutdown hook returned");
        assertEquals(List.of(), warned);
    }

    /** Without a stop, the shutdown hook is registered for the hooks' time only, and the pass unwinds itself. */
    @Test
    void anUninterruptedRunUnregistersItsShutdownHook() throws Exception {
        ManualStop stop = new ManualStop();
        new SnapshotHooks(List.of(hook(script("h1", "0"), false, ALL)), new HookRunner(), stop)
                .around(List.of(A), "zrepl_1", fss -> {});
        assertEquals(stop.registered.get(), stop.removed.get());
        assertEquals(2, log().size(), log()::toString);
    }

    /**
     * A hook's output goes to the journal, the terminal and the pass summary: its escape sequences, C1 controls and
     * Unicode line separators are escaped there as the box's text is, its lines staying lines.
     */
    @Test
    void aHooksControlCharactersAreEscapedInTheLogAndTheReport() throws Exception {
        Path noisy = dir.resolve("noisy");
        // ESC [2J (clear the screen), U+2028 and U+009B (CSI) in UTF-8, then a second line.
        Files.writeString(noisy, "#!/bin/sh\nprintf 'a\\033[2Jb\\342\\200\\250c\\302\\233d\\nsecond\\n'\nexit 1\n");
        Files.setPosixFilePermissions(noisy, PosixFilePermissions.fromString("rwxr-xr-x"));
        List<SnapshotHook> hooks = List.of(hook(noisy, false, ALL));
        AtomicReference<SnapshotHooks.Outcome> outcome = new AtomicReference<>();
        List<String> logged = LogCapture.logged(
                SnapshotHooks.class,
                () -> outcome.set(new SnapshotHooks(hooks, new HookRunner()).around(List.of(A), "s", fss -> {})));
        String escaped = "a\\x1b[2Jb\\u2028c\\x9bd";
        assertEquals(List.of("WARN   " + escaped, "WARN   second"), logged.subList(1, logged.size()), logged::toString);
        assertTrue(
                outcome.get().reports().get(0).endsWith("\n    | " + escaped + "\n    | second"),
                outcome.get().reports().get(0));
    }

    @Test
    void aHookThatCannotStartIsAFailure() throws Exception {
        HookRunner.Run run = new HookRunner().run(dir.resolve("missing"), Map.of(), Duration.ofSeconds(1), () -> false);
        assertTrue(run.error().startsWith("cannot run: "), run.error());
    }
}
