package dev.zreplj.agent;

import dev.zreplj.config.PushJob;
import dev.zreplj.config.SnapshotNaming;
import dev.zreplj.config.Snapshotting;
import dev.zreplj.protocol.RemoteFilesystem;
import dev.zreplj.protocol.SinkClient;
import dev.zreplj.replication.FilesystemPlan;
import dev.zreplj.replication.FilesystemResult;
import dev.zreplj.replication.Planner;
import dev.zreplj.replication.Progress;
import dev.zreplj.prune.PruneReport;
import dev.zreplj.prune.PruneRun;
import dev.zreplj.replication.ReplicationCursor;
import dev.zreplj.replication.ReplicationPolicy;
import dev.zreplj.replication.Replicator;
import dev.zreplj.replication.Watchdog;
import dev.zreplj.ssh.SshChannel;
import dev.zreplj.ssh.SshTransport;
import dev.zreplj.zfs.DatasetName;
import dev.zreplj.zfs.VersionType;
import dev.zreplj.zfs.Zfs;
import dev.zreplj.zfs.ZfsException;
import dev.zreplj.zfs.ZfsVersion;
import java.io.IOException;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** One pass of a push job: snapshot if due, connect, plan, replicate, prune both sides. */
public final class PushPass {
    private static final Logger log = LoggerFactory.getLogger(PushPass.class);
    /** Sent as the exec command; the box's forced command ignores it and runs stdinserver anyway. */
    public static final String REMOTE_COMMAND = "zreplj stdinserver";
    private static final String ENCRYPTION = "encryption";

    private final PushJob job;
    private final Zfs zfs;
    private final Clock clock;

    public PushPass(PushJob job, Zfs zfs, Clock clock) {
        this.job = job;
        this.zfs = zfs;
        this.clock = clock;
    }

    /**
     * The outcome of a pass; {@code error} is set when replication failed as a whole (e.g. no connection).
     * {@code warnings} are things the user must know that are not failures of this pass (the backlog
     * cap); {@code prune} is null when the pass did not prune.
     */
    public record Result(String job, Optional<String> snapshotTaken, List<FilesystemResult> filesystems, String error,
                         List<String> warnings, PruneReport prune) {
        public Result {
            warnings = List.copyOf(warnings);
        }

        public Result(String job, Optional<String> snapshotTaken, List<FilesystemResult> filesystems, String error) {
            this(job, snapshotTaken, filesystems, error, List.of(), null);
        }

        public boolean failed() {
            return error != null || filesystems.stream().anyMatch(FilesystemResult::failed)
                    || (prune != null && prune.failed());
        }
    }

    /**
     * @param forceSnapshot     take a snapshot even if none is due (never for manual snapshotting)
     * @param onlyAfterSnapshot replicate only when this pass took a snapshot ({@code agent run} between
     *                          its retries), so an idle schedule does not open SSH sessions for nothing
     */
    public Result run(boolean forceSnapshot, boolean onlyAfterSnapshot) throws ZfsException, InterruptedException {
        List<DatasetName> selected = selectedFilesystems(zfs, job);
        if (selected.isEmpty()) {
            return new Result(job.name(), Optional.empty(), List.of(), "the filesystems filter selects no"
                    + " filesystem (check it with 'zreplj test filesystems --job " + job.name() + "')");
        }
        Map<DatasetName, List<ZfsVersion>> versions = listVersions(selected);
        ReplicationCursor cursor = ReplicationCursor.load(zfs, job.name(), versions);
        List<String> warnings = new ArrayList<>();
        Optional<String> backlog = Optional.empty();
        if (job.snapshotting().type() != Snapshotting.Type.MANUAL) {
            Map<DatasetName, Optional<ZfsVersion>> cursors = new LinkedHashMap<>();
            for (DatasetName fs : selected) {
                cursors.put(fs, cursor.current(fs, versions.getOrDefault(fs, List.of())));
            }
            backlog = BacklogCap.check(job.snapshotting(), selected, versions, cursors);
            backlog.ifPresent(w -> {
                log.warn("job {}: {}", job.name(), w);
                warnings.add(w);
            });
        }
        Optional<String> taken = backlog.isPresent() ? Optional.empty() : snapshotIfDue(selected, versions, forceSnapshot);
        if (taken.isPresent()) {
            versions = listVersions(selected);
        } else if (onlyAfterSnapshot) {
            return new Result(job.name(), taken, List.of(), null, warnings, null);
        }

        try (Watchdog watchdog = Watchdog.start(job.replication().timeout())) {
            try (SshTransport ssh = SshTransport.connect(job.connect())) {
                Connected done = replicateAndPrune(ssh, watchdog, selected, versions, cursor, warnings);
                return new Result(job.name(), taken, done.results(), null, warnings, done.prune());
            } catch (IOException e) {
                // Without the box the sender is still pruned: its guard is the local cursor.
                PruneReport prune = new PruneRun(job, zfs, watchdog).run(selected, null,
                        "the backup box is unreachable: " + e.getMessage(), false);
                return new Result(job.name(), taken, List.of(), e.getMessage(), warnings, prune);
            }
        }
    }

