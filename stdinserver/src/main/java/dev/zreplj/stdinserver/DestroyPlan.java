package dev.zreplj.stdinserver;

import dev.zreplj.protocol.DestroyResult.Refusal;
import dev.zreplj.protocol.DestroyTarget;
import dev.zreplj.zfs.VersionType;
import dev.zreplj.zfs.ZfsVersion;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Which of a DESTROY's targets the box lets go, decided before any zfs call. Pure. The box's keep_floor
 * ({@link BoxFloor}) is applied to all of the filesystem's current snapshots, so a client cannot move the
 * floor by asking for a few snapshots at a time.
 *
 * @param destroy      names to destroy, in request order
 * @param refused      the others with the reason, in request order
 * @param keptByFloor  the refused ones the floor keeps (the box logs them: a client asked for them)
 */
record DestroyPlan(List<String> destroy, List<Refusal> refused, List<String> keptByFloor) {
    static final String NO_SUCH_SNAPSHOT = "no such snapshot";
    static final String GUID_MISMATCH = "guid mismatch: a different snapshot has this name";
    static final String KEPT_BY_FLOOR = Refusal.KEPT_BY_FLOOR;
    static final String LAST_RECEIVED = "it is the last received snapshot (incremental base)";
    static final String NAMED_TWICE = "named more than once in this request";

    DestroyPlan {
        destroy = List.copyOf(destroy);
        refused = List.copyOf(refused);
        keptByFloor = List.copyOf(keptByFloor);
    }

    /**
     * @param versions all current versions of the filesystem (bookmarks are ignored)
     * @param held     names of snapshots carrying a last-received hold
     */
    static DestroyPlan decide(
            List<ZfsVersion> versions, List<DestroyTarget> targets, BoxFloor floor, Set<String> held) {
        Set<String> floorKeeps = floor.keeps(versions);
        Map<String, ZfsVersion> byName = new HashMap<>();
        for (ZfsVersion v : versions) {
            if (v.type() == VersionType.SNAPSHOT) {
                byName.put(v.name(), v);
            }
        }
        List<String> destroy = new ArrayList<>();
        List<Refusal> refused = new ArrayList<>();
        List<String> keptByFloor = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        for (DestroyTarget t : targets) {
            ZfsVersion v = byName.get(t.name());
            String reason;
            if (!seen.add(t.name())) {
                reason = NAMED_TWICE;
            } else if (v == null) {
                reason = NO_SUCH_SNAPSHOT;
            } else if (v.guid() != t.guid()) {
                reason = GUID_MISMATCH;
            } else if (floorKeeps.contains(t.name())) {
                reason = KEPT_BY_FLOOR;
                keptByFloor.add(t.name());
            } else if (held.contains(t.name())) {
                reason = LAST_RECEIVED;
            } else {
                destroy.add(t.name());
                continue;
            }
            refused.add(new Refusal(t.name(), reason));
        }
        return new DestroyPlan(destroy, refused, keptByFloor);
    }
}
