package dev.zreplj.cli;

import dev.zreplj.agent.JobLock;
import dev.zreplj.agent.PushPass;
import dev.zreplj.config.Config;
import dev.zreplj.config.PrometheusListener;
import dev.zreplj.config.PushJob;
import dev.zreplj.config.Snapshotting;
import dev.zreplj.metrics.MetricsEndpoint;
import dev.zreplj.replication.Progress;
import dev.zreplj.zfs.Zfs;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.ZoneId;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.ParentCommand;

/**
 * The long-running agent: every tick it takes each job's snapshot when due, then replicates and prunes;
 * a job whose last pass failed is retried every tick until it succeeds.
 */
@Command(name = "run", description = "Long-running: periodic snapshots, replication and pruning for every push job.")
final class AgentRunCommand implements Callable<Integer> {
    private static final Logger log = LoggerFactory.getLogger(AgentRunCommand.class);
    private static final Duration MAX_TICK = Duration.ofMinutes(1);

    @ParentCommand
    AgentCommand parent;

    @Override
    public Integer call() throws Exception {
        Config config = parent.parent.loadConfig();
        config.warnings().forEach(w -> log.warn("config: {}", w));
        List<PushJob> jobs = AgentJobs.select(config, List.of());
        Duration tick = MAX_TICK;
        for (PushJob job : jobs) {
            Snapshotting s = job.snapshotting();
            if (s.type() == Snapshotting.Type.PERIODIC && s.interval().compareTo(tick) < 0) {
                tick = s.interval();
            }
        }
        try (JobLock lock = AgentJobs.lock(config, jobs);
                MetricsEndpoint endpoint = endpoint(config)) {
            Zfs zfs = LocalZfs.of(config);
            log.info(
                    "agent: {} push job{}, checking every {} s",
                    jobs.size(),
                    jobs.size() == 1 ? "" : "s",
                    tick.toSeconds());
            loop(config, jobs, zfs, tick, parent.parent.output());
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

    private static void loop(Config config, List<PushJob> jobs, Zfs zfs, Duration tick, Output output)
            throws InterruptedException {
        Map<String, Boolean> healthy = new HashMap<>();
        while (!Thread.currentThread().isInterrupted()) {
            boolean worked = false;
            for (PushJob job : jobs) {
                boolean retry = !healthy.getOrDefault(job.name(), false);
                long started = System.nanoTime();
                PushPass.Result result;
                try (Progress progress = TerminalScreen.progress(output)) {
                    result = new PushPass(job, zfs, Clock.system(ZoneId.systemDefault()), progress).run(false, !retry);
                }
                // An idle check that found nothing to send has no filesystems: nothing to report.
                if (retry || result.failed() || !result.filesystems().isEmpty()) {
                    AgentJobs.report(config, result, Duration.ofNanos(System.nanoTime() - started), output, System.out);
                    healthy.put(job.name(), !result.failed());
                    worked = true;
                }
            }
            if (worked) {
                // A pass leaves a few MB in the old generation (its session, listings, buffers that outlived a young
                // collection), and the serial collector compacts that only once the old generation is full: up to
                // the whole heap, about 240 MB, before the first full collection. In bench/compare's warm workload
                // the RSS grew 4-6 MB with every pass. Collecting here, while the agent only waits, keeps the old
                // generation at what the next pass needs; the collection marks only the few MB the JVM still holds.
                System.gc();
            }
            Thread.sleep(tick.toMillis());
        }
    }
}
