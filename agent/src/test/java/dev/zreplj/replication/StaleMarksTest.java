package dev.zreplj.replication;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.zreplj.zfs.DatasetName;
import dev.zreplj.zfs.VersionType;
import dev.zreplj.zfs.ZfsVersion;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Which stale cursor bookmark release-stale keeps: the one that may be the only incremental base the box
 * shares (a job renamed from "old" to "new", @zrepl_5 pruned down to the old job's cursor bookmark).
 */
class StaleMarksTest {
    private static final DatasetName FS = DatasetName.of("tank/data");

    private static ZfsVersion snapshot(String name, long guid, long txg) {
        return new ZfsVersion(FS, VersionType.SNAPSHOT, name, guid, txg, Instant.EPOCH);
    }

    private static ZfsVersion cursor(String job, long guid, long txg) {
        return new ZfsVersion(
                FS, VersionType.BOOKMARK, ReplicationCursor.bookmarkName(guid, job), guid, txg, Instant.EPOCH);
    }

    @Test
    void theOldJobsCursorStaysWhileItIsTheNewestBase() {
        ZfsVersion old = cursor("old", 5, 50);
        List<ZfsVersion> versions = List.of(snapshot("zrepl_4", 4, 40), old, snapshot("zrepl_6", 6, 60));
        Optional<String> kept = StaleMarks.keptBecause(old, versions, Set.of("new"));
        assertTrue(kept.isPresent());
        assertTrue(kept.get().startsWith("the newest incremental base of tank/data"), kept.get());
    }

    @Test
    void itGoesOnceTheNewJobsCursorIsAsNew() {
        ZfsVersion old = cursor("old", 5, 50);
        List<ZfsVersion> versions = List.of(old, snapshot("zrepl_6", 6, 60), cursor("new", 6, 60));
        assertEquals(Optional.empty(), StaleMarks.keptBecause(old, versions, Set.of("new")));
    }

    @Test
    void itGoesWhenItsSnapshotIsStillThere() {
        ZfsVersion old = cursor("old", 5, 50);
        List<ZfsVersion> versions = List.of(snapshot("zrepl_5", 5, 50), old);
        assertEquals(Optional.empty(), StaleMarks.keptBecause(old, versions, Set.of("new")));
    }

    @Test
    void ofSeveralStaleCursorsOnlyTheNewestStays() {
        ZfsVersion old = cursor("old", 5, 50);
        ZfsVersion older = cursor("older", 6, 60);
        ZfsVersion twin = cursor("twin", 6, 60);
        List<ZfsVersion> versions = List.of(old, older, twin);
        assertEquals(Optional.empty(), StaleMarks.keptBecause(old, versions, Set.of("new")));
        assertTrue(StaleMarks.keptBecause(older, versions, Set.of("new")).isPresent());
        assertTrue(StaleMarks.keptBecause(twin, versions, Set.of("new")).isPresent(), "the same base twice stays");
    }
}
