package dev.zreplj.agent;

import dev.zreplj.config.PushJob;
import dev.zreplj.protocol.RemoteException;
import dev.zreplj.protocol.RemoteFilesystem;
import dev.zreplj.protocol.Wire;
import dev.zreplj.replication.BandwidthLimiter;
import dev.zreplj.replication.Box;
import dev.zreplj.replication.BoxChannel;
import dev.zreplj.replication.Failure;
import dev.zreplj.replication.FilesystemPlan;
import dev.zreplj.replication.FilesystemResult;
import dev.zreplj.replication.Planner;
import dev.zreplj.replication.Progress;
import dev.zreplj.replication.ReplicationCursor;
import dev.zreplj.replication.ReplicationPolicy;
import dev.zreplj.replication.Replicator;
import dev.zreplj.replication.Step;
import dev.zreplj.replication.StreamAbilities;
import dev.zreplj.replication.Watchdog;
import dev.zreplj.zfs.Capabilities;
import dev.zreplj.zfs.DatasetName;
import dev.zreplj.zfs.SendFlag;
import dev.zreplj.zfs.SourceZfs;
import dev.zreplj.zfs.ZfsException;
import dev.zreplj.zfs.ZfsVersion;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The replication stage with its attempts: lists the box, plans each filesystem (pure {@link Planner}),
 * replicates over the job's channels; filesystems that failed for a transient reason are tried again
 * after a doubling backoff, over a reconnected box, up to {@code replication.attempts}.
 */
final class ReplicationAttempts {
    private static final Logger log = LoggerFactory.getLogger(ReplicationAttempts.class);
    /** What the box must announce before the agent resumes: resume tokens, and recv -x for the resumed payload. */
    private static final List<String> RESUME_CAPABILITIES = List.of(Wire.RESUMABLE_RECEIVE, "property-streams");

    private static final String ENCRYPTION = "encryption";

    /**
     * @param remote  the box's listing of the last attempt that reached it
     * @param plans   each filesystem's last plan
     * @param boxLost why the box could not be reached again for the last attempt; null when it was
     * @param boxRefused whether that was the box's own answer (an ERROR: busy, forbidden), not a lost link
     */
    record Outcome(
            List<FilesystemResult> results,
            Map<String, RemoteFilesystem> remote,
            Map<DatasetName, FilesystemPlan> plans,
            String boxLost,
            boolean boxRefused) {}

    private final PushJob job;
    private final SourceZfs zfs;
    private final Watchdog watchdog;
    private final Sleeper sleeper;
    private final Progress progress;

    ReplicationAttempts(PushJob job, SourceZfs zfs, Watchdog watchdog, Sleeper sleeper, Progress progress) {
        this.job = job;
        this.zfs = zfs;
        this.watchdog = watchdog;
        this.sleeper = sleeper;
        this.progress = progress;
    }

