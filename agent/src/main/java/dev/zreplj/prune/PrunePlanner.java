package dev.zreplj.prune;

import dev.zreplj.protocol.RemoteFilesystem;
import dev.zreplj.protocol.RemoteVersion;
import dev.zreplj.pruning.KeepRule;
import dev.zreplj.pruning.KeepRules;
import dev.zreplj.pruning.PruneCandidate;
import dev.zreplj.zfs.VersionType;
import dev.zreplj.zfs.ZfsVersion;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Decides per filesystem what pruning destroys: the keep rules first, then the guards that no rule can
 * overrule. Pure, so every case is tested without ZFS.
 *
 * <p>Sender: a snapshot counts as replicated when it is at or before the replication cursor; everything
 * newer than the cursor is never destroyed, and without a cursor nothing is. Where the cursor is a hold
 * on a snapshot (zfs without bookmarks), that snapshot is the next incremental base and is never
 * destroyed either; where it is a bookmark, the bookmark is the base, and the snapshot at the cursor
 * goes when no rule keeps it (zrepl's {@code keep_snapshot_at_cursor} is how rules keep it). Receiver: the
 * newest snapshot the sender also has (the next incremental base) is never destroyed, and a
 * filesystem with no snapshot in common with the sender is not pruned at all.
 */
public final class PrunePlanner {
    static final String CURSOR = "the replication cursor";
    static final String UNREPLICATED = "not replicated yet";
    static final String NO_CURSOR = "no replication cursor yet";
    static final String COMMON = "the newest snapshot in common with the sender";
    static final String BOX_BASE = "the newest snapshot the backup box also has (the next incremental base)";
    static final String NO_RULES = "the keep rules are empty, which keeps everything (as in zrepl)";

    private PrunePlanner() {}

    /**
     * @param versions the filesystem's snapshots (bookmarks are ignored)
     * @param cursor   the replication cursor (a snapshot or its bookmark), if any
     */
    public static FilesystemPrunePlan sender(
            String filesystem, List<ZfsVersion> versions, Optional<ZfsVersion> cursor, List<KeepRule> rules) {
        return sender(filesystem, versions, cursor, rules, Optional.empty());
    }

    /**
     * @param receiver the guids of the box's copy, where its listing is at hand: the newest version in common
     *                 with it is the next incremental base, so a snapshot that is that base (no bookmark of its guid
     *                 stands in for it) is never destroyed, though the cursor is newer (the box's copy was rolled
     *                 back, or lost snapshots the cursor says it got)
     */
    public static FilesystemPrunePlan sender(
            String filesystem,
            List<ZfsVersion> versions,
            Optional<ZfsVersion> cursor,
            List<KeepRule> rules,
            Optional<Set<Long>> receiver) {
        long boxBase = receiver.flatMap(guids -> versions.stream()
                        .filter(v -> guids.contains(v.guid()))
                        .max(Comparator.comparingLong(ZfsVersion::createtxg)))
                .filter(v -> versions.stream().noneMatch(b -> b.type() == VersionType.BOOKMARK && b.guid() == v.guid()))
                .map(ZfsVersion::guid)
                .orElse(0L);
        List<ZfsVersion> snapshots = versions.stream()
                .filter(v -> v.type() == VersionType.SNAPSHOT)
                .sorted(Comparator.comparingLong(ZfsVersion::createtxg))
                .toList();
        long cursorTxg = cursor.map(ZfsVersion::createtxg).orElse(Long.MIN_VALUE);
        List<PruneCandidate> candidates = new ArrayList<>();
        for (ZfsVersion s : snapshots) {
            candidates.add(new PruneCandidate(
                    s.name(),
                    s.creation(),
                    cursor.isPresent() && s.createtxg() <= cursorTxg,
                    cursor.isPresent() && s.guid() == cursor.get().guid()));
        }
        if (rules.isEmpty()) {
            return new FilesystemPrunePlan(
                    Side.SENDER,
                    filesystem,
                    snapshots.stream()
                            .map(s -> Decision.keep(s.name(), s.guid(), NO_RULES, false))
                            .toList(),
                    null);
        }
        List<Integer> why = KeepRules.explain(rules, candidates);
        List<Decision> decisions = new ArrayList<>();
        for (int i = 0; i < snapshots.size(); i++) {
            ZfsVersion s = snapshots.get(i);
            if (why.get(i) >= 0) {
                decisions.add(Decision.keep(s.name(), s.guid(), rule(rules, why.get(i)), false));
            } else if (cursor.isEmpty()) {
                decisions.add(Decision.keep(s.name(), s.guid(), NO_CURSOR, true));
            } else if (s.guid() == cursor.get().guid() && cursor.get().type() == VersionType.SNAPSHOT) {
                decisions.add(Decision.keep(s.name(), s.guid(), CURSOR, true));
            } else if (s.createtxg() > cursorTxg) {
                decisions.add(Decision.keep(s.name(), s.guid(), UNREPLICATED, true));
            } else if (boxBase != 0 && s.guid() == boxBase) {
                decisions.add(Decision.keep(s.name(), s.guid(), BOX_BASE, true));
            } else {
                decisions.add(Decision.destroy(s.name(), s.guid()));
            }
        }
        return new FilesystemPrunePlan(Side.SENDER, filesystem, decisions, null);
    }

    /**
     * A snap job's filesystem: nothing is replicated, so the rules alone decide (zrepl's local pruner counts every
     * snapshot as replicated), except that a snapshot a push job's replication cursor holds (zfs without bookmarks)
     * is its next incremental base and stays, as the push job's own sender pruning keeps it; where the cursor is a
     * bookmark, the bookmark is the base and the snapshot goes when no rule keeps it.
     *
     * @param held guid → why it stays: the snapshots other jobs' cursors hold
     */
    public static FilesystemPrunePlan local(
            String filesystem, List<ZfsVersion> versions, List<KeepRule> rules, Map<Long, String> held) {
        List<ZfsVersion> snapshots = versions.stream()
                .filter(v -> v.type() == VersionType.SNAPSHOT)
                .sorted(Comparator.comparingLong(ZfsVersion::createtxg))
                .toList();
        if (rules.isEmpty()) {
            return new FilesystemPrunePlan(
                    Side.LOCAL,
                    filesystem,
                    snapshots.stream()
                            .map(s -> Decision.keep(s.name(), s.guid(), NO_RULES, false))
                            .toList(),
                    null);
        }
        List<Integer> why = KeepRules.explain(
                rules,
                snapshots.stream()
                        .map(s -> new PruneCandidate(s.name(), s.creation(), null))
                        .toList());
        List<Decision> decisions = new ArrayList<>();
        for (int i = 0; i < snapshots.size(); i++) {
            ZfsVersion s = snapshots.get(i);
            String cursor = held.get(s.guid());
            if (why.get(i) >= 0) {
                decisions.add(Decision.keep(s.name(), s.guid(), rule(rules, why.get(i)), false));
            } else if (cursor != null) {
                decisions.add(Decision.keep(s.name(), s.guid(), cursor, true));
            } else {
                decisions.add(Decision.destroy(s.name(), s.guid()));
            }
        }
        return new FilesystemPrunePlan(Side.LOCAL, filesystem, decisions, null);
    }

    /**
     * @param sender the sender's versions of the same filesystem: snapshots and bookmarks both name a
     *               guid the next incremental send can start from
     */
    public static FilesystemPrunePlan receiver(
            RemoteFilesystem receiver, List<ZfsVersion> sender, List<KeepRule> rules) {
        List<RemoteVersion> snapshots = receiver.versions().stream()
                .filter(v -> v.type() == VersionType.SNAPSHOT)
                .sorted(Comparator.comparingLong(RemoteVersion::createtxg))
                .toList();
        if (snapshots.isEmpty()) {
            return new FilesystemPrunePlan(Side.RECEIVER, receiver.path(), List.of(), null);
        }
        Set<Long> senderGuids = new HashSet<>();
        sender.forEach(v -> senderGuids.add(v.guid()));
        Optional<RemoteVersion> common = snapshots.stream()
                .filter(v -> senderGuids.contains(v.guid()))
                .max(Comparator.comparingLong(RemoteVersion::createtxg));
        if (common.isEmpty()) {
            return new FilesystemPrunePlan(
                    Side.RECEIVER,
                    receiver.path(),
                    List.of(),
                    "no snapshot in common with the sender; not pruned until replication works again");
        }
        List<PruneCandidate> candidates = snapshots.stream()
                .map(v -> new PruneCandidate(v.name(), Instant.ofEpochSecond(v.creation()), null))
                .toList();
        if (rules.isEmpty()) {
            return new FilesystemPrunePlan(
                    Side.RECEIVER,
                    receiver.path(),
                    snapshots.stream()
                            .map(v -> Decision.keep(v.name(), v.guid(), NO_RULES, false))
                            .toList(),
                    null);
        }
        List<Integer> why = KeepRules.explain(rules, candidates);
        List<Decision> decisions = new ArrayList<>();
        for (int i = 0; i < snapshots.size(); i++) {
            RemoteVersion v = snapshots.get(i);
            if (why.get(i) >= 0) {
                decisions.add(Decision.keep(v.name(), v.guid(), rule(rules, why.get(i)), false));
            } else if (v.guid() == common.get().guid()) {
                decisions.add(Decision.keep(v.name(), v.guid(), COMMON, true));
            } else {
                decisions.add(Decision.destroy(v.name(), v.guid()));
            }
        }
        return new FilesystemPrunePlan(Side.RECEIVER, receiver.path(), decisions, null);
    }

    private static String rule(List<KeepRule> rules, int index) {
        return "rule " + (index + 1) + " " + KeepRules.describe(rules.get(index));
    }
}
