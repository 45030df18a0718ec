package dev.zreplj.stdinserver;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.zreplj.protocol.DestroyResult.Refusal;
import dev.zreplj.protocol.DestroyTarget;
import dev.zreplj.pruning.KeepRule;
import dev.zreplj.zfs.DatasetName;
import dev.zreplj.zfs.VersionType;
import dev.zreplj.zfs.ZfsVersion;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

class DestroyPlanTest {
    private static final DatasetName FS = DatasetName.of("box/sink/laptop/tank/a");

    /** Snapshots s1..sN, one an hour, guid 100+i; a bookmark b1 to show bookmarks do not count. */
    private static List<ZfsVersion> versions(int n) {
        List<ZfsVersion> out = new java.util.ArrayList<>();
        for (int i = 1; i <= n; i++) {
            out.add(new ZfsVersion(FS, VersionType.SNAPSHOT, "s" + i, 100 + i, i, Instant.ofEpochSecond(3600L * i)));
        }
        out.add(new ZfsVersion(FS, VersionType.BOOKMARK, "b1", 101, 1, Instant.ofEpochSecond(3600)));
        return out;
    }

    /** The box's clock well after every snapshot, which the floor sees at its creation (no receive times recorded). */
    private static BoxFloor floor(List<KeepRule> rules) {
        return new BoxFloor(rules, Map.of(), Instant.ofEpochSecond(3600L * 1000));
    }

    private static DestroyTarget t(int i) {
        return new DestroyTarget("s" + i, 100 + i);
    }

    @Test
    void withoutFloorOrHoldEveryMatchingTargetGoes() {
        DestroyPlan p = DestroyPlan.decide(versions(5), List.of(t(3), t(1)), BoxFloor.none(), Set.of());
        assertEquals(new DestroyPlan(List.of("s3", "s1"), List.of(), List.of()), p);
    }

    @Test
    void aFloorKeepingEverythingRefusesEveryTarget() {
        // what the config makes of an explicit `keep_floor: []` (ConfigLoaderGoodTest)
        List<KeepRule> floor = List.of(new KeepRule.Regex(Pattern.compile(".*"), false));
        DestroyPlan p = DestroyPlan.decide(versions(3), List.of(t(1), t(2)), floor(floor), Set.of());
        assertEquals(List.of(), p.destroy());
        assertEquals(List.of("s1", "s2"), p.keptByFloor());
    }

    @Test
    void theFloorIsAppliedToAllSnapshotsNotJustTheTargets() {
        // last_n 2 over s1..s5 keeps s4 and s5, however few of them the client names.
        List<KeepRule> floor = List.of(new KeepRule.LastN(2, null));
        DestroyPlan p = DestroyPlan.decide(versions(5), List.of(t(5), t(3), t(4)), floor(floor), Set.of());
        assertEquals(List.of("s3"), p.destroy());
        assertEquals(
                List.of(new Refusal("s5", DestroyPlan.KEPT_BY_FLOOR), new Refusal("s4", DestroyPlan.KEPT_BY_FLOOR)),
                p.refused());
        assertEquals(List.of("s5", "s4"), p.keptByFloor());
    }

    @Test
    void severalFloorRulesKeepTheUnion() {
        List<KeepRule> floor =
                List.of(new KeepRule.LastN(1, null), new KeepRule.Regex(Pattern.compile("^s[12]$"), false));
        DestroyPlan p = DestroyPlan.decide(versions(4), List.of(t(1), t(2), t(3), t(4)), floor(floor), Set.of());
        assertEquals(List.of("s3"), p.destroy());
        assertEquals(List.of("s1", "s2", "s4"), p.keptByFloor());
    }

    @Test
    void unknownNameAndOtherGuidAreRefusedBeforeTheFloorIsConsulted() {
        List<KeepRule> floor = List.of(new KeepRule.LastN(5, null));
        DestroyPlan p = DestroyPlan.decide(
                versions(3),
                List.of(new DestroyTarget("s9", 109), new DestroyTarget("s2", 999), new DestroyTarget("b1", 101)),
                floor(floor),
                Set.of());
        assertEquals(List.of(), p.destroy());
        assertEquals(
                List.of(
                        new Refusal("s9", DestroyPlan.NO_SUCH_SNAPSHOT),
                        new Refusal("s2", DestroyPlan.GUID_MISMATCH),
                        new Refusal("b1", DestroyPlan.NO_SUCH_SNAPSHOT)),
                p.refused());
        assertEquals(List.of(), p.keptByFloor());
    }

    @Test
    void theLastReceivedSnapshotIsRefused() {
        DestroyPlan p = DestroyPlan.decide(versions(3), List.of(t(2), t(3)), BoxFloor.none(), Set.of("s3"));
        assertEquals(List.of("s2"), p.destroy());
        assertEquals(List.of(new Refusal("s3", DestroyPlan.LAST_RECEIVED)), p.refused());
    }

    @Test
    void theFloorReasonWinsOverTheHoldAndRepeatsAreRefused() {
        DestroyPlan p = DestroyPlan.decide(
                versions(3), List.of(t(3), t(1), t(1)), floor(List.of(new KeepRule.LastN(1, null))), Set.of("s3"));
        assertEquals(List.of("s1"), p.destroy());
        assertEquals(
                List.of(new Refusal("s3", DestroyPlan.KEPT_BY_FLOOR), new Refusal("s1", DestroyPlan.NAMED_TWICE)),
                p.refused());
    }

    @Test
    void anEmptyRequestOrFilesystemPlansNothing() {
        assertEquals(
                new DestroyPlan(List.of(), List.of(), List.of()),
                DestroyPlan.decide(versions(3), List.of(), floor(List.of(new KeepRule.LastN(1, null))), Set.of()));
        assertEquals(
                new DestroyPlan(List.of(), List.of(new Refusal("s1", DestroyPlan.NO_SUCH_SNAPSHOT)), List.of()),
                DestroyPlan.decide(List.of(), List.of(t(1)), floor(List.of(new KeepRule.LastN(1, null))), Set.of()));
    }
}
