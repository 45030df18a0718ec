package dev.zreplj.hooks;

import dev.zreplj.config.SnapshotHook;
import dev.zreplj.protocol.Printable;
import dev.zreplj.zfs.DatasetName;
import dev.zreplj.zfs.ZfsException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * zrepl's snapshot hooks around zreplj's one snapshot of all selected filesystems. Per filesystem, the
 * pre-snapshot runs go in config order; a failed one with {@code err_is_fatal} cuts off the hooks after
 * it and keeps that filesystem out of the snapshot; a failed one without it is reported and changes
 * nothing else. After the snapshot (also when it failed) the post-snapshot runs go in reverse order, only
 * for hooks whose pre-snapshot run succeeded, like a stack. zrepl snapshots filesystem by filesystem; zreplj
 * takes one atomic snapshot, so every filesystem's pre-snapshot runs come first, then the snapshot, then
 * every filesystem's post-snapshot runs.
 */
public final class SnapshotHooks {
    private static final Logger log = LoggerFactory.getLogger(SnapshotHooks.class);
    /** Lines of a failed run's output repeated in the pass summary; the log has all that was kept. */
    private static final int SUMMARY_LINES = 10;

    private final List<SnapshotHook> hooks;
    private final HookRunner runner;
    private final StopHooks stopHooks;

    public SnapshotHooks(List<SnapshotHook> hooks, HookRunner runner) {
        this(hooks, runner, StopHooks.JVM);
    }

    SnapshotHooks(List<SnapshotHook> hooks, HookRunner runner, StopHooks stopHooks) {
        this.hooks = List.copyOf(hooks);
        this.runner = runner;
        this.stopHooks = stopHooks;
    }

    /** Where the unwinding on stop is registered: the JVM's shutdown hooks, or a test that stops by hand. */
    interface StopHooks {
        void add(Thread hook);

        void remove(Thread hook);

        StopHooks JVM = new StopHooks() {
            @Override
            public void add(Thread hook) {
                Runtime.getRuntime().addShutdownHook(hook);
            }

            @Override
            public void remove(Thread hook) {
                try {
                    Runtime.getRuntime().removeShutdownHook(hook);
                } catch (IllegalStateException shuttingDown) {
                    // The hook runs (or ran) what the pass did not.
                }
            }
        };
    }

    /** Takes the snapshot of the filesystems it is given. */
    @FunctionalInterface
    public interface Snapshotter {
        void snapshot(List<DatasetName> filesystems) throws ZfsException;
    }

    /**
     * @param snapshotted the filesystems that were given to the snapshot (all but those a fatal pre-hook kept out)
     * @param reports     one line each (with the run's output below it) for every failed run, for the summary,
     *                    also when the snapshot itself failed
     * @param failure     why the snapshot of {@code snapshotted} failed; null when it was taken (or none was tried)
     */
    public record Outcome(List<DatasetName> snapshotted, List<String> reports, ZfsException failure) {
        public Outcome {
            snapshotted = List.copyOf(snapshotted);
            reports = List.copyOf(reports);
        }
    }

