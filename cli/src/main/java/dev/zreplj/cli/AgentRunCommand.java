package dev.zreplj.cli;

import dev.zreplj.agent.JobLock;
import dev.zreplj.agent.PushPass;
import dev.zreplj.config.Config;
import dev.zreplj.config.Job;
import dev.zreplj.config.PrometheusListener;
import dev.zreplj.config.PushJob;
import dev.zreplj.config.SnapJob;
import dev.zreplj.metrics.MetricsEndpoint;
import dev.zreplj.zfs.Zfs;
import java.io.IOException;
import java.time.Clock;
import java.time.ZoneId;
import java.util.List;
import java.util.concurrent.Callable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.ParentCommand;

/**
 * The long-running agent: each job, on its own (JobLoops), takes its snapshot when due at every check, then
 * replicates and prunes; a job whose last pass failed is retried, less often the longer it fails (JobLoops).
 */
@Command(
        name = "run",
        description = "Long-running: periodic snapshots, replication and pruning for every push and snap job.")
final class AgentRunCommand implements Callable<Integer> {
    private static final Logger log = LoggerFactory.getLogger(AgentRunCommand.class);

    @ParentCommand
    AgentCommand parent;

    @Override
    public Integer call() throws Exception {
        Config config = parent.parent.loadConfig();
        config.warnings().forEach(w -> log.warn("config: {}", w));
        List<Job> jobs = AgentJobs.selectAgentJobs(config, List.of());
        try (JobLock lock = AgentJobs.lock(config, jobs);
                MetricsEndpoint endpoint = endpoint(config)) {
            Zfs zfs = LocalZfs.of(config);
            for (Job job : jobs) {
                log.info(
                        "agent: job {} checks every {} s",
                        job.name(),
                        JobLoops.tick(job).toSeconds());
            }
            loop(config, jobs, zfs, parent.parent.output());
        }
        return ExitCodes.OK;
    }

    /** zrepl's global.monitoring; null when none is configured. */
    private static MetricsEndpoint endpoint(Config config) throws CliException {
        List<PrometheusListener> listeners = config.global().monitoring();
        if (listeners.isEmpty()) {
            return null;
        }
        try {
            MetricsEndpoint endpoint = MetricsEndpoint.start(listeners, AgentJobs.metrics(config));
            log.info(
                    "agent: serving Prometheus metrics on {} (ports {})",
                    listeners.stream().map(PrometheusListener::listen).toList(),
                    endpoint.ports());
            return endpoint;
        } catch (IOException e) {
            throw CliException.failure(e.getMessage());
        }
    }

    private static void loop(Config config, List<Job> jobs, Zfs zfs, Output output) throws Exception {
        new JobLoops(
                        (job, connect, progress) -> job instanceof SnapJob snap
                                // Every check prunes (zrepl: after each snapshot; a snapshot taken by hand under
                                // manual snapshotting goes within a minute); reported when it took or destroyed a
                                // snapshot or failed, and always on the first check and retries.
                                ? AgentJobs.snapPass(
                                        config, snap, zfs, progress, false, connect == PushPass.Connect.ALWAYS)
                                : new PushPass(
                                                (PushJob) job,
                                                zfs,
                                                Clock.system(ZoneId.systemDefault()),
                                                progress,
                                                AgentJobs.history(config, job))
                                        .run(false, connect),
                        (result, took) -> AgentJobs.report(config, result, took, output, System.out),
                        () -> TerminalScreen.progress(output),
                        // A pass leaves a few MB in the old generation (its session, listings, buffers that outlived
                        // a young collection), and the serial collector compacts that only once the old generation
                        // is full: up to the whole heap, about 240 MB, before the first full collection. In
                        // bench/compare's warm workload the RSS grew 4-6 MB with every pass. Collecting here, while
                        // the agent only waits, keeps the old generation at what the next pass needs; the
                        // collection marks only the few MB the JVM still holds.
                        System::gc)
                .run(jobs);
    }
}
