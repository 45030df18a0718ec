package dev.zreplj.stdinserver;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.zreplj.protocol.ReceiveCommand;
import dev.zreplj.protocol.RemoteException;
import dev.zreplj.zfs.DatasetName;
import dev.zreplj.zfs.VersionType;
import dev.zreplj.zfs.ZfsVersion;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The snapshot list of an incremental property stream against the target: zfs-fuse's zfs recv renames each
 * target snapshot the list names by guid under the list's name (and with -F destroys the ones it leaves out),
 * so a list that renames one, or names another base, is refused before zfs recv runs.
 */
class ListedSnapshotsTest {
    private static final DatasetName TARGET = DatasetName.of("pool/sink/laptop/tank/home");
    private static final List<ZfsVersion> EXISTING = List.of(
            new ZfsVersion(TARGET, VersionType.SNAPSHOT, "precious", 11, 10, Instant.EPOCH),
            new ZfsVersion(TARGET, VersionType.SNAPSHOT, "base", 12, 20, Instant.EPOCH));
    private static final ReceiveCommand INCREMENTAL = new ReceiveCommand("tank/home", "new", 13, 12L, true, false);

    private static CompoundHeader header(String fromSnap, Map<String, Long> snaps) {
        return new CompoundHeader(List.of("compression"), fromSnap, snaps);
    }

    @Test
    void anHonestListPasses() throws RemoteException {
        // the sender lists all of its snapshots, some the box has (same names), some it pruned, the new one
        ReceiveHandler.checkListedSnapshots(
                INCREMENTAL,
                header("base", Map.of("precious", 11L, "base", 12L, "new", 13L, "pruned-on-box", 9L)),
                EXISTING);
        ReceiveHandler.checkListedSnapshots(INCREMENTAL, null, EXISTING);
        // a full property stream has no fromsnap
        ReceiveHandler.checkListedSnapshots(
                new ReceiveCommand("tank/home", "a", 1, null, false, false), header(null, Map.of("a", 1L)), List.of());
    }

    @Test
    void aListThatWouldRenameATargetSnapshotIsRefused() {
        RemoteException e = assertThrows(
                RemoteException.class,
                () -> ReceiveHandler.checkListedSnapshots(
                        INCREMENTAL, header("base", Map.of("junk_1", 11L, "base", 12L, "new", 13L)), EXISTING));
        assertEquals(
                "the stream carries properties (zfs send -p/-b), but its snapshot list names the box's " + TARGET
                        + "@precious (guid 11) 'junk_1', and zfs recv would rename it so",
                e.getMessage());
    }

    @Test
    void aFromsnapThatIsNotTheBaseIsRefused() {
        RemoteException e = assertThrows(
                RemoteException.class,
                () -> ReceiveHandler.checkListedSnapshots(
                        INCREMENTAL, header("precious", Map.of("new", 13L)), EXISTING));
        assertEquals(
                "the stream carries properties (zfs send -p/-b), but its properties name 'precious' as the base,"
                        + " which is not the snapshot the command's base guid names on the box",
                e.getMessage());
    }
}
