package dev.zreplj.agent;

import dev.zreplj.config.PushJob;
import dev.zreplj.config.SnapshotNaming;
import dev.zreplj.config.Snapshotting;
import dev.zreplj.hooks.HookRunner;
import dev.zreplj.hooks.SnapshotHooks;
import dev.zreplj.protocol.RemoteFilesystem;
import dev.zreplj.protocol.SinkClient;
import dev.zreplj.replication.BandwidthLimiter;
import dev.zreplj.replication.FilesystemPlan;
import dev.zreplj.replication.FilesystemResult;
import dev.zreplj.replication.Planner;
import dev.zreplj.replication.Progress;
import dev.zreplj.prune.PruneReport;
import dev.zreplj.prune.PruneRun;
import dev.zreplj.replication.ReplicationCursor;
import dev.zreplj.replication.ReplicationPolicy;
import dev.zreplj.replication.Replicator;
import dev.zreplj.replication.Step;
import dev.zreplj.replication.Watchdog;
import dev.zreplj.zfs.DatasetName;
import dev.zreplj.zfs.SendFlag;
import dev.zreplj.zfs.VersionType;
import dev.zreplj.zfs.Zfs;
import dev.zreplj.zfs.ZfsException;
import dev.zreplj.zfs.ZfsVersion;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
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
        Optional<String> taken = backlog.isPresent() ? Optional.empty()
                : snapshotIfDue(selected, versions, forceSnapshot, warnings);
        if (taken.isPresent()) {
            versions = listVersions(selected);
        } else if (onlyAfterSnapshot) {
            return new Result(job.name(), taken, List.of(), null, warnings, null);
        }

        try (Watchdog watchdog = Watchdog.start(job.replication().timeout())) {
            try (BoxConnection box = BoxConnection.open(job, watchdog)) {
                Connected done = replicateAndPrune(box, watchdog, selected, versions, cursor, warnings);
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

    private Connected replicateAndPrune(BoxConnection box, Watchdog watchdog, List<DatasetName> selected,
                                        Map<DatasetName, List<ZfsVersion>> versions, ReplicationCursor cursor,
                                        List<String> warnings)
            throws IOException, InterruptedException, ZfsException {
        Map<String, RemoteFilesystem> remote = listRemote(box.first(), watchdog);
        ReplicationPolicy policy = ReplicationPolicy.of(job.conflictResolution());
        SendEncryption encryption = SendEncryption.of(job.send());
        boolean raw = encryption.raw();
        if (raw && !zfs.capabilities().rawSend()) {
            throw new ZfsException("send.encrypted/raw is set but this zfs (" + zfs.capabilities().version()
                    + ") cannot send raw streams");
        }
        Set<SendFlag> sendFlags = SendFlags.check(job.send(), zfs.capabilities());
        Map<DatasetName, FilesystemPlan> plans = new LinkedHashMap<>();
        Map<DatasetName, FilesystemResult> refused = encryptionRefusals(selected, encryption);
        Map<DatasetName, FilesystemResult> results = new LinkedHashMap<>(refused);
        List<DatasetName> todo = selected.stream().filter(fs -> !refused.containsKey(fs)).toList();
        int attempts = job.replication().attempts();
        String unreachable = null;
        for (int attempt = 1; ; attempt++) {
            if (attempt > 1) {
                try {
                    box.reconnect();
                    remote = listRemote(box.first(), watchdog);
                    unreachable = null;
                } catch (IOException e) {
                    log.warn("job {}: reconnecting to the backup box: {}", job.name(), e.getMessage());
                    unreachable = e.getMessage();
                    for (DatasetName fs : todo) {
                        FilesystemResult r = results.get(fs);
                        results.put(fs, new FilesystemResult(fs, FilesystemResult.Outcome.FAILED, 0, 0,
                                "reconnecting to the backup box failed: " + e.getMessage(), -1, true, r.events()));
                    }
                }
            }
            if (unreachable == null) {
                replicateOnce(box, watchdog, todo, versions, remote, policy, raw, sendFlags, cursor, plans, results);
            }
            todo = results.values().stream().filter(r -> r.failed() && r.retryable())
                    .map(FilesystemResult::filesystem).toList();
            if (todo.isEmpty() || attempt >= attempts) {
                break;
            }
            for (DatasetName fs : todo) {
                FilesystemResult r = results.get(fs);
                results.put(fs, withEvents(r, List.of("attempt " + attempt + " of " + attempts + " failed: "
                        + r.message()), null));
            }
            // The backoff doubles for each further attempt: 1x before the second, 2x before the third, ...
            Duration wait = job.replication().retryBackoff().multipliedBy(1L << Math.min(20, attempt - 1));
            log.warn("job {}: {} filesystem{} failed for a passing reason; attempt {} of {} in {} s", job.name(),
                    todo.size(), todo.size() == 1 ? "" : "s", attempt + 1, attempts, wait.toSeconds());
            Thread.sleep(wait.toMillis());
        }
        if (unreachable != null) {
            return new Connected(sorted(results), new PruneRun(job, zfs, watchdog).run(selected, null,
                    "the backup box became unreachable: " + unreachable, false));
        }
        for (FilesystemPlan plan : plans.values()) {
            if (plan instanceof FilesystemPlan.UpToDate) {
                syncCursor(cursor, plan.filesystem(), versions, remote, warnings);
            }
        }
        return new Connected(sorted(results), prune(box, watchdog, selected));
    }

    /** Plans {@code todo} against the box's current listing and replicates it; results replace earlier ones. */
    private void replicateOnce(BoxConnection box, Watchdog watchdog, List<DatasetName> todo, Map<DatasetName, List<ZfsVersion>> versions,
                               Map<String, RemoteFilesystem> remote, ReplicationPolicy policy, boolean raw,
                               Set<SendFlag> sendFlags, ReplicationCursor cursor, Map<DatasetName, FilesystemPlan> plans,
                               Map<DatasetName, FilesystemResult> results)
            throws IOException, InterruptedException, ZfsException {
        boolean canResume = zfs.capabilities().resumableReceive()
                && box.first().serverHello().capabilities().containsAll(RESUME_CAPABILITIES);
        List<FilesystemPlan> attemptPlans = new ArrayList<>();
        for (DatasetName fs : todo) {
            FilesystemPlan plan = Planner.plan(fs, versions.getOrDefault(fs, List.of()), remote.get(fs.value()),
                    policy, canResume);
            log.debug("{}: plan {}", fs, plan);
            attemptPlans.add(plan);
            plans.put(fs, plan);
        }
        long busy = attemptPlans.stream().filter(FilesystemPlan.Replicate.class::isInstance).count();
        int wanted = (int) Math.max(1, Math.min(job.connect().channels(), busy));
        BandwidthLimiter limiter = BandwidthLimiter.of(job.send().bandwidthLimit());
        // Receives are resumable (-s, where the box's zfs has it): a cut stream leaves partial state on the
        // box, which the next attempt resumes from the box's token or, when stale, discards first.
        List<FilesystemResult> done = new Replicator(zfs, raw, sendFlags, limiter, true, cursor,
                Progress.onTerminal(System.err), watchdog).run(attemptPlans, box.channels(wanted));
        for (FilesystemResult r : done) {
            results.put(r.filesystem(), withEvents(r, attemptEvents(plans.get(r.filesystem()), r),
                    results.get(r.filesystem())));
        }
    }

    /** What the box must announce before the agent resumes: resume tokens, and recv -x for the resumed payload. */
    private static final List<String> RESUME_CAPABILITIES = List.of("resumable-receive", "property-streams");

    private static Map<String, RemoteFilesystem> listRemote(SinkClient client, Watchdog watchdog) throws IOException {
        Map<String, RemoteFilesystem> remote = new LinkedHashMap<>();
        for (RemoteFilesystem fs : watchdog.guard("LIST", client::listFilesystems, client::abort)) {
            remote.put(fs.path(), fs);
        }
        return remote;
    }

    /** What an attempt's plan decided (a discard) and whether its resume worked, for the report. */
    private static List<String> attemptEvents(FilesystemPlan plan, FilesystemResult result) {
        if (!(plan instanceof FilesystemPlan.Replicate r)) {
            return List.of();
        }
        List<String> events = new ArrayList<>(r.events());
        Step first = r.steps().get(0);
        if (first.resume() != null) {
            events.add((result.stepsDone() > 0 ? "resumed @" : "could not resume @") + first.to().name() + " at "
                    + first.resume().bytes() + " bytes");
        }
        return events;
    }

    /** {@code result} with {@code before}'s events, then {@code added}, then its own. */
    private static FilesystemResult withEvents(FilesystemResult result, List<String> added, FilesystemResult before) {
        List<String> events = new ArrayList<>(before == null ? List.of() : before.events());
        events.addAll(added);
        events.addAll(result.events());
        return new FilesystemResult(result.filesystem(), result.outcome(), result.stepsDone(), result.bytes(),
                result.message(), result.estimatedBytes(), result.retryable(), events);
    }

    private static List<FilesystemResult> sorted(Map<DatasetName, FilesystemResult> results) {
        return results.values().stream().sorted(Comparator.comparing(FilesystemResult::filesystem)).toList();
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
     * Prunes both sides over a channel the watchdog left alone; when every one was cut (a stalled step), over
     * a fresh one. A box that cannot even be reached again is a dead link: the sender is still pruned
     * under its cursor, as when the box is unreachable.
     */
    private PruneReport prune(BoxConnection box, Watchdog watchdog, List<DatasetName> selected) {
        PruneRun pruning = new PruneRun(job, zfs, watchdog);
        SinkClient healthy;
        try {
            healthy = box.healthy();
        } catch (IOException e) {
            log.warn("job {}: no channel to the backup box for pruning: {}", job.name(), e.getMessage());
            return pruning.run(selected, null, "the backup box stalled and a new channel failed: " + e.getMessage(),
                    false);
        }
        return pruning.run(selected, healthy, null, false);
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

    /** One batched listing per pool the selected filesystems live in. */
    private Map<DatasetName, List<ZfsVersion>> listVersions(List<DatasetName> selected) throws ZfsException {
        Map<DatasetName, List<ZfsVersion>> all = new LinkedHashMap<>();
        for (String pool : new TreeSet<>(selected.stream().map(DatasetName::pool).toList())) {
            all.putAll(zfs.listVersions(DatasetName.of(pool)));
        }
        return all;
    }

    private Optional<String> snapshotIfDue(List<DatasetName> selected, Map<DatasetName, List<ZfsVersion>> versions,
                                           boolean force, List<String> warnings)
            throws ZfsException, InterruptedException {
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
        SnapshotHooks.Outcome hooked = new SnapshotHooks(snapshotting.hooks(), new HookRunner())
                .around(selected, name, filesystems -> zfs.snapshot(filesystems, name));
        warnings.addAll(hooked.reports());
        List<DatasetName> taken = hooked.snapshotted();
        if (taken.isEmpty()) {
            return Optional.empty();
        }
        log.info("job {}: took @{} on {} filesystem{}", job.name(), name, taken.size(), taken.size() == 1 ? "" : "s");
        return Optional.of(name);
    }
}