    public Outcome around(List<DatasetName> filesystems, String snapshotName, Snapshotter snapshotter)
            throws InterruptedException {
        List<String> reports = new ArrayList<>();
        for (int i = 0; i < hooks.size(); i++) {
            SnapshotHook hook = hooks.get(i);
            if (filesystems.stream().noneMatch(fs -> hook.filesystems().accepts(fs))) {
                // As zrepl: a typo in a hook's filter would otherwise leave it never running, silently.
                log.warn(
                        "snapshot hook {} ({}) matches none of the {} filesystems snapshotted; it does not run",
                        i + 1,
                        hook.path(),
                        filesystems.size());
            }
        }
        Unwind unwind = new Unwind(snapshotName);
        // The JVM runs its shutdown hooks and halts: on SIGTERM (systemctl stop, a shutdown) the unwinding
        // below never ran, and a freeze or a stopped service a pre-snapshot run left stayed in force.
        Thread onStop = new Thread(unwind::stop, "zreplj-hooks-unwind");
        stopHooks.add(onStop);
        List<DatasetName> proceed = new ArrayList<>();
        ZfsException failure = null;
        try {
            for (DatasetName fs : filesystems) {
                boolean skip = false;
                for (SnapshotHook hook : hooks) {
                    if (!hook.filesystems().accepts(fs)) {
                        continue;
                    }
                    // Not started once the agent is stopping: a freeze begun after stop() killed the pre runs in
                    // progress would outlive the agent, its thaw never run.
                    HookRunner.Run run = run(hook, Edge.PRE, fs, snapshotName, unwind::stopping);
                    if (run.ok()) {
                        unwind.owe(fs, hook);
                    }
                    if (unwind.stopping()) {
                        // Killed by stop(), or ended by itself meanwhile: owed its post run only if it succeeded.
                        throw unwind.stopped();
                    }
                    if (!run.ok() && hook.errIsFatal()) {
                        reports.add(report(hook, Edge.PRE, fs, run, "; snapshot of " + fs + " skipped (err_is_fatal)"));
                        skip = true;
                        break;
                    } else if (!run.ok()) {
                        reports.add(report(hook, Edge.PRE, fs, run, ""));
                    }
                }
                if (!skip) {
                    proceed.add(fs);
                }
            }
            if (!unwind.beginSnapshot()) {
                throw unwind.stopped();
            }
            try {
                if (!proceed.isEmpty()) {
                    snapshotter.snapshot(proceed);
                }
            } catch (ZfsException e) {
                // Returned, not thrown: the hooks' reports of this pass belong in its summary all the same.
                failure = e;
            } finally {
                unwind.endSnapshot();
            }
        } finally {
            unwind.run(reports, null);
            stopHooks.remove(onStop);
        }
        return new Outcome(proceed, reports, failure);
    }

    /**
     * The post-snapshot runs owed: for each filesystem, the hooks whose pre-snapshot run succeeded, run
     * last-first. Each is taken once, by the pass or, when the agent is stopped mid-way, by the JVM's
     * shutdown ({@link #stop}), which first kills a pre-snapshot run in progress and lets a snapshot or a post
     * run in progress end.
     */
    private final class Unwind {
        /** How long stop() waits for the pass's snapshot or post run in progress. */
        private static final Duration IN_FLIGHT_WAIT = Duration.ofSeconds(60);

        private final String snapshotName;
        private final Map<DatasetName, List<SnapshotHook>> owed = new LinkedHashMap<>();
        /** Volatile: a pre run's start reads it without the lock, which stop() holds while it kills that run. */
        private volatile boolean stopping;
        /** Until the snapshot begins (or is given up): what runs meanwhile is a pre-snapshot run. */
        private boolean prePhase = true;

        private int inFlight;

        Unwind(String snapshotName) {
            this.snapshotName = snapshotName;
        }

        synchronized void owe(DatasetName fs, SnapshotHook hook) {
            owed.computeIfAbsent(fs, k -> new ArrayList<>()).add(hook);
        }

        boolean stopping() {
            return stopping;
        }

        InterruptedException stopped() {
            return new InterruptedException("the agent is stopping; the snapshot @" + snapshotName + " was not taken");
        }

        /** False when the agent is stopping: no snapshot then, the post runs follow at once. */
        synchronized boolean beginSnapshot() {
            prePhase = false;
            if (stopping) {
                return false;
            }
            inFlight++;
            return true;
        }

        synchronized void endSnapshot() {
            inFlight--;
            notifyAll();
        }

        /**
         * The next post run owed, counted in flight until {@link #done}; null when none is left. One at a time,
         * and none while the snapshot is taken: a thaw must not overtake the unlock before it, nor the snapshot.
         * Past {@code deadline} (stop()'s bound, a nanoTime; null for none) it no longer waits for them.
         */
        private synchronized Map.Entry<DatasetName, SnapshotHook> take(Long deadline) throws InterruptedException {
            prePhase = false;
            awaitIdle(deadline);
            for (Map.Entry<DatasetName, List<SnapshotHook>> e : owed.entrySet()) {
                List<SnapshotHook> stack = e.getValue();
                if (!stack.isEmpty()) {
                    inFlight++;
                    return Map.entry(e.getKey(), stack.remove(stack.size() - 1));
                }
            }
            return null;
        }