    /** @throws ZfsException when the local zfs fails while planning (before any filesystem is sent) */
    Outcome run(
            Box box, List<DatasetName> selected, Map<DatasetName, List<ZfsVersion>> versions, ReplicationCursor cursor)
            throws ZfsException, InterruptedException {
        SendEncryption encryption = SendEncryption.of(job.send());
        Capabilities capabilities = zfs.capabilities();
        // A zfs without raw send has no native encryption either (zfs-fuse): every filesystem is unencrypted,
        // and zfs send -w of an unencrypted one is a plain stream, so send.raw sends them as they are and
        // send.encrypted refuses each (encryptionRefusals), as on a zfs with encryption.
        boolean raw = encryption.raw() && capabilities.rawSend();
        if (encryption.raw() && !raw) {
            log.info(
                    "job {}: this zfs ({}) has no native encryption: every filesystem is unencrypted and goes as a"
                            + " plain stream, which is what zfs send -w sends for an unencrypted one",
                    job.name(),
                    capabilities.version());
        }
        Set<SendFlag> sendFlags = SendFlags.check(job.send(), capabilities);
        // One bucket for the whole pass: send.bandwidth_limit bounds the job, not each stream (as in zrepl).
        BandwidthLimiter limiter = BandwidthLimiter.of(job.send().bandwidthLimit());
        Set<DatasetName> encrypted = new HashSet<>();
        Map<DatasetName, FilesystemResult> results =
                new LinkedHashMap<>(encryptionRefusals(selected, encryption, capabilities, encrypted));
        List<DatasetName> todo =
                selected.stream().filter(fs -> !results.containsKey(fs)).toList();
        Map<DatasetName, FilesystemPlan> plans = new LinkedHashMap<>();
        Map<String, RemoteFilesystem> remote = Map.of();
        String boxLost;
        boolean boxRefused;
        int attempts = job.replication().attempts();
        for (int attempt = 1; ; attempt++) {
            boxLost = null;
            boxRefused = false;
            try {
                if (attempt > 1) {
                    box.reconnect();
                }
                progress.phase("job " + job.name() + ": listing the backup box");
                remote = listRemote(box.first());
                SendFlags.checkBox(sendFlags, box.capabilities());
                boolean canResume =
                        capabilities.resumableReceive() && box.capabilities().containsAll(RESUME_CAPABILITIES);
                // A -p/-b stream of several snapshots carries their properties in one payload the box does not
                // check per snapshot: those go one snapshot per stream, as before.
                boolean series = capabilities.sendIntermediates()
                        && box.capabilities().contains(Wire.SNAPSHOT_SERIES)
                        && !sendFlags.contains(SendFlag.PROPERTIES)
                        && !sendFlags.contains(SendFlag.BACKUP_PROPERTIES);
                replicateOnce(
                        box,
                        todo,
                        versions,
                        remote,
                        new Sending(raw, encrypted, sendFlags, limiter, canResume, series),
                        cursor,
                        plans,
                        results);
            } catch (IOException e) {
                boxLost = e.getMessage();
                boxRefused = e instanceof RemoteException;
                String why =
                        (attempt > 1 ? "reconnecting to" : "talking to") + " the backup box failed: " + e.getMessage();
                log.warn("job {}: {}", job.name(), why);
                for (DatasetName fs : todo) {
                    results.put(
                            fs,
                            FilesystemResult.failed(fs, 0, 0, why, -1, Failure.of(e))
                                    .after(results.get(fs))
                                    .withEvents(eventsOf(results.get(fs))));
                }
            }
            todo = results.values().stream()
                    .filter(FilesystemResult::retryable)
                    .map(FilesystemResult::filesystem)
                    .toList();
            if (todo.isEmpty() || attempt >= attempts) {
                return new Outcome(
                        results.values().stream()
                                .sorted(Comparator.comparing(FilesystemResult::filesystem))
                                .toList(),
                        remote,
                        plans,
                        boxLost,
                        boxRefused);
            }
            for (DatasetName fs : todo) {
                FilesystemResult r = results.get(fs);
                List<String> events = new ArrayList<>(r.events());
                events.add("attempt " + attempt + " of " + attempts + " failed: " + r.message());
                results.put(fs, r.withEvents(events));
            }
            // The backoff doubles for each further attempt: 1x before the second, 2x before the third, ...
            Duration wait = job.replication().retryBackoff().multipliedBy(1L << Math.min(20, attempt - 1));
            log.warn(
                    "job {}: {} filesystem{} failed for a passing reason; attempt {} of {} in {} s",
                    job.name(),
                    todo.size(),
                    todo.size() == 1 ? "" : "s",
                    attempt + 1,
                    attempts,
                    wait.toSeconds());
            sleeper.sleep(wait);
        }
    }

    /**
     * Plans {@code todo} against the box's listing and replicates it; results replace earlier ones.
     *
     * @throws IOException when the channels for it cannot be opened
     */
    /**
     * How this pass's streams are sent: raw or not, the send flags, the job's bandwidth bucket, resumable.
     * {@code encrypted}: the filesystems zfs encrypts, whose streams are raw where {@code raw} is set (zfs send -w of
     * an unencrypted one is a plain stream).
     */
    private record Sending(
            boolean raw,
            Set<DatasetName> encrypted,
            Set<SendFlag> flags,
            BandwidthLimiter limiter,
            boolean canResume,
            boolean series) {}

