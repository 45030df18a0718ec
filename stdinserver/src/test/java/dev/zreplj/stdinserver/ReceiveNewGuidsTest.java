package dev.zreplj.stdinserver;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.zreplj.protocol.ReceiveCommand;
import dev.zreplj.protocol.ReceiveSeries;
import dev.zreplj.protocol.RemoteException;
import dev.zreplj.zfs.DatasetName;
import dev.zreplj.zfs.VersionType;
import dev.zreplj.zfs.ZfsVersion;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Which request for a snapshot the box already holds is a race between two passes of one client (busy: list again
 * and send the rest) and which is a stream reusing an older snapshot's guid (refused for good).
 */
class ReceiveNewGuidsTest {
    private static final DatasetName TARGET = DatasetName.of("pool/sink/laptop/tank/home");
    private static final List<ZfsVersion> ON_THE_BOX =
            List.of(snapshot("zrepl_1", 11, 100), snapshot("zrepl_2", 22, 200));
    private static final String RACE = "pool/sink/laptop/tank/home@zrepl_2 is already on the box: another pass of"
            + " client 'laptop' sent it after this one listed the box (two agents with this client's key at once?);"
            + " list the box again and send the rest";

    private static ZfsVersion snapshot(String name, long guid, long txg) {
        return new ZfsVersion(TARGET, VersionType.SNAPSHOT, name, guid, txg, Instant.EPOCH);
    }

    private static RemoteException refused(ReceiveCommand cmd, ReceiveSeries series) {
        return assertThrows(
                RemoteException.class, () -> ReceiveHandler.checkNewGuids(cmd, series, ON_THE_BOX, "laptop"));
    }

    /** Two passes listed the box holding zrepl_1; the other one has since received zrepl_2. */
    @Test
    void aSnapshotNewerThanTheBaseArrivedFromAnotherPass() {
        ReceiveCommand single = new ReceiveCommand("tank/home", "zrepl_2", 22, 11L, false, false);
        RemoteException e = refused(single, null);
        assertEquals("busy", e.code());
        assertEquals(RACE, e.getMessage());

        ReceiveCommand last = new ReceiveCommand("tank/home", "zrepl_3", 33, 11L, false, false);
        ReceiveSeries series = new ReceiveSeries(
                last, List.of(new ReceiveSeries.Snapshot("zrepl_2", 22), new ReceiveSeries.Snapshot("zrepl_3", 33)));
        e = refused(last, series);
        assertEquals("busy", e.code());
        assertEquals(RACE, e.getMessage());
    }

    /** Both passes sent the first full stream; the other one's arrived first. */
    @Test
    void aFullStreamOfASnapshotTheBoxHasArrivedFromAnotherPass() {
        RemoteException e = refused(new ReceiveCommand("tank/home", "zrepl_2", 22, null, false, false), null);
        assertEquals("busy", e.code());
        assertEquals(RACE, e.getMessage());
    }

    /** An older snapshot's guid in a new stream is no race: it stays refused (the floor keys receive times by guid). */
    @Test
    void aGuidOfTheBaseOrOlderIsStillRefused() {
        RemoteException e = refused(new ReceiveCommand("tank/home", "junk", 11, 22L, false, false), null);
        assertEquals("stream", e.code());
        assertEquals(
                "the stream's snapshot guid 11 is already the guid of pool/sink/laptop/tank/home@zrepl_1; refused",
                e.getMessage());
        // A base the box does not hold: checkBase refuses it next; a duplicate guid is no race there either.
        e = refused(new ReceiveCommand("tank/home", "zrepl_2", 22, 99L, false, false), null);
        assertEquals("stream", e.code());
    }

    @Test
    void newGuidsPass() throws RemoteException {
        ReceiveHandler.checkNewGuids(
                new ReceiveCommand("tank/home", "zrepl_3", 33, 22L, false, false), null, ON_THE_BOX, "laptop");
    }
}
