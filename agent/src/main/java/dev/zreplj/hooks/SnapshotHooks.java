package dev.zreplj.hooks;

import dev.zreplj.config.SnapshotHook;
import dev.zreplj.zfs.DatasetName;
import dev.zreplj.zfs.ZfsException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
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

    public SnapshotHooks(List<SnapshotHook> hooks, HookRunner runner) {
        this.hooks = List.copyOf(hooks);
        this.runner = runner;
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
        Map<DatasetName, List<SnapshotHook>> toUnwind = new LinkedHashMap<>();
        List<DatasetName> proceed = new ArrayList<>();
        for (DatasetName fs : filesystems) {
            List<SnapshotHook> succeeded = new ArrayList<>();
            boolean skip = false;
            for (SnapshotHook hook : hooks) {
                if (!hook.filesystems().accepts(fs)) {
                    continue;
                }
                HookRunner.Run run = run(hook, Edge.PRE, fs, snapshotName);
                if (run.ok()) {
                    succeeded.add(hook);
                } else if (hook.errIsFatal()) {
                    reports.add(report(hook, Edge.PRE, fs, run, "; snapshot of " + fs + " skipped (err_is_fatal)"));
                    skip = true;
                    break;
                } else {
                    reports.add(report(hook, Edge.PRE, fs, run, ""));
                }
            }
            toUnwind.put(fs, succeeded);
            if (!skip) {
                proceed.add(fs);
            }
        }
        ZfsException failure = null;
        try {
            if (!proceed.isEmpty()) {
                snapshotter.snapshot(proceed);
            }
        } catch (ZfsException e) {
            // Returned, not thrown: the hooks' reports of this pass belong in its summary all the same.
            failure = e;
        } finally {
            for (Map.Entry<DatasetName, List<SnapshotHook>> e : toUnwind.entrySet()) {
                List<SnapshotHook> stack = e.getValue();
                for (int i = stack.size() - 1; i >= 0; i--) {
                    HookRunner.Run run = run(stack.get(i), Edge.POST, e.getKey(), snapshotName);
                    if (!run.ok()) {
                        reports.add(report(stack.get(i), Edge.POST, e.getKey(), run, ""));
                    }
                }
            }
        }
        return new Outcome(proceed, reports, failure);
    }

    private enum Edge {
        PRE("pre_snapshot"),
        POST("post_snapshot");

        final String type;

        Edge(String type) {
            this.type = type;
        }
    }

    private HookRunner.Run run(SnapshotHook hook, Edge edge, DatasetName fs, String snapshotName)
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
        HookRunner.Run run = runner.run(hook.path(), env, hook.timeout());
        String head = "hook " + hook.path() + " (" + edge.type + ", " + fs + "@" + snapshotName + "): "
                + (run.ok() ? "ok" : run.error()) + " in " + run.took().toMillis() + " ms";
        if (run.ok()) {
            log.info("{}", head);
        } else {
            log.warn("{}", head);
        }
        run.output().lines().forEach(line -> {
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
        List<String> lines = run.output().lines().toList();
        for (String line : lines.subList(Math.max(0, lines.size() - SUMMARY_LINES), lines.size())) {
            sb.append("\n    | ").append(line);
        }
        return sb.toString();
    }
}
