package dev.zreplj.cli;

import dev.zreplj.agent.JobHistory;
import dev.zreplj.agent.JobLock;
import dev.zreplj.agent.JobStatusStore;
import dev.zreplj.agent.PushPass;
import dev.zreplj.agent.SnapPass;
import dev.zreplj.config.Config;
import dev.zreplj.config.Job;
import dev.zreplj.config.PushJob;
import dev.zreplj.config.SnapJob;
import dev.zreplj.config.Snapshotting;
import dev.zreplj.metrics.AgentMetrics;
import dev.zreplj.metrics.PassTotals;
import dev.zreplj.metrics.Textfile;
import dev.zreplj.prune.PruneReport;
import dev.zreplj.replication.FilesystemResult;
import dev.zreplj.replication.Progress;
import dev.zreplj.zfs.Zfs;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** What {@code agent once} and {@code agent run} share: picking jobs, the summary. */
final class AgentJobs {
    private static final Logger log = LoggerFactory.getLogger(AgentJobs.class);

    private AgentJobs() {}

    static List<PushJob> select(Config config, List<String> names) throws CliException {
        List<PushJob> push = config.pushJobs();
        if (push.isEmpty()) {
            throw CliException.usage(config.file() + ": no push job: the agent needs a job of type push");
        }
        for (String name : names) {
            if (config.job(name).orElse(null) instanceof SnapJob) {
                throw CliException.usage("job '" + name + "' is a snap job, which has no backup box; name a push job");
            }
            if (push.stream().noneMatch(j -> j.name().equals(name))) {
                throw CliException.usage("no push job named '" + name + "' in " + config.file());
            }
        }
        return names.isEmpty()
                ? push
                : push.stream().filter(j -> names.contains(j.name())).toList();
    }

    /**
     * The jobs the agent runs (push and snap), in config order: all, or the named ones. A name of another job (a
     * sink job) or of none is a usage error.
     */
    static List<Job> selectAgentJobs(Config config, List<String> names) throws CliException {
        List<Job> agent = config.jobs().stream()
                .filter(j -> j instanceof PushJob || j instanceof SnapJob)
                .toList();
        if (agent.isEmpty()) {
            throw CliException.usage(
                    config.file() + ": no push or snap job: the agent needs a job of type push or snap");
        }
        for (String name : names) {
            if (agent.stream().noneMatch(j -> j.name().equals(name))) {
                throw CliException.usage("no push or snap job named '" + name + "' in " + config.file());
            }
        }
        return names.isEmpty()
                ? agent
                : agent.stream().filter(j -> names.contains(j.name())).toList();
    }

    /** A push or snap job's snapshotting. */
    static Snapshotting snapshotting(Job job) {
        if (job instanceof PushJob p) {
            return p.snapshotting();
        }
        if (job instanceof SnapJob s) {
            return s.snapshotting();
        }
        throw new IllegalArgumentException("job '" + job.name() + "' takes no snapshots");
    }

    /** One pass of a snap job, as {@code agent once} and {@code agent run} run it. */
    static PushPass.Result snapPass(Config config, SnapJob job, Zfs zfs, Progress progress, boolean force, boolean all)
            throws InterruptedException {
        return new SnapPass(
                        job,
                        config.pushJobs(),
                        zfs,
                        Clock.system(ZoneId.systemDefault()),
                        progress,
                        history(config, job))
                .run(force, all);
    }

    /** Every job's pass lock for as long as the command runs them; one line, exit 1, when another process has one. */
    static JobLock lock(Config config, List<? extends Job> jobs) throws IOException, CliException {
        try {
            return JobLock.acquire(
                    config.global().stateDir(), jobs.stream().map(Job::name).toList());
        } catch (JobLock.HeldException e) {
            throw CliException.failure(e.getMessage());
        } catch (IOException e) {
            String why = e instanceof java.nio.file.AccessDeniedException
                    ? "permission denied"
                    : e instanceof java.nio.file.FileSystemException f && f.getReason() != null
                            ? f.getReason()
                            : e.getMessage();
            throw CliException.failure("cannot take the job lock under "
                    + config.global().stateDir().resolve("jobs")
                    + " (" + (e instanceof java.nio.file.FileSystemException f ? f.getFile() + ": " : "") + why
                    + "); the agent needs a writable global.zreplj.state_dir");
        }
    }

    /** What the job's status file holds from earlier passes; none when it cannot be read. */
    static JobHistory history(Config config, Job job) {
        return new JobStatusStore(config.global().stateDir()).history(job.name());
    }

