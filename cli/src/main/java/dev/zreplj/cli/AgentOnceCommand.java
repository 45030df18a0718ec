package dev.zreplj.cli;

import dev.zreplj.agent.JobLock;
import dev.zreplj.agent.PushPass;
import dev.zreplj.config.Config;
import dev.zreplj.config.PushJob;
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

    @Option(names = "--job", paramLabel = "NAME", description = "only this push job (repeatable; default: all)")
    List<String> jobs = new ArrayList<>();

    @Option(names = "--snapshot", description = "take a snapshot now even if the interval has not passed")
    boolean snapshot;

    @Override
    public Integer call() throws Exception {
        Config config = parent.parent.loadConfig();
        List<PushJob> selected = AgentJobs.select(config, jobs);
        if (snapshot) {
            for (PushJob job : selected) {
                if (job.snapshotting().type() == Snapshotting.Type.MANUAL) {
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
            for (PushJob job : selected) {
                long started = System.nanoTime();
                PushPass.Result result;
                try (Progress progress = TerminalScreen.progress(parent.parent.output());
                        PassStopNotice stop = PassStopNotice.during(job.name(), progress)) {
                    result = new PushPass(
                                    job,
                                    zfs,
                                    Clock.system(ZoneId.systemDefault()),
                                    progress,
                                    AgentJobs.recorded(config, job))
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
