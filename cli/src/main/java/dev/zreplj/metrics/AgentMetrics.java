package dev.zreplj.metrics;

import dev.zreplj.agent.JobStatusStore;
import dev.zreplj.agent.JobStatusStore.FilesystemStatus;
import dev.zreplj.agent.JobStatusStore.JobStatus;
import io.prometheus.metrics.model.registry.MultiCollector;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The agent's metrics, read from its state files at every collection: each push job's status file (what
 * {@code zreplj status} reads) and its counters ({@link PassTotals}). So the textfile {@code agent once}
 * writes and the endpoint {@code agent run} serves say the same, whichever process ran the pass. A
 * timestamp that never happened is 0, so that {@code time() - x} alerts on a job that never backed up.
 */
public final class AgentMetrics implements MultiCollector {
    private static final Logger log = LoggerFactory.getLogger(AgentMetrics.class);

    private final Path stateDir;
    private final List<String> jobs;
    private final Set<String> snapJobs;

    public AgentMetrics(Path stateDir, List<String> jobs) {
        this(stateDir, jobs, Set.of());
    }

    /**
     * @param jobs     the push and snap jobs
     * @param snapJobs those of them that are snap jobs: their status files name no filesystem (they replicate
     *                 nothing), so their {@code zreplj_snapshots} come from the counters file's filesystems, and they
     *                 have no replication series
     */
    public AgentMetrics(Path stateDir, List<String> jobs, Set<String> snapJobs) {
        this.stateDir = stateDir;
        this.jobs = List.copyOf(jobs);
        this.snapJobs = Set.copyOf(snapJobs);
    }

    @Override
    public MetricSnapshots collect() {
        MetricFamilies m = new MetricFamilies()
                .gauge("zreplj_pass_last_attempt_timestamp_seconds", "When the job's last pass ended (0: never ran).")
                .gauge(
                        "zreplj_pass_last_success_timestamp_seconds",
                        "When the job's last pass that failed nowhere ended (0: none yet).")
                .gauge("zreplj_pass_failed", "1 when the job's last pass failed at some stage or filesystem.")
                .gauge("zreplj_pass_duration_seconds", "How long the job's last pass took.")
                .counter("zreplj_passes", "Passes of the job.")
                .counter("zreplj_pass_failures", "Passes of the job that failed at some stage or filesystem.")
                .counter("zreplj_stage_failures", "Failed stages of the job's passes, by stage.")
                .counter("zreplj_pruned_snapshots", "Snapshots destroyed by the pruning of the job's passes, by side.")
                .gauge("zreplj_filesystem_last_attempt_timestamp_seconds", "When a pass last tried the filesystem.")
                .gauge(
                        "zreplj_filesystem_last_success_timestamp_seconds",
                        "When the filesystem was last replicated or found up to date (0: never).")
                .gauge(
                        "zreplj_filesystem_last_snapshot_timestamp_seconds",
                        "When a pass last snapshotted the filesystem.")
                .gauge(
                        "zreplj_filesystem_newest_snapshot_timestamp_seconds",
                        "Creation of the newest snapshot of the filesystem the box was last found to hold.")
                .gauge("zreplj_filesystem_failed", "1 when the filesystem failed or conflicted in the last pass.")
                .counter("zreplj_replicated_bytes", "Bytes of send streams the box took for the filesystem.")
                .counter("zreplj_replication_steps", "Replication steps (snapshots sent) completed for the filesystem.")
                .counter(
                        "zreplj_replication_failures",
                        "Passes in which the filesystem ended failed, by the kind of its last failure (retries that succeeded are not counted).")
                .gauge("zreplj_snapshots", "The filesystem's snapshots on each side after the last prune.");
        JobStatusStore store = new JobStatusStore(stateDir);
        for (String job : jobs) {
            // Each file gives what it can: an unreadable one leaves out its own series, not the job's others.
            // Left out rather than guessed (a damaged status is not "never ran"): the absent series is what
            // an alert on it notices. The next pass replaces a damaged file.
            Optional<JobStatus> status;
            try {
                status = store.read(job);
            } catch (IOException e) {
                log.warn("metrics: job {}: {}", job, e.getMessage());
                status = null;
            }
            PassTotals totals;
            try {
                totals = PassTotals.read(stateDir, job);
            } catch (IOException e) {
                log.warn("metrics: job {}: {}", job, e.getMessage());
                totals = null;
            }
            if (status != null) {
                m.add(
                        "zreplj_pass_last_attempt_timestamp_seconds",
                        status.map(JobStatus::lastRun).orElse(0L),
                        "zreplj_job",
                        job);
                if (status.isPresent()) {
                    addStatus(m, job, status.get());
                }
            }
            // The status file's (kept with the job's history); the counters file's where the status has none
            // (unreadable, or written by an older zreplj).
            Long lastSuccess =
                    status != null && status.isPresent() ? status.get().lastSuccess() : null;
            if (lastSuccess == null && totals != null) {
                lastSuccess = totals.lastSuccess();
            }
            if (lastSuccess != null) {
                m.add("zreplj_pass_last_success_timestamp_seconds", lastSuccess, "zreplj_job", job);
            }
            if (totals != null) {
                // The filesystems the status names; all the counters file has when the status is damaged or absent.
                // A snap job's status names none: the filesystems its pruning counted are the counters file's.
                boolean snap = snapJobs.contains(job);
                List<String> filesystems = !snap && status != null && status.isPresent()
                        ? status.get().filesystems().stream()
                                .map(FilesystemStatus::filesystem)
                                .toList()
                        : List.copyOf(totals.filesystems().keySet());
                addTotals(m, job, totals, filesystems, snap);
            }
        }
        return m.snapshots();
    }

