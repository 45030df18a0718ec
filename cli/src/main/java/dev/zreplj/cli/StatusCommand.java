package dev.zreplj.cli;

import com.fasterxml.jackson.databind.json.JsonMapper;
import dev.zreplj.agent.JobStatusStore;
import dev.zreplj.config.Config;
import dev.zreplj.config.PushJob;
import dev.zreplj.config.SinkJob;
import dev.zreplj.replication.Bytes;
import dev.zreplj.stdinserver.ClientStatusFile;
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
 * On the agent: what the last passes did, per push job and filesystem, from the status files the passes
 * write; exits 1 when a job's last pass failed, so a monitoring check can run it as it is. On the backup
 * box (sink jobs): each client's last received snapshot per filesystem and its age.
 */
@Command(name = "status", description = "Push jobs: each filesystem's last run, last success, lag, error"
        + " (exit 1 when a job's last pass failed). Sink jobs: each client's last received snapshots and their age.")
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
        Map<String, ClientStatusFile.ClientStatus> clients = new LinkedHashMap<>();
        for (SinkJob sink : config.sinkJobs()) {
            for (String client : sink.clientIdentities()) {
                clients.put(sink.name() + "/" + client, ClientStatusFile.read(config.global().stateDir(), client));
            }
        }
        boolean failed = jobs.values().stream().flatMap(Optional::stream).anyMatch(StatusCommand::failed);
        if (json) {
            List<Object> push = new ArrayList<>();
            jobs.forEach((name, status) -> push.add(status.<Object>map(s -> s).orElse(Map.of("job", name, "lastRun", 0))));
            List<Object> sink = new ArrayList<>();
            clients.forEach((key, status) -> sink.add(status != null ? status
                    : Map.of("client", key.substring(key.indexOf('/') + 1), "filesystems", Map.of())));
            System.out.println(JsonMapper.builder().build().writerWithDefaultPrettyPrinter()
                    .writeValueAsString(Map.of("push", push, "sink", sink)));
        } else {
            Instant now = Instant.now();
            if (!jobs.isEmpty() || clients.isEmpty()) {
                print(System.out, jobs, now);
            }
            printClients(System.out, clients, now);
        }
        return failed ? ExitCodes.FAILURE : ExitCodes.OK;
    }

    private static boolean failed(JobStatusStore.JobStatus s) {
        return s.error() != null || !s.stageFailures().isEmpty() || s.filesystems().stream().anyMatch(f -> f.outcome().equals("FAILED")
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
                    : !s.stageFailures().isEmpty() ? "failed: " + String.join("; ", s.stageFailures())
                    : failed(s) ? "some filesystems failed" : "ok"));
            for (JobStatusStore.FilesystemStatus f : s.filesystems()) {
                String success = f.lastSuccess() == 0 ? "never replicated" : "last success " + ago(now, f.lastSuccess());
                out.println("  " + f.filesystem() + ": " + f.outcome().toLowerCase().replace('_', ' ') + sent(f) + ", "
                        + success + (f.outcome().equals("FAILED") || f.outcome().equals("CONFLICT") ? " -- " + f.message() : ""));
            }
        });
    }

    /** " 52.3 MiB of 52.1 MiB estimated" after a replication; nothing for other outcomes, which sent nothing. */
    private static String sent(JobStatusStore.FilesystemStatus f) {
        if (!f.outcome().equals("REPLICATED") || f.bytes() == null) {
            return "";
        }
        long estimate = f.estimatedBytes() == null ? -1 : f.estimatedBytes();
        return " " + Bytes.human(f.bytes()) + (estimate < 0 ? "" : " of " + Bytes.human(estimate) + " estimated");
    }

    static void printClients(PrintStream out, Map<String, ClientStatusFile.ClientStatus> clients, Instant now) {
        clients.forEach((key, status) -> {
            String job = key.substring(0, key.indexOf('/'));
            String client = key.substring(key.indexOf('/') + 1);
            if (status == null || status.filesystems().isEmpty()) {
                out.println("sink job " + job + ", client " + client + ": nothing received yet");
                return;
            }
            out.println("sink job " + job + ", client " + client + ": " + status.filesystems().size() + " filesystem"
                    + (status.filesystems().size() == 1 ? "" : "s"));
            status.filesystems().forEach((fs, r) -> out.println("  " + fs + ": @" + r.snapshot() + " received "
                    + r.received() + " (" + ago(now, Instant.parse(r.received()).getEpochSecond()) + ")"));
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
