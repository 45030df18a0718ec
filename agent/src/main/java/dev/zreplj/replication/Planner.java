package dev.zreplj.replication;

import dev.zreplj.config.ConflictResolution.InitialReplication;
import dev.zreplj.protocol.RemoteFilesystem;
import dev.zreplj.protocol.RemoteVersion;
import dev.zreplj.zfs.DatasetName;
import dev.zreplj.zfs.VersionType;
import dev.zreplj.zfs.ZfsVersion;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Plans one filesystem's replication from the two sides' versions, as a pure function so every case
 * is tested without ZFS. Snapshots are matched by guid, never by name: a snapshot renamed or recreated
 * under the same name is a different snapshot.
 */
public final class Planner {
    private Planner() {}

    /** {@link #plan(DatasetName, List, RemoteFilesystem, ReplicationPolicy, StreamAbilities)}, resumable. */
    public static FilesystemPlan plan(
            DatasetName filesystem, List<ZfsVersion> sender, RemoteFilesystem receiver, ReplicationPolicy policy) {
        return plan(filesystem, sender, receiver, policy, StreamAbilities.RESUMABLE);
    }

    /**
     * @param sender   the sender's snapshots and bookmarks of {@code filesystem}, any order
     * @param receiver the receiver's copy, or null when it does not exist
     */
    public static FilesystemPlan plan(
            DatasetName filesystem,
            List<ZfsVersion> sender,
            RemoteFilesystem receiver,
            ReplicationPolicy policy,
            StreamAbilities stream) {
        FilesystemPlan plan = planComplete(filesystem, sender, receiver, policy);
        if (receiver != null && receiver.resumeToken() != null && plan instanceof FilesystemPlan.Replicate r) {
            plan = PartialReceivePlanner.apply(r, sender, receiver.resumeToken(), stream.resume(), stream.raw());
        } else if (receiver != null
                && receiver.resumeToken() != null
                && plan instanceof FilesystemPlan.Conflict
                && policy.initialReplication() == InitialReplication.FAIL
                && receiver.versions().stream().noneMatch(v -> v.type() == VersionType.SNAPSHOT)) {
            // 'fail' refuses to start an initial replication, not to finish one that was let start (under another
            // policy, or by hand with zfs recv -s): zrepl too resumes a token before it plans anything else.
            plan = PartialReceivePlanner.resumeFirst(
                    filesystem, sender, receiver.resumeToken(), stream.resume(), stream.raw());
        }
        return stream.series() && plan instanceof FilesystemPlan.Replicate r ? SeriesPlanner.join(r) : plan;
    }

    /** The plan as if the box held no partial receive. */
    private static FilesystemPlan planComplete(
            DatasetName filesystem, List<ZfsVersion> sender, RemoteFilesystem receiver, ReplicationPolicy policy) {
        List<ZfsVersion> ordered = sender.stream()
                .sorted(Comparator.comparingLong(ZfsVersion::createtxg)
                        // at equal txg the snapshot sorts last, so the base search below prefers it
                        .thenComparing(v -> v.type() == VersionType.SNAPSHOT))
                .toList();
        List<ZfsVersion> snapshots =
                ordered.stream().filter(v -> v.type() == VersionType.SNAPSHOT).toList();
        if (snapshots.isEmpty()) {
            return new FilesystemPlan.NoSnapshots(filesystem);
        }
        List<RemoteVersion> received = receiver == null
                ? List.of()
                : receiver.versions().stream()
                        .filter(v -> v.type() == VersionType.SNAPSHOT)
                        .sorted(Comparator.comparingLong(RemoteVersion::createtxg))
                        .toList();
        if (received.isEmpty()) {
            return initial(filesystem, snapshots, receiver, policy);
        }

        Map<Long, RemoteVersion> receivedByGuid = new HashMap<>();
        received.forEach(v -> receivedByGuid.put(v.guid(), v));
        ZfsVersion base = null;
        for (int i = ordered.size() - 1; i >= 0 && base == null; i--) {
            if (receivedByGuid.containsKey(ordered.get(i).guid())) {
                base = ordered.get(i);
            }
        }
        if (base == null) {
            // Not even allow_rollback resolves this: it would mean overwriting the whole receiver copy.
            return conflict(
                    filesystem,
                    "no common snapshot: the receiver has " + describe(received)
                            + " but the sender has none of them (made anew here, e.g. on a rebuilt machine): restore it"
                            + " from the box (zreplj restore, docs/restore.md) or take it out of the filter; starting"
                            + " over means renaming or destroying the box's copy with every backup below it");
        }

        RemoteVersion baseOnReceiver = receivedByGuid.get(base.guid());
        List<RemoteVersion> newerOnReceiver = received.stream()
                .filter(v -> v.createtxg() > baseOnReceiver.createtxg())
                .toList();
        boolean rollback = false;
        if (!newerOnReceiver.isEmpty()) {
            if (!policy.allowRollback()) {
                // The admin rolled the source back, or destroyed its newest replicated snapshots (the cursor's too):
                // the box's copy of them is the only one left, so only the admin may let the box discard them.
                boolean one = newerOnReceiver.size() == 1;
                String common = "@" + baseOnReceiver.name();
                return conflict(
                        filesystem,
                        "receiver has diverged: the sender no longer has " + describe(newerOnReceiver)
                                + ", which the box got after the common snapshot " + common
                                + " (the sender was rolled back, or " + (one ? "it was" : "they were")
                                + " destroyed there); to send on from " + common
                                + ", set conflict_resolution.allow_rollback: true, which destroys "
                                + (one ? "it" : "them") + " on the box");
            }
            rollback = true;
        }

        long baseTxg = base.createtxg();
        List<ZfsVersion> toSend =
                snapshots.stream().filter(s -> s.createtxg() > baseTxg).toList();
        if (toSend.isEmpty()) {
            return new FilesystemPlan.UpToDate(
                    filesystem, snapshots.get(snapshots.size() - 1).name());
        }
        // A name the box already gives another snapshot (one destroyed and taken again on the sender after the box
        // got it; the first may live on as the cursor's bookmark): zfs recv would refuse that step on every pass.
        Map<String, RemoteVersion> stays = new HashMap<>();
        for (RemoteVersion v : received) {
            if (!(rollback && newerOnReceiver.contains(v))) {
                stays.put(v.name(), v);
            }
        }
        for (ZfsVersion to : toSend) {
            RemoteVersion same = stays.get(to.name());
            if (same != null && same.guid() != to.guid()) {
                return conflict(
                        filesystem,
                        "the receiver's @" + to.name() + " is another snapshot than the sender's (a snapshot of that"
                                + " name was taken again after the box got the first), so it cannot be sent; rename"
                                + " the sender's (zfs rename " + filesystem + "@" + to.name() + " " + filesystem
                                + "@NEWNAME)");
            }
        }
        List<Step> steps = new ArrayList<>();
        ZfsVersion from = base;
        for (ZfsVersion to : toSend) {
            steps.add(new Step(from, to, rollback && steps.isEmpty()));
            from = to;
        }
        return new FilesystemPlan.Replicate(filesystem, steps);
    }

