package dev.zreplj.replication;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.zreplj.zfs.DatasetName;
import dev.zreplj.zfs.VersionType;
import dev.zreplj.zfs.ZfsVersion;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** What the summary line says a filesystem's pass sent: in full or incrementally, and up to what. */
class ReplicatorSentTest {
    private static final DatasetName FS = DatasetName.of("rpool/home");

    private static ZfsVersion snapshot(String name, long txg) {
        return new ZfsVersion(FS, VersionType.SNAPSHOT, name, txg, txg, Instant.ofEpochSecond(txg));
    }

    private static ZfsVersion bookmark(String name, long txg) {
        return new ZfsVersion(FS, VersionType.BOOKMARK, name, txg, txg, Instant.ofEpochSecond(txg));
    }

    @Test
    void nothingSentSaysNothing() {
        assertEquals("", Replicator.sent(null, null));
    }

    @Test
    void oneFullStep() {
        Step full = new Step(null, snapshot("a", 1), false);
        assertEquals("full send of @a", Replicator.sent(full, full));
    }

    @Test
    void aFullStepAndIncrementsAfterIt() {
        Step full = new Step(null, snapshot("a", 1), false);
        Step next = new Step(snapshot("a", 1), snapshot("c", 3), false, null, false, List.of(snapshot("b", 2)));
        assertEquals("full send of @a, then up to @c", Replicator.sent(full, next));
    }

    @Test
    void incrementalFromASnapshotOrABookmark() {
        Step one = new Step(snapshot("a", 1), snapshot("b", 2), false);
        Step two = new Step(snapshot("b", 2), snapshot("c", 3), false);
        assertEquals("incremental from @a to @c", Replicator.sent(one, two));
        Step fromBookmark = new Step(bookmark("a", 1), snapshot("b", 2), false);
        assertEquals("incremental from #a to @b", Replicator.sent(fromBookmark, fromBookmark));
    }
}
