package dev.zreplj.cli;

import com.fasterxml.jackson.databind.json.JsonMapper;
import dev.zreplj.agent.JobStatusStore;
import dev.zreplj.config.Config;
import dev.zreplj.config.PushJob;
import java.io.PrintStream;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/**
 * What the agent's last passes did, per job and filesystem, from the status files the passes write.
 * Exits 1 when a job's last pass failed, so a monitoring check can run it as it is.
 */
@Command(name = "status", description = "Each push job and filesystem: last run, last success, lag, error."
        + " Exits 1 when a job's last pass failed.")
final class StatusCommand implements Callable<Integer> {
    @ParentCommand
    Main parent;

    @Option(names = "--json", description = "machine-readable output")
    boolean json;

    @Override
    public Integer call() throws Exception {
        Config config = parent.loadConfig();
        JobStatusStore store = new JobStatusStore(config.global().stateDir());
        Map<String, Optional<JobStatusStore.JobStatus>> jobs = new LinkedHashMap<>();
        for (PushJob job : config.pushJobs()) {
            jobs.put(job.name(), store.read(job.name()));
        }
        boolean failed = jobs.values().stream().flatMap(Optional::stream).anyMatch(StatusCommand::failed);
        if (json) {
            List<Object> out = new ArrayList<>();
            jobs.forEach((name, status) -> out.add(status.<Object>map(s -> s).orElse(Map.of("job", name, "lastRun", 0))));
            System.out.println(JsonMapper.builder().build().writerWithDefaultPrettyPrinter()
                    .writeValueAsString(Map.of("push", out)));
        } else {
            print(System.out, jobs, Instant.now());
        }
        return failed ? ExitCodes.FAILURE : ExitCodes.OK;
    }

    private static boolean failed(JobStatusStore.JobStatus s) {
        return s.error() != null || s.filesystems().stream().anyMatch(f -> f.outcome().equals("FAILED")
                || f.outcome().equals("CONFLICT"));
    }

    static void print(PrintStream out, Map<String, Optional<JobStatusStore.JobStatus>> jobs, Instant now) {
        if (jobs.isEmpty()) {
            out.println("no push jobs in this config");
        }
        jobs.forEach((name, status) -> {
            if (status.isEmpty()) {
                out.println("push job " + name + ": never run");
                return;
            }
            JobStatusStore.JobStatus s = status.get();
            out.println("push job " + name + ": last run " + Instant.ofEpochSecond(s.lastRun()) + " ("
                    + ago(now, s.lastRun()) + "), " + (s.error() != null ? "failed: " + s.error()
                    : failed(s) ? "some filesystems failed" : "ok"));
            for (JobStatusStore.FilesystemStatus f : s.filesystems()) {
                String success = f.lastSuccess() == 0 ? "never replicated" : "last success " + ago(now, f.lastSuccess());
                out.println("  " + f.filesystem() + ": " + f.outcome().toLowerCase().replace('_', ' ') + ", " + success
                        + (f.outcome().equals("FAILED") || f.outcome().equals("CONFLICT") ? " -- " + f.message() : ""));
            }
        });
    }

    static String ago(Instant now, long epochSecond) {
        Duration d = Duration.between(Instant.ofEpochSecond(epochSecond), now);
        if (d.isNegative()) d = Duration.ZERO;
        if (d.toMinutes() < 1) return d.toSeconds() + "s ago";
        if (d.toHours() < 1) return d.toMinutes() + "m ago";
        if (d.toDays() < 1) return d.toHours() + "h" + (d.toMinutesPart() > 0 ? d.toMinutesPart() + "m" : "") + " ago";
        return d.toDays() + "d" + (d.toHoursPart() > 0 ? d.toHoursPart() + "h" : "") + " ago";
    }
}
