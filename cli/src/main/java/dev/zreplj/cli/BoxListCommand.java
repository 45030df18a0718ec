package dev.zreplj.cli;

import dev.zreplj.agent.BoxConnection;
import dev.zreplj.config.Config;
import dev.zreplj.config.PushJob;
import dev.zreplj.protocol.RemoteFilesystem;
import dev.zreplj.protocol.RemoteVersion;
import dev.zreplj.replication.Watchdog;
import dev.zreplj.zfs.VersionType;
import java.io.IOException;
import java.io.PrintStream;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/** What the box holds for this client, through the same forced command as replication (LIST). */
@Command(name = "list", description = "What the backup box holds for this client: filesystems and their snapshots.")
final class BoxListCommand implements Callable<Integer> {
    @ParentCommand
    BoxCommand parent;

    @Option(names = "--job", paramLabel = "NAME", description = "only this push job's box (repeatable; default: all)")
    List<String> jobs = new ArrayList<>();

    @Option(names = "--json", description = "one JSON document on stdout")
    boolean json;

    /** One snapshot or bookmark; {@code ageSeconds} by this machine's clock against its creation. */
    record Version(String name, String type, long guid, long creation, long ageSeconds) {
    }

    record Filesystem(String path, boolean placeholder, boolean partialReceive, List<Version> versions) {
    }

    record JobListing(String job, String box, List<Filesystem> filesystems, String error) {
    }

    @Override
    public Integer call() throws Exception {
        Config config = parent.parent.loadConfig();
        List<PushJob> selected = AgentJobs.select(config, jobs);
        Instant now = Instant.now();
        List<JobListing> listings = new ArrayList<>();
        for (PushJob job : selected) {
            listings.add(list(job, now));
        }
        PrintStream out = System.out;
        if (json) {
            Map<String, Object> doc = new LinkedHashMap<>();
            doc.put("jobs", listings);
            out.println(StatusCommand.JSON.writeValueAsString(doc));
        } else {
            for (JobListing l : listings) {
                print(l, out);
            }
        }
        out.flush();
        for (JobListing l : listings) {
            if (l.error() != null) {
                System.err.println("zreplj: box list: job " + l.job() + ": " + l.error());
            }
        }
        return listings.stream().anyMatch(l -> l.error() != null) ? ExitCodes.FAILURE : ExitCodes.OK;
    }

    private static JobListing list(PushJob job, Instant now) {
        String box = job.connect().user() + "@" + job.connect().host();
        try (Watchdog watchdog = Watchdog.start(job.replication().timeout());
             BoxConnection connection = BoxConnection.open(job, watchdog)) {
            List<Filesystem> out = new ArrayList<>();
            for (RemoteFilesystem fs : connection.first().list()) {
                List<Version> versions = fs.versions().stream()
                        .map(v -> new Version(v.name(), v.type() == VersionType.SNAPSHOT ? "snapshot" : "bookmark",
                                v.guid(), v.creation(), Math.max(0, now.getEpochSecond() - v.creation())))
                        .toList();
                out.add(new Filesystem(fs.path(), fs.placeholder(), fs.resumeToken() != null, versions));
            }
            return new JobListing(job.name(), box, out, null);
        } catch (IOException e) {
            return new JobListing(job.name(), box, List.of(), e.getMessage());
        }
    }

    private static void print(JobListing l, PrintStream out) {
        out.println("job " + l.job() + " (" + l.box() + ")" + (l.error() != null ? ": unreachable" : ""));
        for (Filesystem fs : l.filesystems()) {
            List<Version> snapshots = fs.versions().stream().filter(v -> v.type().equals("snapshot")).toList();
            String note = fs.placeholder() ? " (placeholder)" : "";
            if (fs.partialReceive()) {
                note += " (partial receive)";
            }
            out.println("  " + fs.path() + note + ": " + snapshots.size() + " snapshots");
            for (Version v : fs.versions()) {
                out.println("    " + (v.type().equals("snapshot") ? "@" : "#") + v.name() + "\t"
                        + age(v.ageSeconds()) + " old\tguid " + Long.toUnsignedString(v.guid()));
            }
        }
    }

    private static String age(long seconds) {
        Duration d = Duration.ofSeconds(seconds);
        if (d.toDays() > 0) return d.toDays() + "d" + d.toHoursPart() + "h";
        if (d.toHours() > 0) return d.toHours() + "h" + d.toMinutesPart() + "m";
        if (d.toMinutes() > 0) return d.toMinutes() + "m" + d.toSecondsPart() + "s";
        return d.toSeconds() + "s";
    }
}
