package dev.zreplj.restore;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.zreplj.protocol.StreamHeader;
import dev.zreplj.restore.RestoreStep.Kind;
import dev.zreplj.zfs.DatasetName;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** What a compromised box could answer SEND with, refused before the local zfs recv sees a byte. */
class RestoreStreamTest {
    private static final DatasetName TO = DatasetName.of("new/home");
    private static final RestoreStep FULL = new RestoreStep("tank/home", TO, Kind.FULL, "c", 13, null, 0, null, false);
    private static final RestoreStep INCREMENTAL =
            new RestoreStep("tank/home", TO, Kind.INCREMENTAL, "c", 13, "@b", 12, null, false);
    private static final RestoreStep RESUME =
            new RestoreStep("tank/home", TO, Kind.RESUME, "c", 13, null, 12, "1-abc-def-00", false);
    private static final long FEATURE_RESUMING = 1L << 20;

    /** A DRR_BEGIN record as zfs send writes it for one filesystem's snapshot. */
    static byte[] begin(
            int headerType, long features, int flags, int payload, long toGuid, long fromGuid, String toName) {
        ByteBuffer b = ByteBuffer.allocate(StreamHeader.LENGTH).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(0, 0);
        b.putInt(4, payload);
        b.putLong(8, StreamHeader.MAGIC);
        b.putLong(16, headerType | (features << 2));
        b.putInt(32, 2);
        b.putInt(36, flags);
        b.putLong(40, toGuid);
        b.putLong(48, fromGuid);
        b.put(56, toName.getBytes(StandardCharsets.UTF_8));
        return b.array();
    }

    static byte[] plain(long toGuid, long fromGuid) {
        return begin(1, 0, 0, 0, toGuid, fromGuid, "box/sink/laptop/tank/home@c");
    }

    private static String refused(RestoreStep step, byte[] header, boolean exclude) {
        String message = assertThrows(
                        RestoreRefused.class, () -> RestoreStream.check(step, header, header.length, exclude))
                .getMessage();
        assertTrue(message.startsWith("the box's stream for tank/home@c is refused, nothing was received: "), message);
        return message;
    }

    @Test
    void theStreamTheStepAskedForPasses() throws RestoreRefused {
        assertEquals(
                13,
                RestoreStream.check(FULL, plain(13, 0), StreamHeader.LENGTH, false)
                        .toGuid());
        assertEquals(
                12,
                RestoreStream.check(INCREMENTAL, plain(13, 12), StreamHeader.LENGTH, false)
                        .fromGuid());
        byte[] resumed = begin(1, FEATURE_RESUMING, 0, 64, 13, 12, "box/sink/laptop/tank/home@c");
        assertTrue(
                RestoreStream.check(RESUME, resumed, StreamHeader.LENGTH, true).resuming());
    }

    @Test
    void aCompoundOrReplicationStreamIsRefused() {
        // zfs send -R / -p / -I: a compound header whose payload could set mountpoint=/etc or add filesystems
        byte[] compound = begin(2, 0, 0, 4096, 0, 0, "box/sink/laptop/tank/home@c");
        assertTrue(refused(FULL, compound, true).contains("compound stream"));
    }

    @Test
    void aCloneStreamOrUnknownFlagsAreRefused() {
        byte[] clone = begin(1, 0, StreamHeader.FLAG_CLONE, 0, 13, 12, "box/sink/laptop/tank/home@c");
        assertTrue(refused(INCREMENTAL, clone, true).contains("clone stream"));
        byte[] unknown = begin(1, 0, 0x100, 0, 13, 0, "box/sink/laptop/tank/home@c");
        assertTrue(refused(FULL, unknown, true).contains("unknown flags"));
    }

    @Test
    void anotherSnapshotOrBaseIsRefused() {
        assertTrue(refused(FULL, plain(99, 0), true).contains("guid is 99, the box listed 13"));
        assertTrue(refused(FULL, begin(1, 0, 0, 0, 13, 0, "box/sink/laptop/tank/home@other"), true)
                .contains("of snapshot @other"));
        assertTrue(refused(FULL, plain(13, 12), true).contains("incremental from guid 12, and a full stream"));
        assertTrue(refused(INCREMENTAL, plain(13, 11), true).contains("incremental from guid 11, not from 12"));
        assertTrue(refused(INCREMENTAL, plain(13, 0), true).contains("a full stream, and an incremental"));
    }

    @Test
    void resumingMustBeWhatTheStepDoes() {
        byte[] resumed = begin(1, FEATURE_RESUMING, 0, 64, 13, 0, "box/sink/laptop/tank/home@c");
        assertTrue(refused(FULL, resumed, true).contains("it resumes a receive"));
        assertTrue(refused(RESUME, plain(13, 12), true).contains("does not resume"));
    }

    @Test
    void aPayloadNeedsRecvExclude() {
        byte[] payload = begin(1, 0, 0, 64, 13, 0, "box/sink/laptop/tank/home@c");
        assertTrue(refused(FULL, payload, false).contains("no 'zfs recv -x'"));
    }

    @Test
    void whatIsNotAStreamIsRefused() {
        assertTrue(refused(FULL, new byte[StreamHeader.LENGTH], true).contains("not a zfs send stream"));
        byte[] cut = plain(13, 0);
        assertTrue(assertThrows(RestoreRefused.class, () -> RestoreStream.check(FULL, cut, 100, true))
                .getMessage()
                .contains("ended after 100 bytes"));
    }
}