    /**
     * The newest of the sender's versions (snapshot or bookmark, by createtxg; the snapshot where both
     * share one) whose guid the receiver has as a snapshot: the base of the next incremental send, and
     * what the replication cursor should mark. Empty without a common version.
     */
    public static Optional<ZfsVersion> newestCommon(List<ZfsVersion> sender, RemoteFilesystem receiver) {
        if (receiver == null) {
            return Optional.empty();
        }
        Set<Long> received = new HashSet<>();
        receiver.versions().stream()
                .filter(v -> v.type() == VersionType.SNAPSHOT)
                .forEach(v -> received.add(v.guid()));
        return sender.stream()
                .filter(v -> received.contains(v.guid()))
                .max(Comparator.comparingLong(ZfsVersion::createtxg)
                        .thenComparing(v -> v.type() == VersionType.SNAPSHOT));
    }

    private static FilesystemPlan initial(
            DatasetName filesystem, List<ZfsVersion> snapshots, RemoteFilesystem receiver, ReplicationPolicy policy) {
        // A filesystem that exists only as a partial receive was created by a receive, not by the box's admin.
        if (receiver != null && !receiver.placeholder() && receiver.resumeToken() == null) {
            return conflict(
                    filesystem,
                    "the receiver has a filesystem without snapshots at this path that"
                            + " zreplj did not create; remove it on the backup box or exclude this filesystem");
        }
        // Receiving a full stream over an existing placeholder needs -F; the placeholder holds no data.
        boolean overPlaceholder = receiver != null;
        return switch (policy.initialReplication()) {
            case FAIL ->
                conflict(
                        filesystem,
                        "the receiver has no copy yet and" + " conflict_resolution.initial_replication is 'fail'");
            case MOST_RECENT ->
                new FilesystemPlan.Replicate(
                        filesystem, List.of(new Step(null, snapshots.get(snapshots.size() - 1), overPlaceholder)));
            case ALL -> {
                List<Step> steps = new ArrayList<>();
                steps.add(new Step(null, snapshots.get(0), overPlaceholder));
                for (int i = 1; i < snapshots.size(); i++) {
                    steps.add(new Step(snapshots.get(i - 1), snapshots.get(i), false));
                }
                yield new FilesystemPlan.Replicate(filesystem, steps);
            }
        };
    }

    private static FilesystemPlan conflict(DatasetName filesystem, String reason) {
        return new FilesystemPlan.Conflict(filesystem, reason);
    }

    private static String describe(List<RemoteVersion> versions) {
        int shown = Math.min(3, versions.size());
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < shown; i++) {
            sb.append(i == 0 ? "@" : ", @").append(versions.get(i).name());
        }
        if (versions.size() > shown) {
            sb.append(" and ").append(versions.size() - shown).append(" more");
        }
        return sb.toString();
    }
}