        private synchronized void awaitIdle(Long deadline) throws InterruptedException {
            while (inFlight > 0) {
                if (deadline == null) {
                    wait();
                } else {
                    long left = deadline - System.nanoTime();
                    if (left <= 0) {
                        return;
                    }
                    wait(Math.max(1, left / 1_000_000));
                }
            }
        }

        private synchronized void done() {
            inFlight--;
            notifyAll();
        }

        /** Runs the post runs owed that no other thread took; a failed one is added to {@code reports}. */
        void run(List<String> reports, Long deadline) throws InterruptedException {
            for (Map.Entry<DatasetName, SnapshotHook> next; (next = take(deadline)) != null; ) {
                try {
                    HookRunner.Run run = SnapshotHooks.this.run(
                            next.getValue(), Edge.POST, next.getKey(), snapshotName, () -> false);
                    if (!run.ok()) {
                        reports.add(report(next.getValue(), Edge.POST, next.getKey(), run, ""));
                    }
                } finally {
                    done();
                }
            }
        }

        /** The JVM's shutdown: no more pre runs or snapshot; the post runs owed run before it halts. */
        void stop() {
            int owedRuns;
            synchronized (this) {
                stopping = true;
                if (prePhase) {
                    // A pre-snapshot run in progress (under the lock, so no post run can have begun): killed,
                    // it failed, and its post run is not owed.
                    runner.killRunning();
                }
                owedRuns = owed.values().stream().mapToInt(List::size).sum();
            }
            // Without hooks there is nothing to say here: the pass's own stop line says where it was.
            if (!hooks.isEmpty()) {
                log.warn(
                        "the agent is stopping during the snapshot hooks of @{}: {}",
                        snapshotName,
                        owedRuns == 0
                                ? "no post_snapshot run is owed"
                                : "running the " + owedRuns + " post_snapshot run" + (owedRuns == 1 ? "" : "s")
                                        + " owed");
            }
            long deadline = System.nanoTime() + IN_FLIGHT_WAIT.toNanos();
            try {
                run(new ArrayList<>(), deadline);
                // The pass's own last post run: the JVM halts when this returns, cutting it off.
                awaitIdle(deadline);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private enum Edge {
        PRE("pre_snapshot"),
        POST("post_snapshot");

        final String type;

        Edge(String type) {
            this.type = type;
        }
    }

    private HookRunner.Run run(
            SnapshotHook hook, Edge edge, DatasetName fs, String snapshotName, BooleanSupplier cancelled)
            throws InterruptedException {
        Map<String, String> env = Map.of(
                "ZREPL_HOOKTYPE",
                edge.type,
                "ZREPL_FS",
                fs.value(),
                "ZREPL_SNAPNAME",
                snapshotName,
                // zreplj has no dry run of snapshotting; zrepl sets "" then too
                "ZREPL_DRYRUN",
                "",
                "ZREPL_TIMEOUT",
                Long.toString(hook.timeout().toSeconds()));
        HookRunner.Run run = runner.run(hook.path(), env, hook.timeout(), cancelled);
        String head = "hook " + hook.path() + " (" + edge.type + ", " + fs + "@" + snapshotName + "): "
                + (run.ok() ? "ok" : run.error()) + " in " + run.took().toMillis() + " ms";
        if (run.ok()) {
            log.info("{}", head);
        } else {
            log.warn("{}", head);
        }
        shownLines(run).forEach(line -> {
            if (run.ok()) {
                log.info("  {}", line);
            } else {
                log.warn("  {}", line);
            }
        });
        return run;
    }

    private static String report(SnapshotHook hook, Edge edge, DatasetName fs, HookRunner.Run run, String consequence) {
        StringBuilder sb = new StringBuilder(
                "hook " + hook.path() + " (" + edge.type + ", " + fs + ") failed: " + run.error() + consequence);
        List<String> lines = shownLines(run);
        for (String line : lines.subList(Math.max(0, lines.size() - SUMMARY_LINES), lines.size())) {
            sb.append("\n    | ").append(line);
        }
        return sb.toString();
    }

    /**
     * The run's output line by line, each escaped as the box's text is: it goes to the journal, the admin's terminal
     * and the pass summary, where a hook's escape sequences or line separators would clear a screen or forge a line.
     */
    private static List<String> shownLines(HookRunner.Run run) {
        return run.output().lines().map(Printable::of).toList();
    }
}