    /** The filesystems a job's filter selects, from one listing. */
    public static List<DatasetName> selectedFilesystems(Zfs zfs, PushJob job) throws ZfsException {
        return zfs.listAllFilesystems().stream().filter(job.filesystems()::accepts).toList();
    }

    private record Connected(List<FilesystemResult> results, PruneReport prune) {
    }

    private Connected replicateAndPrune(SshTransport ssh, Watchdog watchdog, List<DatasetName> selected,
                                        Map<DatasetName, List<ZfsVersion>> versions, ReplicationCursor cursor,
                                        List<String> warnings)
            throws IOException, InterruptedException, ZfsException {
        List<SshChannel> sshChannels = new ArrayList<>();
        List<SinkClient> clients = new ArrayList<>();
        try {
            SinkClient first = open(ssh, watchdog, sshChannels, clients);
            Map<String, RemoteFilesystem> remote = new LinkedHashMap<>();
            for (RemoteFilesystem fs : watchdog.guard("LIST", first::listFilesystems, first::abort)) {
                remote.put(fs.path(), fs);
            }
            ReplicationPolicy policy = ReplicationPolicy.of(job.conflictResolution());
            SendEncryption encryption = SendEncryption.of(job.send());
            Map<DatasetName, FilesystemResult> refused = encryptionRefusals(selected, encryption);
            List<FilesystemPlan> plans = new ArrayList<>();
            for (DatasetName fs : selected) {
                if (refused.containsKey(fs)) {
                    continue;
                }
                FilesystemPlan plan = Planner.plan(fs, versions.getOrDefault(fs, List.of()), remote.get(fs.value()), policy);
                log.debug("{}: plan {}", fs, plan);
                plans.add(plan);
            }
            long busy = plans.stream().filter(FilesystemPlan.Replicate.class::isInstance).count();
            int wanted = (int) Math.max(1, Math.min(job.connect().channels(), busy));
            while (clients.size() < wanted) {
                open(ssh, watchdog, sshChannels, clients);
            }
            boolean raw = encryption.raw();
            if (raw && !zfs.capabilities().rawSend()) {
                throw new ZfsException("send.encrypted/raw is set but this zfs (" + zfs.capabilities().version()
                        + ") cannot send raw streams");
            }
            // Receives are not resumable (-s) until the agent resumes from the box's token: a cut
            // stream would otherwise leave partial state that refuses every later full send
            // ("contains partially-complete state"), as the OpenZFS lab showed. Without -s ZFS
            // discards a cut receive and the next run starts the step again.
            boolean resumable = false;
            List<FilesystemResult> results = new ArrayList<>(new Replicator(zfs, raw, resumable, cursor,
                    Progress.onTerminal(System.err), watchdog).run(plans, clients));
            results.addAll(refused.values());
            results.sort(Comparator.comparing(FilesystemResult::filesystem));
            for (FilesystemPlan plan : plans) {
                if (plan instanceof FilesystemPlan.UpToDate) {
                    syncCursor(cursor, plan.filesystem(), versions, remote, warnings);
                }
            }
            return new Connected(results, prune(ssh, watchdog, selected, sshChannels, clients));
        } finally {
            for (SinkClient client : clients) {
                try {
                    client.close();
                } catch (IOException e) {
                    log.debug("closing a channel: {}", e.getMessage());
                }
            }
            for (SshChannel channel : sshChannels) {
                try {
                    channel.close();
                } catch (IOException e) {
                    // The work is done; a failing goodbye must not turn the pass into "unreachable".
                    log.debug("closing an SSH channel: {}", e.getMessage());
                }
            }
        }
    }

    /**
     * The selected filesystems that must not be sent because of their encryption, each as a failed result
     * that says what to set. One {@code zfs get} per pool; a zfs without raw send has no native
     * encryption either (both came with OpenZFS 0.8), so there every filesystem counts as unencrypted.
     */
    private Map<DatasetName, FilesystemResult> encryptionRefusals(List<DatasetName> selected, SendEncryption encryption)
            throws ZfsException {
        Map<DatasetName, Map<String, String>> properties = new LinkedHashMap<>();
        if (zfs.capabilities().rawSend()) {
            for (String pool : new TreeSet<>(selected.stream().map(DatasetName::pool).toList())) {
                properties.putAll(zfs.getProperties(DatasetName.of(pool), true, List.of(ENCRYPTION)));
            }
        }
        Map<DatasetName, FilesystemResult> refused = new LinkedHashMap<>();
        for (DatasetName fs : selected) {
            String value = properties.getOrDefault(fs, Map.of()).get(ENCRYPTION);
            encryption.refusal(value).ifPresent(why -> {
                log.warn("{}: {}", fs, why);
                refused.put(fs, new FilesystemResult(fs, FilesystemResult.Outcome.FAILED, 0, 0, why));
            });
        }
        return refused;
    }

