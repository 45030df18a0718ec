package dev.zreplj.stdinserver;

import dev.zreplj.pruning.KeepRule;
import dev.zreplj.pruning.KeepRules;
import dev.zreplj.pruning.PruneCandidate;
import dev.zreplj.zfs.VersionType;
import dev.zreplj.zfs.ZfsVersion;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The sink job's {@code policy.keep_floor} on facts a client cannot forge: each snapshot's time is when
 * the box received it (its own clock, {@link ReceiveTimes}), and a grid's "now" is the box's clock. Pure.
 *
 * @param received the box's receive time of each snapshot, by guid
 * @param now      the box's clock
 */
record BoxFloor(List<KeepRule> rules, Map<Long, Instant> received, Instant now) {
    BoxFloor {
        rules = List.copyOf(rules);
        received = Map.copyOf(received);
    }

    /** No floor: keeps nothing, so only the other checks stand between a client and its snapshots. */
    static BoxFloor none() {
        return new BoxFloor(List.of(), Map.of(), Instant.EPOCH);
    }

    /**
     * The time the floor sees for {@code v}: the box's record, else (a snapshot received before the box
     * kept records) its creation, but never later than the box's clock, so a future date moves nothing.
     */
    static Instant timeOf(ZfsVersion v, Map<Long, Instant> received, Instant now) {
        Instant t = received.get(v.guid());
        if (t != null) {
            return t;
        }
        return v.creation().isAfter(now) ? now : v.creation();
    }

    /** The names of the snapshots among {@code versions} the floor keeps; bookmarks are ignored. */
    Set<String> keeps(List<ZfsVersion> versions) {
        if (rules.isEmpty()) {
            // No floor configured. (An empty keep list keeps everything, but the config turns an explicit
            // `keep_floor: []` into a rule keeping everything, so only "no floor" arrives empty here.)
            return Set.of();
        }
        List<ZfsVersion> snapshots =
                versions.stream().filter(v -> v.type() == VersionType.SNAPSHOT).toList();
        List<Boolean> keep = KeepRules.keep(
                rules,
                snapshots.stream()
                        .map(v -> new PruneCandidate(v.name(), timeOf(v, received, now), null))
                        .toList(),
                now);
        Set<String> kept = new HashSet<>();
        for (int i = 0; i < snapshots.size(); i++) {
            if (keep.get(i)) {
                kept.add(snapshots.get(i).name());
            }
        }
        return kept;
    }
}
