package dev.zreplj.replication;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.zreplj.zfs.CursorProperty;
import dev.zreplj.zfs.DatasetName;
import dev.zreplj.zfs.Zfs;
import dev.zreplj.zfs.ZfsException;
import dev.zreplj.zfs.ZfsVersion;
import dev.zreplj.zfs.testing.TestPools;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** A renamed job's cursor hold blocks destroying its snapshot until release-stale lets it go (zfs-fuse). */
@Tag("system")
class StaleMarksSystemTest {
    private TestPools pools;
    private Zfs zfs;
    private DatasetName fs;

    @BeforeEach
    void setUp() {
        pools = TestPools.open();
        zfs = new Zfs(pools.zfsBinary());
        fs = pools.createFilesystem(pools.createPool("src").child("home"));
        pools.snapshot(fs, "s1");
        pools.snapshot(fs, "s2");
    }

    @AfterEach
    void tearDown() {
        pools.close();
    }

    private ZfsVersion snap(String name) throws ZfsException {
        return zfs.listVersions(fs).get(fs).stream()
                .filter(v -> v.name().equals(name))
                .findFirst()
                .orElseThrow();
    }

    private void moveCursor(String job, String snapshot) throws ZfsException {
        Map<DatasetName, List<ZfsVersion>> versions = zfs.listVersions(fs);
        ReplicationCursor.load(zfs, job, versions).move(snap(snapshot));
    }

    /**
     * Job x41's cursor property is also job A's hex spelling: release-stale read it back as A's, found A not
     * configured, removed live job x41's cursor and left its hold unrecorded (the pruning audit, zfs-fuse).
     */
    @Test
    void aConfiguredJobWhoseNameIsAnothersHexSpellingKeepsItsCursor() throws Exception {
        moveCursor("x41", "s1");
        Set<String> pool = Set.of(fs.pool());
        assertEquals(List.of(), StaleMarks.find(zfs, Set.of("x41"), pool));
        assertEquals(List.of(), StaleMarks.find(zfs, Set.of("A"), pool), "A's property is spelled the same");
        assertEquals(
                List.of(
                        "hold zrepl_CURSOR_J_A on " + fs + "@s1 (job 'A')",
                        "property zreplj:cursor:x41 on " + fs + " (job 'A')"),
                StaleMarks.find(zfs, Set.of("other"), pool).stream()
                        .map(StaleMarks.Mark::toString)
                        .toList(),
                "stale when neither job is configured");
    }

    /**
     * A box on this machine with its own config: its jail is a placeholder, and the marks below it are named
     * after the clients' jobs. The agent's release-stale released them (found by OpenZfsReleaseStaleIT, where
     * it released the box's last-received hold).
     */
    @Test
    void marksBelowAPlaceholderAreAReceiversAndLeftAlone() throws Exception {
        DatasetName jail = pools.createFilesystem(
                DatasetName.of(fs.pool()).child("sink"), "zrepl:placeholder=on", "mountpoint=none");
        DatasetName copy = pools.createFilesystem(jail.child("home"), "zrepl:placeholder=off");
        pools.snapshot(copy, "r1");
        pools.zfs("hold", "zrepl_CURSOR_J_laptop", copy + "@r1");
        pools.zfs("set", "zreplj:cursor:laptop=" + Long.toHexString(pools.guid(copy + "@r1")), copy.value());
        moveCursor("gone", "s1");
        assertEquals(
                List.of(
                        "hold zrepl_CURSOR_J_gone on " + fs + "@s1 (job 'gone')",
                        "property zreplj:cursor:gone on " + fs + " (job 'gone')"),
                StaleMarks.find(zfs, Set.of("current"), Set.of(fs.pool())).stream()
                        .map(StaleMarks.Mark::toString)
                        .toList());
        pools.zfs("release", "zrepl_CURSOR_J_laptop", copy + "@r1");
    }

    @Test
    void theOldJobsHoldAndPropertyAreFoundReleasedAndTheSnapshotCanGo() throws Exception {
        moveCursor("Old.Job", "s1");
        moveCursor("current", "s2");
        Set<String> pool = Set.of(fs.pool());
        assertThrows(ZfsException.class, () -> zfs.destroySnapshots(fs, List.of("s1")), "held: dataset is busy");

        List<StaleMarks.Mark> stale = StaleMarks.find(zfs, Set.of("current"), pool);
        String oldProperty = CursorProperty.of("Old.Job");
        assertEquals("zreplj:cursor:x4f6c642e4a6f62", oldProperty, "upper case is spelled in hex");
        assertEquals(
                List.of(
                        "hold zrepl_CURSOR_J_Old.Job on " + fs + "@s1 (job 'Old.Job')",
                        "property " + oldProperty + " on " + fs + " (job 'Old.Job')"),
                stale.stream().map(StaleMarks.Mark::toString).toList());
        assertEquals(List.of(), StaleMarks.find(zfs, Set.of("current", "Old.Job"), pool), "both jobs configured");

        for (StaleMarks.Mark m : stale) {
            StaleMarks.release(zfs, m);
        }
        assertEquals(List.of(), StaleMarks.find(zfs, Set.of("current"), pool));
        assertEquals(Map.of(), zfs.localProperty(fs, oldProperty), "the Old.Job's property is gone");
        zfs.destroySnapshots(fs, List.of("s1"));
        assertEquals(List.of("s2"), pools.snapshotNames(fs));
        assertThrows(
                ZfsException.class,
                () -> zfs.destroySnapshots(fs, List.of("s2")),
                "the configured job's cursor still holds its snapshot");
        assertEquals(List.of(), StaleMarks.find(zfs, Set.of("current"), pool), "a second run finds nothing");
    }
}