    /**
     * An up-to-date filesystem may lack its cursor (a pass killed between receive and cursor, or a
     * crash that left two marks): set it to the newest snapshot both sides have.
     */
    private void syncCursor(ReplicationCursor cursor, DatasetName fs, Map<DatasetName, List<ZfsVersion>> versions,
                            Map<String, RemoteFilesystem> remote, List<String> warnings) {
        Optional<ZfsVersion> common = Planner.newestCommon(versions.getOrDefault(fs, List.of()), remote.get(fs.value()));
        if (common.isEmpty() || common.get().type() != VersionType.SNAPSHOT) {
            return;
        }
        try {
            cursor.move(common.get());
        } catch (ZfsException e) {
            String w = fs + ": setting the replication cursor to " + common.get() + " failed: " + e.getMessage();
            log.warn(w);
            warnings.add(w);
        }
    }

    /**
     * Prunes both sides over a channel the watchdog left alone; when every one was cut (a stalled step), over
     * a fresh one. A box that cannot even be reached again is a dead link: the sender is still pruned
     * under its cursor, as when the box is unreachable.
     */
    private PruneReport prune(SshTransport ssh, Watchdog watchdog, List<DatasetName> selected,
                              List<SshChannel> channels, List<SinkClient> clients) {
        PruneRun pruning = new PruneRun(job, zfs, watchdog);
        Optional<SinkClient> healthy = clients.stream().filter(c -> !c.aborted()).findFirst();
        if (healthy.isPresent()) {
            return pruning.run(selected, healthy.get(), null, false);
        }
        SinkClient fresh;
        try {
            fresh = open(ssh, watchdog, channels, clients);
        } catch (IOException e) {
            log.warn("job {}: no channel to the backup box for pruning: {}", job.name(), e.getMessage());
            return pruning.run(selected, null, "the backup box stalled and a new channel failed: " + e.getMessage(),
                    false);
        }
        return pruning.run(selected, fresh, null, false);
    }

    private SinkClient open(SshTransport ssh, Watchdog watchdog, List<SshChannel> channels, List<SinkClient> clients)
            throws IOException {
        SshChannel channel = ssh.openChannel(REMOTE_COMMAND);
        channels.add(channel);
        SinkClient client = new SinkClient(channel.stdout(), channel.stdin(), channel::abort);
        watchdog.guard("HELLO", () -> {
            client.handshake(job.name());
            return client;
        }, client::abort);
        clients.add(client);
        return client;
    }

    /** One batched listing per pool the selected filesystems live in. */
    private Map<DatasetName, List<ZfsVersion>> listVersions(List<DatasetName> selected) throws ZfsException {
        Map<DatasetName, List<ZfsVersion>> all = new LinkedHashMap<>();
        for (String pool : new TreeSet<>(selected.stream().map(DatasetName::pool).toList())) {
            all.putAll(zfs.listVersions(DatasetName.of(pool)));
        }
        return all;
    }

    private Optional<String> snapshotIfDue(List<DatasetName> selected, Map<DatasetName, List<ZfsVersion>> versions,
                                           boolean force) throws ZfsException {
        Snapshotting snapshotting = job.snapshotting();
        if (snapshotting.type() == Snapshotting.Type.MANUAL) {
            return Optional.empty();
        }
        List<Optional<Instant>> newest = new ArrayList<>();
        for (DatasetName fs : selected) {
            newest.add(versions.getOrDefault(fs, List.of()).stream()
                    .filter(v -> v.type() == VersionType.SNAPSHOT && v.name().startsWith(snapshotting.prefix()))
                    .map(ZfsVersion::creation)
                    .max(Instant::compareTo));
        }
        Instant now = clock.instant();
        if (!force && !SnapshotSchedule.due(snapshotting, newest, now, clock.getZone())) {
            log.info("job {}: no snapshot due", job.name());
            return Optional.empty();
        }
        String name = SnapshotNaming.of(snapshotting.prefix(), snapshotting.timestampFormat()).name(now);
        zfs.snapshot(selected, name);
        log.info("job {}: took @{} on {} filesystem{}", job.name(), name, selected.size(), selected.size() == 1 ? "" : "s");
        return Optional.of(name);
    }
}
