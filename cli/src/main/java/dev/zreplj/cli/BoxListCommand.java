package dev.zreplj.cli;

import dev.zreplj.agent.BoxConnection;
import dev.zreplj.config.Config;
import dev.zreplj.config.Connect;
import dev.zreplj.config.PushJob;
import dev.zreplj.protocol.DetailedListing;
import dev.zreplj.replication.Watchdog;
import java.io.IOException;
import java.io.PrintStream;
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

/** What the box holds for this client, through the same forced command as replication (LIST_DETAILED, or LIST from an older box). */
@Command(
        name = "list",
        description =
                "What the backup box holds for this client: filesystems and their snapshots, their ages by the box's clock, sizes and encryption.")
final class BoxListCommand implements Callable<Integer> {
    @ParentCommand
    BoxCommand parent;

    @Option(names = "--job", paramLabel = "NAME", description = "only this push job's box (repeatable; default: all)")
    List<String> jobs = new ArrayList<>();

    @Option(names = "--json", description = "one JSON document on stdout")
    boolean json;

    @Override
    public Integer call() throws Exception {
        Config config = parent.parent.loadConfig();
        List<PushJob> selected = AgentJobs.select(config, jobs);
        List<BoxListing> listings = new ArrayList<>();
        for (PushJob job : selected) {
            listings.add(list(job));
        }
        PrintStream out = System.out;
        if (json) {
            Map<String, Object> doc = new LinkedHashMap<>();
            doc.put("jobs", listings);
            out.println(StatusCommand.JSON.writeValueAsString(doc));
        } else {
            for (BoxListing l : listings) {
                l.lines().forEach(out::println);
            }
        }
        out.flush();
        for (BoxListing l : listings) {
            if (l.error() != null) {
                System.err.println("zreplj: box list: job " + l.job() + ": " + l.error());
            }
        }
        return listings.stream().anyMatch(l -> l.error() != null) ? ExitCodes.FAILURE : ExitCodes.OK;
    }

    private static BoxListing list(PushJob job) {
        Connect.Local local = job.connect().local();
        String box = local != null
                ? "local:" + local.listenerName()
                : job.connect().user() + "@" + job.connect().host();
        try (Watchdog watchdog = Watchdog.start(job.replication().timeout());
                BoxConnection connection = BoxConnection.open(job, watchdog)) {
            Optional<DetailedListing> detailed = connection.first().listDetailed();
            if (detailed.isPresent()) {
                return BoxListing.detailed(job.name(), box, detailed.get());
            }
            return BoxListing.legacy(
                    job.name(),
                    box,
                    connection.first().listJail(),
                    Instant.now().getEpochSecond(),
                    connection.software());
        } catch (IOException e) {
            return BoxListing.failed(job.name(), box, e.getMessage());
        }
    }
}