    private static void addTotals(
            MetricFamilies m, String job, PassTotals totals, List<String> filesystems, boolean snap) {
        if (totals.passes() > 0) {
            m.add("zreplj_pass_duration_seconds", totals.lastDurationSeconds(), "zreplj_job", job);
        }
        m.add("zreplj_passes", totals.passes(), "zreplj_job", job);
        m.add("zreplj_pass_failures", totals.failedPasses(), "zreplj_job", job);
        totals.stageFailures()
                .forEach((stage, n) -> m.add("zreplj_stage_failures", n, "zreplj_job", job, "stage", stage));
        totals.pruned().forEach((side, n) -> m.add("zreplj_pruned_snapshots", n, "zreplj_job", job, "side", side));
        for (String fs : filesystems) {
            PassTotals.FilesystemTotals t = totals.filesystems().get(fs);
            if (t == null) {
                continue;
            }
            t.snapshots()
                    .forEach((side, n) ->
                            m.add("zreplj_snapshots", n, "zreplj_job", job, "filesystem", fs, "side", side));
            if (snap) {
                continue; // it replicates nothing: no replication series
            }
            m.add("zreplj_replicated_bytes", t.bytes(), "zreplj_job", job, "filesystem", fs);
            m.add("zreplj_replication_steps", t.steps(), "zreplj_job", job, "filesystem", fs);
            for (Map.Entry<String, Long> e : t.failures().entrySet()) {
                m.add(
                        "zreplj_replication_failures",
                        e.getValue(),
                        "zreplj_job",
                        job,
                        "filesystem",
                        fs,
                        "kind",
                        e.getKey());
            }
        }
    }

    /** The status file's series: the job's last pass and each filesystem's gauges (the counters are addTotals'). */
    private static void addStatus(MetricFamilies m, String job, JobStatus status) {
        m.add("zreplj_pass_failed", status.failed() ? 1 : 0, "zreplj_job", job);
        for (FilesystemStatus f : status.filesystems()) {
            String fs = f.filesystem();
            m.add(
                    "zreplj_filesystem_last_attempt_timestamp_seconds",
                    f.lastAttempt(),
                    "zreplj_job",
                    job,
                    "filesystem",
                    fs);
            m.add(
                    "zreplj_filesystem_last_success_timestamp_seconds",
                    f.lastSuccess(),
                    "zreplj_job",
                    job,
                    "filesystem",
                    fs);
            if (f.lastSnapshot() != null) {
                m.add(
                        "zreplj_filesystem_last_snapshot_timestamp_seconds",
                        f.lastSnapshot(),
                        "zreplj_job",
                        job,
                        "filesystem",
                        fs);
            }
            if (f.newestOnBox() != null) {
                m.add(
                        "zreplj_filesystem_newest_snapshot_timestamp_seconds",
                        f.newestOnBox(),
                        "zreplj_job",
                        job,
                        "filesystem",
                        fs);
            }
            m.add("zreplj_filesystem_failed", f.failed() ? 1 : 0, "zreplj_job", job, "filesystem", fs);
        }
    }
}
