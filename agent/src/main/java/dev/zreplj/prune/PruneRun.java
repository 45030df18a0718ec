package dev.zreplj.prune;

import dev.zreplj.config.PushJob;
import dev.zreplj.config.SnapJob;
import dev.zreplj.protocol.DestroyResult;
import dev.zreplj.protocol.DestroyTarget;
import dev.zreplj.protocol.RemoteFilesystem;
import dev.zreplj.replication.BoxChannel;
import dev.zreplj.replication.ReplicationCursor;
import dev.zreplj.replication.SenderListing;
import dev.zreplj.zfs.DatasetName;
import dev.zreplj.zfs.SourceZfs;
import dev.zreplj.zfs.VersionType;
import dev.zreplj.zfs.ZfsException;
import dev.zreplj.zfs.ZfsVersion;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Prunes a push job's filesystems on both sides: lists the sender (one call per pool) and the
 * receiver (one LIST), plans with {@link PrunePlanner}, destroys on the sender in one batch per
 * filesystem and asks the box for one DESTROY per filesystem (per {@value #DESTROY_REQUEST} snapshots). Without
 * the box, the sender is still pruned: its guard is the local replication cursor, not the receiver's listing.
 */
public final class PruneRun {
    private static final Logger log = LoggerFactory.getLogger(PruneRun.class);
    /** Snapshots per DESTROY request to the box (see {@link #pruneReceiver}). */
    static final int DESTROY_REQUEST = 500;

    private final PushJob job;
    private final SourceZfs zfs;

    public PruneRun(PushJob job, SourceZfs zfs) {
        this.job = job;
        this.zfs = zfs;
    }

    /**
     * @param box            a channel to the box (its requests bounded by the pass's watchdog), or null when
     *                       the box cannot be reached
     * @param boxUnavailable why there is no box (shown in the report); ignored when {@code box} is set
     * @param dryRun         plan and report only: no zfs mutation, no DESTROY request
     */
    public PruneReport run(List<DatasetName> selected, BoxChannel box, String boxUnavailable, boolean dryRun) {
        Map<DatasetName, List<ZfsVersion>> versions = new LinkedHashMap<>();
        ReplicationCursor cursor;
        try {
            for (String pool :
                    new TreeSet<>(selected.stream().map(DatasetName::pool).toList())) {
                versions.putAll(zfs.listVersions(DatasetName.of(pool)));
            }
            cursor = ReplicationCursor.load(zfs, job.name(), versions);
        } catch (ZfsException e) {
            return unlisted(dryRun, e);
        }
        return run(selected, versions, cursor, box, null, boxUnavailable, dryRun);
    }

    /**
     * Prunes from a listing the caller already has (a pass's, listed again where it changed anything) and
     * its cursor, which knows where the pass moved it: no listing of the sender here.
     *
     * @param receiver the box's listing the pass has, or null; the receiver is listed again unless it is current
     */
    public PruneReport run(
            SenderListing listing,
            ReplicationCursor cursor,
            BoxChannel box,
            ReceiverListing receiver,
            String boxUnavailable,
            boolean dryRun) {
        return run(listing.selected(), listing.versions(), cursor, box, receiver, boxUnavailable, dryRun);
    }

    private static Map<String, RemoteFilesystem> byPath(List<RemoteFilesystem> filesystems) {
        Map<String, RemoteFilesystem> out = new HashMap<>();
        filesystems.forEach(r -> out.put(r.path(), r));
        return out;
    }

    private static Set<Long> guids(RemoteFilesystem copy) {
        Set<Long> out = new HashSet<>();
        if (copy != null) copy.versions().forEach(v -> out.add(v.guid()));
        return out;
    }

    /**
     * Prunes a snap job's filesystems on this machine by its {@code keep} rules, from a listing the caller has
     * (a pass's, or {@code zreplj prune}'s), destroying as a push job's sender pruning does (guid checked first, one
     * by one after a refusal). The snapshots the config's push jobs' replication cursors hold stay.
     *
     * @param pushJobs the config's push jobs, whose cursors on these filesystems are respected
     */
    public static PruneReport local(
            SnapJob job, List<PushJob> pushJobs, SourceZfs zfs, SenderListing listing, boolean dryRun) {
        Map<DatasetName, Map<Long, String>> held = new HashMap<>();
        try {
            for (PushJob push : pushJobs) {
                ReplicationCursor cursor = ReplicationCursor.load(zfs, push.name(), listing.versions());
                for (DatasetName fs : listing.selected()) {
                    cursor.current(fs, listing.versions().getOrDefault(fs, List.of()))
                            .filter(v -> v.type() == VersionType.SNAPSHOT)
                            .ifPresent(v -> held.computeIfAbsent(fs, k -> new HashMap<>())
                                    .putIfAbsent(
                                            v.guid(),
                                            "push job '" + push.name() + "''s replication cursor (its next"
                                                    + " incremental base)"));
                }
            }
        } catch (ZfsException e) {
            return new PruneReport(
                    dryRun,
                    List.of(),
                    null,
                    "reading the push jobs' replication cursors failed, so nothing is pruned: " + e.getMessage());
        }
        Map<DatasetName, FilesystemPrunePlan> plans = new LinkedHashMap<>();
        for (DatasetName fs : listing.selected()) {
            plans.put(
                    fs,
                    PrunePlanner.local(
                            fs.value(),
                            listing.versions().getOrDefault(fs, List.of()),
                            job.keep(),
                            held.getOrDefault(fs, Map.of())));
        }
        Map<String, Long> now = null;
        String unchecked = null;
        if (!dryRun) {
            try {
                now = currentGuids(zfs, plans);
            } catch (ZfsException e) {
                unchecked = "cannot check the snapshots to destroy before destroying them: " + e.getMessage();
            }
        }
        List<FilesystemPruneResult> results = new ArrayList<>();
        for (Map.Entry<DatasetName, FilesystemPrunePlan> e : plans.entrySet()) {
            results.add(pruneSender(zfs, e.getValue(), e.getKey(), dryRun, now, unchecked));
        }
        return new PruneReport(dryRun, results, null, null);
    }

    /** The report of a prune that could not list the sender. */
    public static PruneReport unlisted(boolean dryRun, ZfsException e) {
        return new PruneReport(
                dryRun, List.of(), "the sender could not be listed, so neither side is pruned", e.getMessage());
    }

    private PruneReport run(
            List<DatasetName> selected,
            Map<DatasetName, List<ZfsVersion>> versions,
            ReplicationCursor cursor,
            BoxChannel box,
            ReceiverListing receiver,
            String boxUnavailable,
            boolean dryRun) {
        List<FilesystemPruneResult> results = new ArrayList<>();
        // The box's listing first: the sender keeps the newest snapshot the box still has, whatever the cursor says.
        Map<String, RemoteFilesystem> remote = null;
        String receiverSkipped = box == null ? boxUnavailable : null;
        if (box != null) {
            try {
                remote = byPath(receiver != null && receiver.current() ? receiver.filesystems() : box.list());
            } catch (IOException e) {
                receiverSkipped = "listing the backup box failed: " + e.getMessage();
            }
        }
        Map<String, RemoteFilesystem> guard =
                remote != null ? remote : receiver == null ? null : byPath(receiver.filesystems());
        Map<DatasetName, FilesystemPrunePlan> senderPlans = new LinkedHashMap<>();
        for (DatasetName fs : selected) {
            List<ZfsVersion> mine = versions.getOrDefault(fs, List.of());
            Optional<Set<Long>> boxGuids = guard == null ? Optional.empty() : Optional.of(guids(guard.get(fs.value())));
            senderPlans.put(
                    fs,
                    PrunePlanner.sender(
                            fs.value(),
                            mine,
                            cursor.current(fs, mine),
                            job.pruning().keepSender(),
                            boxGuids));
        }
        Map<String, Long> now = null;
        String unchecked = null;
        if (!dryRun) {
            try {
                now = currentGuids(zfs, senderPlans);
            } catch (ZfsException e) {
                unchecked = "cannot check the snapshots to destroy before destroying them: " + e.getMessage();
            }
        }
        for (Map.Entry<DatasetName, FilesystemPrunePlan> e : senderPlans.entrySet()) {
            results.add(pruneSender(zfs, e.getValue(), e.getKey(), dryRun, now, unchecked));
        }
        if (remote != null) {
            for (DatasetName fs : selected) {
                RemoteFilesystem copy = remote.get(fs.value());
                if (copy != null) {
                    FilesystemPrunePlan plan = PrunePlanner.receiver(
                            copy,
                            versions.getOrDefault(fs, List.of()),
                            job.pruning().keepReceiver());
                    results.add(pruneReceiver(plan, box, dryRun));
                }
            }
        }
        return new PruneReport(dryRun, results, receiverSkipped, null);
    }

    /**
     * What the snapshots the plans destroy are now, in one {@code zfs get} for all filesystems: the plans come
     * from the pass's listing, taken before a replication that may have run for hours, and zfs destroys by
     * name. A snapshot destroyed and taken again under the same name meanwhile (a script's fixed-name
     * rotation, a rename) is another snapshot, which no rule decided on and the box may not have.
     */
    private static Map<String, Long> currentGuids(SourceZfs zfs, Map<DatasetName, FilesystemPrunePlan> plans)
            throws ZfsException {
        List<String> snapshots = new ArrayList<>();
        plans.forEach((fs, plan) -> plan.toDestroy().forEach(d -> snapshots.add(fs.value() + "@" + d.name())));
        return snapshots.isEmpty() ? Map.of() : zfs.snapshotGuids(snapshots);
    }

    private static FilesystemPruneResult pruneSender(
            SourceZfs zfs,
            FilesystemPrunePlan plan,
            DatasetName fs,
            boolean dryRun,
            Map<String, Long> now,
            String unchecked) {
        if (dryRun || plan.toDestroy().isEmpty()) {
            return new FilesystemPruneResult(plan, dryRun, List.of(), List.of(), null);
        }
        if (unchecked != null) {
            return new FilesystemPruneResult(plan, false, List.of(), List.of(), unchecked);
        }
        List<String> names = new ArrayList<>();
        for (Decision d : plan.toDestroy()) {
            Long guid = now.get(fs.value() + "@" + d.name());
            if (guid == null) {
                log.debug("{}@{}: gone before pruning destroyed it", fs, d.name());
            } else if (guid != d.guid()) {
                log.warn(
                        "{}@{} is another snapshot than the pass listed (guid {} now, {} then), so it is not destroyed;"
                                + " the next pass decides on it",
                        fs,
                        d.name(),
                        Long.toUnsignedString(guid),
                        Long.toUnsignedString(d.guid()));
            } else {
                names.add(d.name());
            }
        }
        if (names.isEmpty()) {
            return new FilesystemPruneResult(plan, false, List.of(), List.of(), null);
        }
        try {
            zfs.destroySnapshots(fs, names);
            log.info("{}: pruned {} snapshot{}{}", fs, names.size(), names.size() == 1 ? "" : "s", where(plan));
            return new FilesystemPruneResult(plan, false, names, List.of(), null);
        } catch (ZfsException e) {
            // A snap job's filesystem is no sender: it replicates nothing.
            log.warn(
                    "{}: pruning {}: {}",
                    fs,
                    plan.side() == Side.LOCAL ? "it (snap job)" : "the sender",
                    e.getMessage());
            if (names.size() == 1) {
                return new FilesystemPruneResult(
                        plan, false, List.of(), List.of(), "@" + names.get(0) + ": " + e.getMessage());
            }
            return destroyEach(zfs, plan, fs, names, e);
        }
    }

    /**
     * After a destroy of several snapshots failed: OpenZFS destroys none of a list when it refuses one (a held
     * snapshot is "busy"), and zfs-fuse, one snapshot a call, stops at it. So one snapshot that a hold keeps (a
     * renamed job's, an admin's) would keep every other the rules let go, pass after pass, until the pool is full.
     * Whatever is still there is destroyed one call each; the filesystem's prune fails naming each refused one.
     */
    private static FilesystemPruneResult destroyEach(
            SourceZfs zfs, FilesystemPrunePlan plan, DatasetName fs, List<String> names, ZfsException first) {
        Set<String> existing = new HashSet<>();
        try {
            zfs.listVersions(fs).getOrDefault(fs, List.of()).stream()
                    .filter(v -> v.type() == VersionType.SNAPSHOT)
                    .forEach(v -> existing.add(v.name()));
        } catch (ZfsException e) {
            return new FilesystemPruneResult(plan, false, List.of(), List.of(), first.getMessage());
        }
        List<String> gone = new ArrayList<>();
        List<String> refused = new ArrayList<>();
        for (String name : names) {
            if (!existing.contains(name)) {
                gone.add(name);
                continue;
            }
            try {
                zfs.destroySnapshots(fs, List.of(name));
                gone.add(name);
            } catch (ZfsException e) {
                refused.add("@" + name + ": " + e.getMessage());
            }
        }
        log.info(
                "{}: pruned {} snapshot{}{} one by one; {} refused",
                fs,
                gone.size(),
                gone.size() == 1 ? "" : "s",
                where(plan),
                refused.size());
        return new FilesystemPruneResult(plan, false, gone, List.of(), refused.isEmpty() ? null : few(refused));
    }

    /** A snap job's filesystems are no sender: nothing is sent from them. */
    private static String where(FilesystemPrunePlan plan) {
        return plan.side() == Side.LOCAL ? "" : " on the sender";
    }

    /**
     * The first few of a prune's failures, then how many more: the error goes into the pass's failure line, the
     * status file and cron's mail, and a hold on thousands of snapshots (a migration's) must not make it megabytes.
     */
    static String few(List<String> failures) {
        int shown = Math.min(FilesystemPruneResult.SUMMARY_REFUSALS, failures.size());
        return String.join("; ", failures.subList(0, shown))
                + (failures.size() > shown ? "; and " + (failures.size() - shown) + " more" : "");
    }

    private FilesystemPruneResult pruneReceiver(FilesystemPrunePlan plan, BoxChannel box, boolean dryRun) {
        List<DestroyTarget> targets = plan.toDestroy().stream()
                .map(d -> new DestroyTarget(d.name(), d.guid()))
                .toList();
        if (dryRun || targets.isEmpty()) {
            return new FilesystemPruneResult(plan, dryRun, List.of(), List.of(), null);
        }
        List<String> destroyed = new ArrayList<>();
        List<DestroyResult.Refusal> refused = new ArrayList<>();
        List<DestroyResult.Refusal> failed = new ArrayList<>();
        int refusals = 0;
        // One request per batch: the watchdog bounds each request, and a box whose zfs destroys one snapshot per
        // call (zfs-fuse: ~0.15 s each) would not answer thousands within replication.timeout, so a first prune
        // after a migration would be cut, and fail, pass after pass. A batch that fails keeps what went before.
        for (int from = 0; from < targets.size(); from += DESTROY_REQUEST) {
            List<DestroyTarget> batch = targets.subList(from, Math.min(targets.size(), from + DESTROY_REQUEST));
            DestroyResult result;
            try {
                result = box.destroy(plan.filesystem(), batch);
            } catch (IOException e) {
                log.warn("{}: pruning the receiver: {}", plan.filesystem(), e.getMessage());
                String error = from == 0
                        ? e.getMessage()
                        : e.getMessage() + " (after " + destroyed.size() + " of " + targets.size()
                                + " snapshots were destroyed)";
                return new FilesystemPruneResult(plan, false, destroyed, refused, error);
            }
            for (DestroyResult.Refusal r : result.refused()) {
                if (++refusals > FilesystemPruneResult.SUMMARY_REFUSALS) {
                    continue;
                }
                if (r.keptByFloor()) {
                    // The box's admin keeps more than this job's keep_receiver: so it stays, on every pass, and a
                    // warning each time would mail cron's owner about a policy working as meant.
                    log.info("{}: the backup box keeps @{}: {}", plan.filesystem(), r.name(), r.reason());
                } else {
                    log.warn("{}: the backup box refused to destroy @{}: {}", plan.filesystem(), r.name(), r.reason());
                }
            }
            destroyed.addAll(result.destroyed());
            refused.addAll(result.refused());
            failed.addAll(result.failed());
        }
        if (refusals > FilesystemPruneResult.SUMMARY_REFUSALS) {
            // The box's floor refuses a week of snapshots on every pass: a line each would bury the log.
            log.info(
                    "{}: the backup box refused {} more (the report lists them with -v)",
                    plan.filesystem(),
                    refusals - FilesystemPruneResult.SUMMARY_REFUSALS);
        }
        // The box's policy refusing is pruning working; its zfs failing (an admin's hold, a clone, an I/O
        // error) is a failed prune, as the same failure on the sender is: snapshots pile up on the box.
        String error = failed.isEmpty()
                ? null
                : "the backup box's zfs did not destroy "
                        + few(failed.stream()
                                .map(f -> "@" + f.name() + " (" + f.reason() + ")")
                                .toList());
        return new FilesystemPruneResult(plan, false, destroyed, refused, error);
    }
}
