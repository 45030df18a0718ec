package dev.zreplj.stdinserver;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.zreplj.pruning.GridSpec;
import dev.zreplj.pruning.KeepRule;
import dev.zreplj.zfs.DatasetName;
import dev.zreplj.zfs.VersionType;
import dev.zreplj.zfs.ZfsVersion;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

class BoxFloorTest {
    private static final DatasetName FS = DatasetName.of("box/sink/laptop/tank/a");
    private static final Instant NOW = Instant.parse("2026-11-30T12:00:00Z");
    private static final Instant YEAR_2100 = Instant.parse("2100-01-01T00:00:00Z");
    /** The sample sink's floor (contrib/config/sink.yml). */
    private static final List<KeepRule> GRID =
            List.of(new KeepRule.Grid(Pattern.compile("^zrepl_"), GridSpec.parse("7x1d | 4x7d")));

    private static ZfsVersion snap(String name, long guid, Instant creation) {
        return new ZfsVersion(FS, VersionType.SNAPSHOT, name, guid, guid, creation);
    }

    private static Instant daysAgo(int days) {
        return NOW.minus(Duration.ofDays(days)).minusSeconds(60);
    }

    /** zrepl_d0 .. zrepl_d9, one a day, the newest a minute old. */
    private static List<ZfsVersion> daily() {
        List<ZfsVersion> out = new java.util.ArrayList<>();
        for (int d = 9; d >= 0; d--) {
            out.add(snap("zrepl_d" + d, 100 + d, daysAgo(d)));
        }
        return out;
    }

    @Test
    void aFutureDatedSnapshotDoesNotMoveTheGrid() {
        List<ZfsVersion> versions = new java.util.ArrayList<>(daily());
        versions.add(snap("zrepl_junk", 999, YEAR_2100));
        Map<Long, Instant> received = new java.util.HashMap<>();
        versions.forEach(v -> received.put(v.guid(), v.creation().isAfter(NOW) ? NOW : v.creation()));
        Set<String> kept = new BoxFloor(GRID, received, NOW).keeps(versions);
        // 7 daily intervals keep d0..d6 (the junk shares d0's day and is newer, so d0 is that day's oldest),
        // the first weekly one keeps its oldest, d9.
        assertEquals(
                Set.of("zrepl_d0", "zrepl_d1", "zrepl_d2", "zrepl_d3", "zrepl_d4", "zrepl_d5", "zrepl_d6", "zrepl_d9"),
                kept);
        // Anchored at the stream's creation (zrepl's "now"), the same rule would keep only the junk.
        Set<String> byCreation = new BoxFloor(GRID, Map.of(), YEAR_2100).keeps(versions);
        assertEquals(Set.of("zrepl_junk"), byCreation);
    }

    @Test
    void aSnapshotReceivedAfterTheBoxsClockIsKept() {
        // The box's clock was set back an hour after it received zrepl_late: its receive time is "newer than
        // now", which a grid keeps (DESIGN.md), instead of losing the first day's one place to zrepl_d0.
        List<ZfsVersion> versions = new java.util.ArrayList<>(daily());
        versions.add(snap("zrepl_late", 500, NOW.minusSeconds(30)));
        Map<Long, Instant> received = new java.util.HashMap<>();
        versions.forEach(v -> received.put(v.guid(), v.creation()));
        received.put(500L, NOW.plusSeconds(1800));
        Set<String> kept = new BoxFloor(GRID, received, NOW).keeps(versions);
        assertEquals(true, kept.contains("zrepl_late"), kept.toString());
        assertEquals(true, kept.contains("zrepl_d0"), kept.toString());
    }

    @Test
    void theBoxsReceiveTimeCountsNotTheCreation() {
        // Snapshots the client dated 1970: by creation the grid would drop them all; received today they stay.
        List<ZfsVersion> versions = List.of(snap("zrepl_a", 1, Instant.EPOCH), snap("zrepl_b", 2, Instant.EPOCH));
        Map<Long, Instant> received = Map.of(1L, NOW.minusSeconds(3 * 86_400), 2L, NOW.minusSeconds(60));
        assertEquals(Set.of("zrepl_a", "zrepl_b"), new BoxFloor(GRID, received, NOW).keeps(versions));
    }

    @Test
    void withoutARecordTheCreationCountsButNeverLaterThanTheBoxClock() {
        ZfsVersion future = snap("zrepl_f", 7, YEAR_2100);
        ZfsVersion past = snap("zrepl_p", 8, NOW.minusSeconds(86_400 * 3));
        assertEquals(NOW, BoxFloor.timeOf(future, Map.of(), NOW));
        assertEquals(past.creation(), BoxFloor.timeOf(past, Map.of(), NOW));
        assertEquals(NOW.minusSeconds(5), BoxFloor.timeOf(future, Map.of(7L, NOW.minusSeconds(5)), NOW));
    }

    @Test
    void snapshotsOlderThanTheGridByTheBoxClockAreGivenUp() {
        // The floor protects for the span of its grid (35 days here) on the box's clock, then lets go.
        ZfsVersion old = snap("zrepl_old", 1, NOW.minus(Duration.ofDays(40)));
        ZfsVersion recent = snap("zrepl_new", 2, NOW.minus(Duration.ofDays(1)));
        assertEquals(Set.of("zrepl_new"), new BoxFloor(GRID, Map.of(), NOW).keeps(List.of(old, recent)));
    }

    @Test
    void noFloorKeepsNothing() {
        assertEquals(Set.of(), BoxFloor.none().keeps(daily()));
    }
}