    /**
     * Prints the pass's summary, records it for {@code zreplj status} and the metrics, and rewrites the
     * metrics textfile when one is configured; a file that cannot be written is logged.
     *
     * @return whether the status file was written: without it {@code zreplj status} goes on showing the pass
     *     before, so {@code agent once} must not exit 0
     */
    static boolean report(Config config, PushPass.Result result, Duration took, Output output, PrintStream out) {
        if (output.prints(result.failed())) {
            if (config.job(result.job()).orElse(null) instanceof SnapJob) {
                printSnapSummary(result, output == Output.DETAIL, out);
            } else {
                printSummary(result, output == Output.DETAIL, out);
            }
        }
        Path state = config.global().stateDir();
        Instant now = Instant.now();
        boolean recorded = true;
        JobStatusStore store = new JobStatusStore(state);
        try {
            store.record(result, now);
        } catch (IOException e) {
            recorded = false;
            log.warn(
                    "cannot write the status file for job {}: {}; {}",
                    result.job(),
                    e.getMessage(),
                    unrecorded(store, result.job(), now));
        }
        try {
            PassTotals.record(state, result, took, now);
        } catch (IOException e) {
            log.warn("cannot count the pass of job {} for the metrics: {}", result.job(), e.getMessage());
        }
        Path textfile = config.global().metricsTextfile();
        if (textfile != null) {
            try {
                Textfile.write(textfile, metrics(config));
            } catch (IOException | RuntimeException e) {
                log.warn("cannot write the metrics textfile {}", Textfile.failure(textfile, e));
            }
        }
        return recorded;
    }

    /**
     * After a pass whose status could not be written: marks the file that keeps the pass before (which may read all
     * ok), and says what {@code zreplj status} shows now.
     */
    static String unrecorded(JobStatusStore store, String job, Instant now) {
        try {
            store.markUnrecorded(job, now);
            return "'zreplj status' warns that this pass is not recorded until a pass records again";
        } catch (IOException | UnsupportedOperationException notMarked) {
            // Neither written nor marked: what status shows is whatever it can read there, if anything.
        }
        try {
            return store.read(job).isPresent()
                    ? "'zreplj status' still shows the pass before"
                    : "'zreplj status' shows no pass of it";
        } catch (IOException unreadable) {
            return "'zreplj status' cannot read that file either, and reports the job UNKNOWN";
        }
    }

    /** Every push and snap job's metrics, also of jobs this command did not run. */
    static AgentMetrics metrics(Config config) {
        return new AgentMetrics(
                config.global().stateDir(),
                config.jobs().stream()
                        .filter(j -> j instanceof PushJob || j instanceof SnapJob)
                        .map(Job::name)
                        .toList(),
                config.jobs().stream()
                        .filter(j -> j instanceof SnapJob)
                        .map(Job::name)
                        .collect(java.util.stream.Collectors.toSet()));
    }

    /** @param detail also why each snapshot was kept, which every pass would otherwise repeat */
    static void printSummary(PushPass.Result result, boolean detail, PrintStream out) {
        StringBuilder sb = new StringBuilder();
        sb.append("job ").append(result.job()).append(": ");
        if (result.error() != null) {
            sb.append("failed: ").append(result.error());
        } else {
            long failed = result.filesystems().stream()
                    .filter(FilesystemResult::failed)
                    .count();
            sb.append(result.filesystems().size())
                    .append(" filesystem")
                    .append(result.filesystems().size() == 1 ? "" : "s")
                    .append(failed == 0 && !result.failed() ? ", all ok" : ", " + failed + " failed");
        }
        result.snapshotTaken().ifPresent(s -> sb.append("; took snapshot @").append(s));
        out.println(sb);
        for (String stage : result.stageFailures()) {
            if (!stage.equals(result.error())) {
                out.println("  failed: " + stage);
            }
        }
        for (String warning : result.warnings()) {
            out.println("  warning: " + warning);
        }
        for (FilesystemResult fs : result.filesystems()) {
            out.println("  " + fs.summaryLine());
        }
        if (result.prune() != null) {
            printPrune(result.prune(), detail, out);
        }
        out.flush();
    }

    /**
     * A snap job's pass: it has no filesystem results (nothing is replicated), so its line counts what it looked
     * at; then its failed stages, warnings and pruning, as a push pass's.
     */
    static void printSnapSummary(PushPass.Result result, boolean detail, PrintStream out) {
        StringBuilder sb = new StringBuilder("job " + result.job() + ": ");
        if (result.error() != null) {
            sb.append("failed: ").append(result.error());
        } else {
            int n = result.selected().size();
            sb.append(n)
                    .append(" filesystem")
                    .append(n == 1 ? "" : "s")
                    .append(result.failed() ? ", failed" : ", all ok");
        }
        result.snapshotTaken().ifPresent(s -> sb.append("; took snapshot @").append(s));
        if (result.prune() != null) {
            int destroyed = result.prune().destroyedCount();
            sb.append("; pruned ").append(destroyed).append(" snapshot").append(destroyed == 1 ? "" : "s");
        }
        out.println(sb);
        for (String stage : result.stageFailures()) {
            if (!stage.equals(result.error())) {
                out.println("  failed: " + stage);
            }
        }
        for (String warning : result.warnings()) {
            out.println("  warning: " + warning);
        }
        if (result.prune() != null) {
            printPrune(result.prune(), detail, out);
        }
        out.flush();
    }

    static void printPrune(PruneReport prune, boolean detail, PrintStream out) {
        for (String line : prune.lines(detail)) {
            out.println("  " + line);
        }
    }
}
