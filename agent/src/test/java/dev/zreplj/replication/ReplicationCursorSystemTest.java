package dev.zreplj.replication;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.zreplj.zfs.CursorProperty;
import dev.zreplj.zfs.DatasetName;
import dev.zreplj.zfs.Zfs;
import dev.zreplj.zfs.ZfsException;
import dev.zreplj.zfs.ZfsVersion;
import dev.zreplj.zfs.testing.TestPools;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** The hold-plus-property cursor on zfs-fuse (no bookmarks there). */
@Tag("system")
class ReplicationCursorSystemTest {
    private static final String JOB = "laptop_to_box";
    private TestPools pools;
    private Zfs zfs;
    private DatasetName fs;

    @BeforeEach
    void setUp() {
        pools = TestPools.open();
        zfs = new Zfs(pools.zfsBinary());
        fs = pools.createFilesystem(pools.createPool("src").child("home"));
        for (String s : List.of("s1", "s2", "s3")) {
            pools.snapshot(fs, s);
        }
    }

    @AfterEach
    void tearDown() {
        pools.close();
    }

    private List<ZfsVersion> versions() throws ZfsException {
        return zfs.listVersions(fs).get(fs);
    }

    private ZfsVersion snap(String name) throws ZfsException {
        return versions().stream()
                .filter(v -> v.name().equals(name))
                .findFirst()
                .orElseThrow();
    }

    private ReplicationCursor load() throws ZfsException {
        return ReplicationCursor.load(zfs, JOB, zfs.listVersions(fs));
    }

    @Test
    void moveHoldsTheNewSnapshotReleasesTheOldAndRecordsTheGuid() throws Exception {
        ReplicationCursor cursor = load();
        assertFalse(cursor.usesBookmarks(), "zfs-fuse has no bookmarks");
        assertEquals(Optional.empty(), cursor.current(fs, versions()));

        cursor.move(snap("s1"));
        cursor.move(snap("s2"));

        ReplicationCursor reread = load();
        assertEquals(Optional.of(snap("s2")), reread.current(fs, versions()));
        assertEquals(List.of(snap("s2").guid()), reread.marks(fs));
        assertEquals(String.format("%016x", snap("s2").guid()), pools.get(fs.value(), CursorProperty.of(JOB)));
        ZfsException busy = assertThrows(ZfsException.class, () -> zfs.destroySnapshots(fs, List.of("s2")));
        assertTrue(busy.getMessage().contains("busy"), busy.getMessage());
        zfs.destroySnapshots(fs, List.of("s1"));
        assertEquals(List.of("s2", "s3"), pools.snapshotNames(fs), "s1's hold was released");
    }

    @Test
    void aCrashAfterRecordingLeavesTwoMarksAndTheNextMoveRemovesTheStaleOne() throws Exception {
        load().move(snap("s1"));
        // A crash after the new guid was recorded and held, before the old hold was released.
        String both = String.format("%016x,%016x", snap("s1").guid(), snap("s2").guid());
        pools.zfs("set", CursorProperty.of(JOB) + "=" + both, fs.value());
        pools.zfs("hold", ReplicationCursor.holdTag(JOB), fs + "@s2");

        ReplicationCursor afterCrash = load();
        assertEquals(List.of(snap("s1").guid(), snap("s2").guid()), afterCrash.marks(fs));
        assertEquals(Optional.of(snap("s2")), afterCrash.current(fs, versions()), "the newest mark counts");

        afterCrash.move(snap("s2"));

        assertEquals(List.of(snap("s2").guid()), load().marks(fs));
        zfs.destroySnapshots(fs, List.of("s1"));
        assertThrows(ZfsException.class, () -> zfs.destroySnapshots(fs, List.of("s2")), "still held");
    }

    @Test
    void aCrashBeforeHoldingIsFinishedByTheNextMove() throws Exception {
        load().move(snap("s1"));
        String both = String.format("%016x,%016x", snap("s1").guid(), snap("s3").guid());
        pools.zfs("set", CursorProperty.of(JOB) + "=" + both, fs.value());

        load().move(snap("s3"));

        assertEquals(List.of(snap("s3").guid()), load().marks(fs));
        zfs.destroySnapshots(fs, List.of("s1", "s2"));
        assertThrows(ZfsException.class, () -> zfs.destroySnapshots(fs, List.of("s3")), "held now");
    }

    @Test
    void marksOfAnotherJobAndInheritedValuesAreNotThisJobs() throws Exception {
        DatasetName child = pools.createFilesystem(fs.child("child"));
        pools.snapshot(child, "c1");
        ReplicationCursor.load(zfs, "other", zfs.listVersions(fs)).move(snap("s1"));
        load().move(snap("s3"));

        Map<DatasetName, List<ZfsVersion>> all = zfs.listVersions(fs);
        ReplicationCursor cursor = ReplicationCursor.load(zfs, JOB, all);
        assertEquals(List.of(snap("s3").guid()), cursor.marks(fs));
        assertEquals(List.of(), cursor.marks(child), "the child inherits the property but has no cursor");
        assertEquals(Optional.empty(), cursor.current(child, all.get(child)));
        assertEquals(
                List.of(snap("s1").guid()),
                ReplicationCursor.load(zfs, "other", all).marks(fs));
    }

    @Test
    void movingToTheCurrentCursorCallsNoZfs() throws Exception {
        ReplicationCursor cursor = load();
        cursor.move(snap("s2"));
        ReplicationCursor again = load();
        ZfsVersion s2 = snap("s2");
        long before = zfs.invocations();
        again.move(s2);
        assertEquals(before, zfs.invocations());
    }
}
