package dev.zreplj.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import dev.zreplj.agent.JobStatusStore;
import dev.zreplj.config.Config;
import dev.zreplj.config.Durations;
import dev.zreplj.config.PushJob;
import dev.zreplj.config.SinkJob;
import dev.zreplj.config.StatusThresholds;
import dev.zreplj.status.StatusCheck;
import dev.zreplj.status.StatusReport;
import dev.zreplj.status.StatusText;
import dev.zreplj.stdinserver.ClientStatusFile;
import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/**
 * A monitoring check on either side: on the agent each push job and filesystem from the status files
 * the passes write, on the box each client of each sink job (also those that never connected) from the
 * files stdinserver writes, judged by this machine's clock against the warning and critical ages.
 */
@Command(
        name = "status",
        description =
                "Push jobs: each filesystem's last success and snapshot; sink jobs: each"
                        + " client's last received snapshots. Exit 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN (monitoring-plugin codes).")
final class StatusCommand implements Callable<Integer> {
    static final ObjectMapper JSON = JsonMapper.builder()
            .propertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            .enable(SerializationFeature.INDENT_OUTPUT)
            .build();

    @ParentCommand
    Main parent;

    @Option(names = "--json", description = "machine-readable output (schema in docs/cli.md)")
    boolean json;

    @Option(
            names = "--warn",
            paramLabel = "AGE",
            description =
                    "WARNING when a last success or receive is this old" + " (default: global.zreplj.status.warn, 25h)")
    String warn;

    @Option(
            names = "--crit",
            paramLabel = "AGE",
            description = "CRITICAL when it is this old" + " (default: global.zreplj.status.crit, 49h)")
    String crit;

    @Override
    public Integer call() throws Exception {
        Config config = parent.loadConfig();
        StatusCheck check = new StatusCheck(thresholds(config.global().status()), Instant.now());
        JobStatusStore store = new JobStatusStore(config.global().stateDir());
        List<StatusReport.Job> push = new ArrayList<>();
        for (PushJob job : config.pushJobs()) {
            try {
                push.add(check.job(job.name(), store.read(job.name())));
            } catch (IOException e) {
                push.add(check.unreadableJob(job.name(), e.getMessage()));
            }
        }
        List<StatusReport.Client> sink = new ArrayList<>();
        for (SinkJob job : config.sinkJobs()) {
            for (String client : job.clientIdentities()) {
                try {
                    sink.add(check.client(
                            job.name(),
                            client,
                            ClientStatusFile.read(config.global().stateDir(), client)));
                } catch (IOException e) {
                    sink.add(check.unreadableClient(
                            job.name(),
                            client,
                            e instanceof AccessDeniedException
                                    ? e.getMessage()
                                    : ClientStatusFile.path(config.global().stateDir(), client)
                                            + ": unreadable status file ("
                                            + e.getMessage().lines().findFirst().orElse("") + ")"));
                }
            }
        }
        StatusReport report = check.report(push, sink);
        if (json) {
            System.out.println(JSON.writeValueAsString(report));
        } else {
            StatusText.print(report, System.out);
        }
        return report.status().exitCode();
    }

    private StatusThresholds thresholds(StatusThresholds configured) throws CliException {
        Duration w = warn == null ? configured.warn() : age("--warn", warn);
        Duration c = crit == null ? configured.crit() : age("--crit", crit);
        try {
            return new StatusThresholds(w, c);
        } catch (IllegalArgumentException e) {
            throw CliException.usage("status: " + e.getMessage() + "; give both --warn and --crit, warn below crit");
        }
    }

    private static Duration age(String option, String text) throws CliException {
        try {
            return Durations.parsePositive(text);
        } catch (IllegalArgumentException e) {
            throw CliException.usage("status " + option + ": " + e.getMessage());
        }
    }
}