    private void replicateOnce(
            Box box,
            List<DatasetName> todo,
            Map<DatasetName, List<ZfsVersion>> versions,
            Map<String, RemoteFilesystem> remote,
            Sending sending,
            ReplicationCursor cursor,
            Map<DatasetName, FilesystemPlan> plans,
            Map<DatasetName, FilesystemResult> results)
            throws IOException, InterruptedException {
        ReplicationPolicy policy = ReplicationPolicy.of(job.conflictResolution());
        List<FilesystemPlan> attemptPlans = new ArrayList<>();
        for (DatasetName fs : todo) {
            FilesystemPlan plan = Planner.plan(
                    fs,
                    versions.getOrDefault(fs, List.of()),
                    remote.get(fs.value()),
                    policy,
                    new StreamAbilities(
                            sending.canResume(),
                            sending.series(),
                            sending.raw() && sending.encrypted().contains(fs)));
            log.debug("{}: plan {}", fs, plan);
            attemptPlans.add(plan);
            plans.put(fs, plan);
        }
        long busy = attemptPlans.stream()
                .filter(FilesystemPlan.Replicate.class::isInstance)
                .count();
        progress.phase("job " + job.name() + ": replicating " + busy + " filesystem" + (busy == 1 ? "" : "s"));
        int wanted = (int) Math.max(1, Math.min(job.connect().channels(), busy));
        List<BoxChannel> channels = box.channels(wanted);
        // Receives are resumable (-s, where the box's zfs has it): a cut stream leaves partial state on the
        // box, which the next attempt resumes from the box's token or, when stale, discards first.
        List<FilesystemResult> done = new Replicator(
                        zfs, sending.raw(), sending.flags(), sending.limiter(), true, cursor, progress, watchdog)
                .run(attemptPlans, channels, box::another);
        for (FilesystemResult r : done) {
            List<String> events = eventsOf(results.get(r.filesystem()));
            events.addAll(attemptEvents(plans.get(r.filesystem()), r));
            events.addAll(r.events());
            results.put(r.filesystem(), r.after(results.get(r.filesystem())).withEvents(events));
        }
    }

    private static Map<String, RemoteFilesystem> listRemote(BoxChannel channel) throws IOException {
        Map<String, RemoteFilesystem> remote = new LinkedHashMap<>();
        for (RemoteFilesystem fs : channel.list()) {
            remote.put(fs.path(), fs);
        }
        return remote;
    }

    private static List<String> eventsOf(FilesystemResult before) {
        return new ArrayList<>(before == null ? List.of() : before.events());
    }

    /** What an attempt's plan decided (a discard) and whether its resume worked, for the report. */
    private static List<String> attemptEvents(FilesystemPlan plan, FilesystemResult result) {
        if (!(plan instanceof FilesystemPlan.Replicate r)) {
            return List.of();
        }
        List<String> events = new ArrayList<>(r.events());
        Step first = r.steps().get(0);
        if (first.resume() != null) {
            events.add((result.stepsDone() > 0 ? "resumed @" : "could not resume @")
                    + first.to().name() + " at " + first.resume().bytes() + " bytes");
        }
        return events;
    }

    /**
     * The selected filesystems that must not be sent because of their encryption, each as a failed result
     * that says what to set. One {@code zfs get} per pool; a zfs without raw send has no native
     * encryption either (both came with OpenZFS 0.8), so there every filesystem counts as unencrypted.
     * Adds every encrypted one to {@code encrypted}.
     */
    private Map<DatasetName, FilesystemResult> encryptionRefusals(
            List<DatasetName> selected,
            SendEncryption encryption,
            Capabilities capabilities,
            Set<DatasetName> encrypted)
            throws ZfsException {
        Map<DatasetName, Map<String, String>> properties = new LinkedHashMap<>();
        if (capabilities.rawSend()) {
            for (String pool :
                    new TreeSet<>(selected.stream().map(DatasetName::pool).toList())) {
                properties.putAll(zfs.getProperties(DatasetName.of(pool), true, List.of(ENCRYPTION)));
            }
        }
        Map<DatasetName, FilesystemResult> refused = new LinkedHashMap<>();
        for (DatasetName fs : selected) {
            String value = properties.getOrDefault(fs, Map.of()).get(ENCRYPTION);
            if (SendEncryption.isEncrypted(value)) {
                encrypted.add(fs);
            }
            encryption.refusal(value).ifPresent(why -> {
                log.warn("{}: {}", fs, why);
                refused.put(fs, FilesystemResult.failed(fs, 0, 0, why, -1, Failure.REFUSED));
            });
        }
        return refused;
    }
}
