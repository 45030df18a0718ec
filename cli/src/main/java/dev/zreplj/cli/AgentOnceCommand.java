package dev.zreplj.cli;

import dev.zreplj.agent.JobLock;
import dev.zreplj.agent.PushPass;
import dev.zreplj.config.Config;
import dev.zreplj.config.Job;
import dev.zreplj.config.PushJob;
import dev.zreplj.config.SnapJob;
import dev.zreplj.config.Snapshotting;
import dev.zreplj.replication.Progress;
import dev.zreplj.zfs.Zfs;
import java.time.Clock;
import java.time.Duration;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

@Command(name = "once", description = "One pass for cron/systemd timers: snapshot if due, replicate, prune, exit.")
final class AgentOnceCommand implements Callable<Integer> {
    @ParentCommand
    AgentCommand parent;

    @Option(names = "--job", paramLabel = "NAME", description = "only this push or snap job (repeatable; default: all)")
    List<String> jobs = new ArrayList<>();

    @Option(names = "--snapshot", description = "take a snapshot now even if the interval has not passed")
    boolean snapshot;

    @Override
    public Integer call() throws Exception {
        Config config = parent.parent.loadConfig();
        List<Job> selected = AgentJobs.selectAgentJobs(config, jobs);
        if (snapshot) {
            for (Job job : selected) {
                if (AgentJobs.snapshotting(job).type() == Snapshotting.Type.MANUAL) {
                    throw CliException.usage("job " + job.name() + " has manual snapshotting: --snapshot cannot"
                            + " name a snapshot (no prefix); take it with 'zfs snapshot' instead");
                }
            }
        }
        // Not under cron (quiet): it would mail the same warning every pass (docs/cli.md says so).
        if (!config.global().monitoring().isEmpty() && parent.parent.output() != Output.QUIET) {
            System.err.println("zreplj: warning: global.monitoring is served by 'agent run' only; 'agent once' ends"
                    + " after its pass and serves no endpoint: set global.zreplj.metrics.textfile for node_exporter's"
                    + " textfile collector (docs/monitoring.md)");
        }
        boolean failed = false;
        try (JobLock lock = AgentJobs.lock(config, selected)) {
            Zfs zfs = LocalZfs.of(config);
            for (Job job : selected) {
                long started = System.nanoTime();
                PushPass.Result result;
                try (Progress progress = TerminalScreen.progress(parent.parent.output());
                        PassStopNotice stop = PassStopNotice.during(job.name(), progress)) {
                    result = job instanceof SnapJob snap
                            ? AgentJobs.snapPass(config, snap, zfs, progress, snapshot, true)
                            : new PushPass(
                                            (PushJob) job,
                                            zfs,
                                            Clock.system(ZoneId.systemDefault()),
                                            progress,
                                            AgentJobs.history(config, job))
                                    .run(snapshot, PushPass.Connect.ALWAYS);
                }
                boolean recorded = AgentJobs.report(
                        config,
                        result,
                        Duration.ofNanos(System.nanoTime() - started),
                        parent.parent.output(),
                        System.out);
                failed |= result.failed() || !recorded;
            }
        }
        return failed ? ExitCodes.FAILURE : ExitCodes.OK;
    }
}
