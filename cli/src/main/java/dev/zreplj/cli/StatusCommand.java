package dev.zreplj.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import dev.zreplj.agent.JobStatusStore;
import dev.zreplj.agent.JobStatusStore.JobStatus;
import dev.zreplj.config.Config;
import dev.zreplj.config.Durations;
import dev.zreplj.config.PushJob;
import dev.zreplj.config.SinkJob;
import dev.zreplj.config.SnapJob;
import dev.zreplj.config.Snapshotting;
import dev.zreplj.config.StatusThresholds;
import dev.zreplj.replication.Bytes;
import dev.zreplj.replication.SenderListing;
import dev.zreplj.status.BoxCopies;
import dev.zreplj.status.Level;
import dev.zreplj.status.SenderSelection;
import dev.zreplj.status.StatusCheck;
import dev.zreplj.status.StatusReport;
import dev.zreplj.status.StatusText;
import dev.zreplj.stdinserver.ClientStatusFile;
import dev.zreplj.stdinserver.ClientStatusFile.ClientStatus;
import dev.zreplj.stdinserver.Revocation;
import dev.zreplj.zfs.DatasetName;
import dev.zreplj.zfs.RefusedName;
import dev.zreplj.zfs.VersionType;
import dev.zreplj.zfs.Zfs;
import dev.zreplj.zfs.ZfsException;
import dev.zreplj.zfs.ZfsVersion;
import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.function.Consumer;
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

    /**
     * Why a job's status file could not be read, naming it once: a damaged file's message names the file, a refused
     * directory's names the directory (the file is in it); the system's own ("Is a directory") names neither.
     */
    static String unreadable(Path file, IOException e) {
        String why = String.valueOf(e.getMessage());
        return why.contains(file.toString()) || why.startsWith(file.getParent() + ": ") ? why : file + ": " + why;
    }

    @Override
    public Integer call() throws Exception {
        Config config = parent.loadConfig();
        StatusCheck check = new StatusCheck(thresholds(config.global().status()), Instant.now());
        JobStatusStore store = new JobStatusStore(config.global().stateDir());
        // One zfs (and one probe) for every job and client of the run; null, with why, where none can be found.
        Zfs zfs = null;
        String noZfs = null;
        try {
            zfs = LocalZfs.of(config);
        } catch (ZfsException e) {
            noZfs = firstLine(e);
        }
        List<StatusReport.Job> push = new ArrayList<>();
        for (PushJob job : config.pushJobs()) {
            try {
                push.add(check.job(
                        job.name(),
                        onReadOnlyDisk(store, store.read(job.name())),
                        selection(zfs, noZfs, job),
                        job.snapshotting().type() == Snapshotting.Type.MANUAL));
            } catch (IOException e) {
                push.add(check.unreadableJob(job.name(), unreadable(store.file(job.name()), e)));
            }
        }
        List<StatusReport.Client> sink = new ArrayList<>();
        for (SinkJob job : config.sinkJobs()) {
            for (String client : job.clientIdentities()) {
                try {
                    ClientStatus status = ClientStatusFile.read(config.global().stateDir(), client);
                    StatusReport.Client c = onStateDisk(
                            config.global().stateDir(),
                            check.client(job.name(), client, status, copies(zfs, noZfs, job, client, status)));
                    // A local sink's channels ignore revocation records (they are about SSH keys; no sshd is above
                    // them), so its clients are not "revoked" here either, whatever record a name has.
                    sink.add(
                            job.isLocal()
                                    ? c
                                    : revocation(check, config.global().stateDir(), c, status));
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
        List<StatusReport.Job> snap = new ArrayList<>();
        for (SnapJob job : config.snapJobs()) {
            snap.add(snapJob(check, store, zfs, noZfs, job));
        }
        StatusReport report = check.report(push, sink, snap);
        if (json) {
            System.out.println(JSON.writeValueAsString(report));
        } else {
            StatusText.print(report, System.out);
        }
        return report.status().exitCode();
    }

    /**
     * A state directory the kernel remounted read-only (after a disk error) stops every pass at its lock, and the
     * status file, which no pass can replace, keeps the last one, all ok: a failed stage of its own says so. Only
     * here, not in {@link JobStatusStore#read}: finding the file system reads the mount table, which a pass need
     * not pay for, and a pass on such a disk never gets that far.
     */
    private static Optional<JobStatus> onReadOnlyDisk(JobStatusStore store, Optional<JobStatus> status) {
        if (status.isEmpty()) {
            return status;
        }
        Path dir = store.file(status.get().job()).getParent();
        try {
            if (!Files.getFileStore(dir).isReadOnly()) {
                return status;
            }
        } catch (IOException e) {
            return status; // the file was just read from there; nothing more to say
        }
        JobStatus s = status.get();
        List<String> stages = new ArrayList<>(s.stageFailures());
        stages.add(dir + " is on a read-only file system: no pass can take its job lock or record its status there"
                + " (dmesg says why); repair it and remount it read-write. Until then this status is the one of the"
                + " last pass before");
        return Optional.of(s.withStageFailures(stages));
    }

    /**
     * Less than this usable in the box's state directory is a full one: each receive first rewrites whole files
     * there (the dataset's receive times, some 42 bytes a snapshot, through a temp file beside the old one; the
     * client's status file): a few hundred bytes, 100 KiB for a dataset of 2,500 snapshots. A MiB holds that with
     * room to spare, and no state disk in use has less free without being full for all purposes.
     */
    static final long MIN_USABLE_BYTES = 1 << 20;

    /**
     * The box's state directory on a read-only or full file system refuses every receive (the box times each one
     * there before it starts, for keep_floor), and no refusal can be recorded: the client's file said all ok
     * meanwhile, until the ages ran out a day later. Full by what a user other than root may use: the box user
     * on OpenZFS; where it is root (zfs-fuse), the file system's reserve takes a few receives more, and the
     * warning comes early rather than late.
     */
    private static StatusReport.Client onStateDisk(Path stateDir, StatusReport.Client c) {
        FileStore store;
        long usable;
        try {
            store = Files.getFileStore(stateDir);
            usable = store.getUsableSpace();
        } catch (IOException e) {
            return c; // no state directory yet: nothing received, which the client's problems say
        }
        if (store.isReadOnly()) {
            return StatusCheck.withProblem(
                    c,
                    Level.WARNING,
                    stateDir + " is on a read-only file system: the box refuses every receive, which it cannot time"
                            + " there for keep_floor (dmesg says why); repair it and remount it read-write");
        }
        if (usable < MIN_USABLE_BYTES) {
            return StatusCheck.withProblem(c, Level.WARNING, fullStateDirectory(stateDir, usable));
        }
        return c;
    }

    static String fullStateDirectory(Path stateDir, long usable) {
        return stateDir + " is full (" + Bytes.human(usable) + " free, under " + Bytes.human(MIN_USABLE_BYTES)
                + "): the box refuses every receive, which it cannot time there for keep_floor; free space there"
                + " (df -h " + stateDir + ")";
    }

    /**
     * A client {@code zreplj box revoke} cut off: its status says so beside its ages. A record that cannot be read
     * is a warning of its own: the box's stdinserver refuses every request of the client while it cannot tell
     * whether it was revoked, the owner's new key's too.
     */
    private static StatusReport.Client revocation(
            StatusCheck check, Path stateDir, StatusReport.Client c, ClientStatus status) {
        Optional<Revocation> revocation;
        try {
            revocation = Revocation.read(stateDir, c.client());
        } catch (IOException e) {
            return unreadableRevocation(c, Revocation.path(stateDir, c.client()), e);
        }
        return revocation.isEmpty()
                ? c
                : check.revoked(c, status, revocation.get().at());
    }

    /**
     * One line: a damaged record's message names the file; the system's own ("Is a directory") does not. This
     * account not allowed to read it is UNKNOWN, as for the client's status file: the box user may well read it.
     */
    static StatusReport.Client unreadableRevocation(StatusReport.Client c, Path file, IOException e) {
        if (e instanceof AccessDeniedException) {
            return StatusCheck.withProblem(
                    c,
                    Level.UNKNOWN,
                    file + ": permission denied; run 'zreplj status' as the user the forced command runs as");
        }
        String why = String.valueOf(e.getMessage()).lines().findFirst().orElse("");
        return StatusCheck.withProblem(
                c,
                Level.WARNING,
                (why.contains(file.toString()) ? why : file + ": " + why)
                        + "; until then the box refuses every request of this client, not knowing whether it was"
                        + " revoked");
    }

    /**
     * What the job's filter selects on this machine: the listing a pass starts with. Unknown (and the job
     * UNKNOWN) when zfs cannot be run, rather than OK about filesystems the status file never heard of.
     */
    private static SenderSelection selection(Zfs zfs, String noZfs, PushJob job) {
        if (zfs == null) {
            return SenderSelection.unreadable(noZfs);
        }
        try {
            // Names only, below the filter's roots: a monitoring check, not a pass, need not list every snapshot.
            List<DatasetName> listed = new ArrayList<>();
            Map<String, String> refused = new TreeMap<>();
            Consumer<RefusedName> selectedRefused = r -> {
                if (r.isFilesystem() && job.filesystems().accepts(r.name())) {
                    refused.put(r.name(), r.reason());
                }
            };
            Optional<List<DatasetName>> roots = job.filesystems().roots();
            if (roots.isPresent()) {
                for (DatasetName root : roots.get()) {
                    listed.addAll(zfs.listFilesystems(root, selectedRefused));
                }
            } else {
                listed.addAll(zfs.listAllFilesystems(selectedRefused));
            }
            List<String> missing = SenderListing.missing(job.filesystems(), listed).stream()
                    .map(DatasetName::value)
                    .toList();
            return new SenderSelection(
                    listed.stream()
                            .filter(job.filesystems()::accepts)
                            .map(DatasetName::value)
                            .distinct()
                            .toList(),
                    null,
                    refused,
                    missing);
        } catch (ZfsException e) {
            return SenderSelection.unreadable(firstLine(e));
        }
    }

    /**
     * What the box's zfs holds in the client's jail: one listing per client that has received anything. Unknown
     * (and the client UNKNOWN) when zfs cannot be run, rather than OK on the status file's word alone.
     */
    private static BoxCopies copies(Zfs zfs, String noZfs, SinkJob job, String client, ClientStatus status) {
        if (status == null || status.filesystems().isEmpty()) {
            return new BoxCopies(Map.of(), null);
        }
        if (zfs == null) {
            return BoxCopies.unreadable(noZfs);
        }
        DatasetName jail = job.rootFs().child(client);
        Map<String, Set<String>> guids = new HashMap<>();
        try {
            Map<DatasetName, List<ZfsVersion>> listed = zfs.listVersions(jail);
            if (listed.isEmpty() && !zfs.exists(DatasetName.of(jail.pool()))) {
                // Not destroyed, as an empty listing would say: the disk is away (a USB sink unplugged); what
                // it holds cannot be checked until it is imported again.
                return BoxCopies.unreadable(poolNotImported(jail.pool()));
            }
            if (listed.isEmpty() && !zfs.exists(job.rootFs())) {
                // Every pass of the client is refused until it exists again, so "the next pass sends what is
                // missing" would not come true.
                return BoxCopies.gone("the sink's root_fs " + job.rootFs() + " does not exist (renamed or destroyed?):"
                        + " rename it back, or create it as root with 'zreplj box setup " + job.rootFs() + "', after"
                        + " which the client's next pass sends everything again");
            }
            listed.forEach((fs, versions) -> {
                if (fs.equals(jail)) return;
                String path = fs.value().substring(jail.value().length() + 1);
                Set<String> set = guids.computeIfAbsent(path, k -> new HashSet<>());
                versions.stream()
                        .filter(v -> v.type() == VersionType.SNAPSHOT)
                        .forEach(v -> set.add(Long.toUnsignedString(v.guid())));
            });
        } catch (ZfsException e) {
            return BoxCopies.unreadable(firstLine(e));
        }
        return new BoxCopies(guids, null);
    }

    /** Why a sink's copies cannot be checked while its disk is away. */
    static String poolNotImported(String pool) {
        return "the sink's pool " + pool + " is not imported (its disk unplugged or exported?); connect the disk and"
                + " run 'zpool import " + pool + "' as root";
    }

    /**
     * A snap job: its last pass from its status file, its filesystems' newest snapshots from zfs now (the job's
     * prefix; any snapshot under manual snapshotting, which takes none of its own).
     */
    private static StatusReport.Job snapJob(
            StatusCheck check, JobStatusStore store, Zfs zfs, String noZfs, SnapJob job) {
        Optional<JobStatus> file;
        try {
            file = onReadOnlyDisk(store, store.read(job.name()));
        } catch (IOException e) {
            String why = String.valueOf(e.getMessage());
            String path = store.file(job.name()).toString();
            return check.unreadableJob(job.name(), why.contains(path) ? why : path + ": " + why);
        }
        boolean manual = job.snapshotting().type() == Snapshotting.Type.MANUAL;
        if (zfs == null) {
            return check.snapJob(job.name(), file, Map.of(), List.of(), noZfs, manual);
        }
        try {
            SenderListing listing = SenderListing.load(zfs, job.filesystems(), null);
            Map<String, Long> newest = new TreeMap<>();
            listing.versions()
                    .forEach((fs, versions) -> newest.put(
                            fs.value(),
                            versions.stream()
                                    .filter(v -> v.type() == VersionType.SNAPSHOT
                                            && (manual
                                                    || v.name()
                                                            .startsWith(job.snapshotting()
                                                                    .prefix())))
                                    .map(v -> v.creation().getEpochSecond())
                                    .max(Long::compare)
                                    .orElse(null)));
            return check.snapJob(
                    job.name(),
                    file,
                    newest,
                    listing.missing().stream().map(DatasetName::value).toList(),
                    null,
                    manual);
        } catch (ZfsException e) {
            return check.snapJob(job.name(), file, Map.of(), List.of(), firstLine(e), manual);
        }
    }

    private static String firstLine(ZfsException e) {
        return String.valueOf(e.getMessage()).lines().findFirst().orElse("zfs failed");
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
