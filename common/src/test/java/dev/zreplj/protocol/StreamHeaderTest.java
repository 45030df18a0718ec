package dev.zreplj.protocol;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.zreplj.zfs.ZfsVersion;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class StreamHeaderTest {

    /** A DRR_BEGIN record as zfs send writes it (layout checked against zfs-fuse's output). */
    static byte[] begin(ByteOrder order, int payloadLength, long toGuid, long fromGuid, String toName) {
        ByteBuffer b = ByteBuffer.allocate(400).order(order);
        b.putInt(0, 0);
        b.putInt(4, payloadLength);
        b.putLong(8, StreamHeader.MAGIC);
        b.putLong(16, 0x11);
        b.putInt(32, 2);
        b.putLong(40, toGuid);
        b.putLong(48, fromGuid);
        byte[] name = toName.getBytes(StandardCharsets.UTF_8);
        b.put(56, name);
        return b.array();
    }

    @Test
    void littleEndianFullStream() throws RemoteException {
        byte[] b = begin(ByteOrder.LITTLE_ENDIAN, 0, 0xa0bfb9072755f675L, 0, "pool/a@s1");
        assertEquals(new StreamHeader(0, 0xa0bfb9072755f675L, 0, "pool/a@s1"), StreamHeader.parse(b, 312));
        assertEquals("s1", StreamHeader.parse(b, 312).snapshotName());
    }

    /** zfs recv gives the snapshot the stream's creation time; one past any calendar wedged every listing. */
    @Test
    void aCreationTimePastTheYear9999IsRefused() throws RemoteException {
        byte[] b = begin(ByteOrder.LITTLE_ENDIAN, 0, 7, 0, "pool/a@s1");
        ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putLong(24, ZfsVersion.LATEST_CREATION);
        assertEquals(7, StreamHeader.parse(b, 312).toGuid(), "9999-12-31T23:59:59Z is still a time");
        for (long forged : new long[] {ZfsVersion.LATEST_CREATION + 1, 40_000_000_000_000_000L, -1L}) {
            ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putLong(24, forged);
            RemoteException e = assertThrows(RemoteException.class, () -> StreamHeader.parse(b, 312));
            assertEquals("stream", e.code());
            assertTrue(e.getMessage().contains("past the year 9999"), e.getMessage());
        }
    }

    @Test
    void aVolumesStreamSaysSoInItsObjsetType() throws RemoteException {
        byte[] fs = begin(ByteOrder.BIG_ENDIAN, 0, 7, 0, "tank/fs@s1");
        assertEquals(false, StreamHeader.parse(fs, 312).volume(), "DMU_OST_ZFS");
        byte[] vol = begin(ByteOrder.BIG_ENDIAN, 0, 7, 0, "tank/vol@s1");
        ByteBuffer.wrap(vol).order(ByteOrder.BIG_ENDIAN).putInt(32, 3);
        assertEquals(true, StreamHeader.parse(vol, 312).volume(), "DMU_OST_ZVOL");
    }

    @Test
    void realZfsFuseBytes() throws RemoteException {
        // The first 64 bytes of a real `zfs send pool/a@s2 -i @s1` from zfs-fuse, x86-64.
        byte[] b = new byte[312];
        int[] head = {
            0, 0, 0, 0, 0, 0, 0, 0, 0xac, 0xcb, 0xba, 0xf5, 2, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0x83, 0xb8, 4, 0x6b, 0,
            0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0x27, 0x7e, 0x9c, 0x32, 0x7c, 0xbc, 0xea, 0x70, 0x75, 0xf6, 0x55, 0x27, 7,
            0xb9, 0xbf, 0xa0, 'p', 'o', 'o', 'l', '/', 'a', '@', 's', '2'
        };
        for (int i = 0; i < head.length; i++) {
            b[i] = (byte) head[i];
        }
        StreamHeader h = StreamHeader.parse(b, 312);
        assertEquals(Long.parseUnsignedLong("8136522918409305639"), h.toGuid());
        assertEquals(Long.parseUnsignedLong("11583180206996059765"), h.fromGuid());
        assertEquals("pool/a@s2", h.toName());
        assertEquals(0, h.payloadLength());
    }

    @Test
    void realOpenZfsResumedStream() throws RemoteException {
        // The first 72 bytes of 'zfs send -t TOKEN' on OpenZFS 2.3.2 (lab guest), a full stream cut at
        // 3000000 bytes: versioninfo 0x400011 carries DMU_BACKUP_FEATURE_RESUMING, payload 0x60 bytes.
        int[] head = {
            0, 0, 0, 0, 0x60, 0, 0, 0, 0xac, 0xcb, 0xba, 0xf5, 2, 0, 0, 0, 0x11, 0, 0x40, 0, 0, 0, 0, 0, 0x9f, 0xdd, 4,
            0x6b, 0, 0, 0, 0, 2, 0, 0, 0, 0x0c, 0, 0, 0, 0x4e, 0xd7, 0x84, 0x90, 0x3d, 0x99, 0xcd, 0x98, 0, 0, 0, 0, 0,
            0, 0, 0, 't', 'o', 'k', 'a', 's', '/', 'd', 'a', 't', 'a', '@', 'o', 'n', 'e'
        };
        byte[] b = new byte[312];
        for (int i = 0; i < head.length; i++) {
            b[i] = (byte) head[i];
        }
        assertEquals(
                new StreamHeader(0x60, 0x98cd993d9084d74eL, 0, "tokas/data@one", true), StreamHeader.parse(b, 312));
        b[18] = 0; // the same stream unresumed
        assertEquals(
                new StreamHeader(0x60, 0x98cd993d9084d74eL, 0, "tokas/data@one", false), StreamHeader.parse(b, 312));
    }

    @Test
    void bigEndianIncrementalWithPayload() throws RemoteException {
        byte[] b = begin(ByteOrder.BIG_ENDIAN, 520, 7, 9, "tank/x@b");
        assertEquals(
                new StreamHeader(520, 7, 9, "tank/x@b", false, false, ByteOrder.BIG_ENDIAN),
                StreamHeader.parse(b, 400));
    }

    /**
     * drr_payloadlen is a u32: read as an int, 2^31 and more were negative, so a plain stream announcing such a
     * payload passed the box's "carries properties" checks as one without.
     */
    @Test
    void thePayloadLengthIsUnsigned() throws RemoteException {
        for (ByteOrder order : new ByteOrder[] {ByteOrder.LITTLE_ENDIAN, ByteOrder.BIG_ENDIAN}) {
            assertEquals(
                    1L << 31,
                    StreamHeader.parse(begin(order, 1 << 31, 7, 0, "t@s"), 312).payloadLength());
            assertEquals(
                    0xffffffffL,
                    StreamHeader.parse(begin(order, -1, 7, 0, "t@s"), 312).payloadLength());
        }
    }

    @Test
    void aNameWithoutExactlyOneSnapshotIsRefused() {
        for (String name : new String[] {"tank", "tank@", "tank@a@b", ""}) {
            RemoteException e = assertThrows(
                    RemoteException.class,
                    () -> StreamHeader.parse(begin(ByteOrder.LITTLE_ENDIAN, 0, 1, 0, name), 312));
            assertEquals("stream", e.code());
            assertEquals("the stream does not name exactly one snapshot (drr_toname '" + name + "')", e.getMessage());
        }
        RemoteException e = assertThrows(
                RemoteException.class,
                () -> StreamHeader.parse(begin(ByteOrder.LITTLE_ENDIAN, 0, 1, 0, "tank\nclient 'x': forged"), 312));
        assertEquals(
                "the stream does not name exactly one snapshot (drr_toname 'tank\\x0aclient 'x': forged')",
                e.getMessage());
    }

    @Test
    void aCloneStreamIsRefused() {
        byte[] b = begin(ByteOrder.LITTLE_ENDIAN, 0, 7, 9, "pool/c@x");
        b[36] = 1; // DRR_FLAG_CLONE
        RemoteException e = assertThrows(RemoteException.class, () -> StreamHeader.parse(b, 312));
        assertEquals("stream", e.code());
        assertTrue(e.getMessage().startsWith("the stream is a clone stream"), e.getMessage());
        b[36] = 0x0e; // CI_DATA | FREERECORDS | SPILL_BLOCK: ordinary
        assertDoesNotThrow(() -> StreamHeader.parse(b, 312));
    }

    @Test
    void unknownFlagsAreRefused() {
        byte[] b = begin(ByteOrder.BIG_ENDIAN, 0, 7, 9, "pool/c@x");
        b[39] = 0x10;
        RemoteException e = assertThrows(RemoteException.class, () -> StreamHeader.parse(b, 312));
        assertEquals("the stream's header carries unknown flags 0x10; the box cannot check it", e.getMessage());
    }

    /** Its payload and records are CompoundStreamTest's (a real -R stream is refused there). */
    @Test
    void aCompoundHeaderIsReadOnlyAsZfsSendPWritesIt() throws RemoteException {
        for (int payload : new int[] {0, 1234}) {
            byte[] b = begin(ByteOrder.LITTLE_ENDIAN, payload, 7, 0, "pool/a@s2");
            b[16] = 0x12; // DMU_COMPOUNDSTREAM, and a feature flag
            RemoteException e = assertThrows(RemoteException.class, () -> StreamHeader.parse(b, 312));
            assertEquals("stream", e.code());
            assertEquals(
                    "the stream's compound header carries guids, flags or features; zfs send -p/-b writes none"
                            + " there, so the box cannot check it",
                    e.getMessage());
        }
        byte[] clean = begin(ByteOrder.BIG_ENDIAN, 668, 0, 0, "pool/a@s2");
        clean[16 + 7] = 2; // DMU_COMPOUNDSTREAM, big-endian, no features
        assertEquals(
                new StreamHeader(668, 0, 0, "pool/a@s2", false, true, ByteOrder.BIG_ENDIAN),
                StreamHeader.parse(clean, 312));
        byte[] b = begin(ByteOrder.LITTLE_ENDIAN, 0, 7, 0, "pool/a@s2");
        b[16] = 0x13;
        RemoteException e = assertThrows(RemoteException.class, () -> StreamHeader.parse(b, 312));
        assertEquals("the stream's header type 3 is unknown; the box cannot check it", e.getMessage());
    }

    @Test
    void guidZeroIsRefused() {
        RemoteException e = assertThrows(
                RemoteException.class, () -> StreamHeader.parse(begin(ByteOrder.LITTLE_ENDIAN, 0, 0, 0, "t@s"), 312));
        assertEquals("the stream's snapshot has guid 0; the box cannot check it", e.getMessage());
    }

    @Test
    void shortStream() {
        RemoteException e = assertThrows(
                RemoteException.class, () -> StreamHeader.parse(begin(ByteOrder.LITTLE_ENDIAN, 0, 1, 0, "t@s"), 311));
        assertEquals("stream", e.code());
        assertEquals("the stream ended after 311 bytes, before its first record was complete", e.getMessage());
    }

    @Test
    void notAStream() {
        byte[] b = new byte[312];
        RemoteException e = assertThrows(RemoteException.class, () -> StreamHeader.parse(b, 312));
        assertEquals("the data is not a zfs send stream (no DRR_BEGIN magic in its first record)", e.getMessage());
    }

    @Test
    void notABeginRecord() {
        byte[] b = begin(ByteOrder.LITTLE_ENDIAN, 0, 1, 0, "t@s");
        b[0] = 1;
        RemoteException e = assertThrows(RemoteException.class, () -> StreamHeader.parse(b, 312));
        assertEquals("the stream does not start with a DRR_BEGIN record", e.getMessage());
    }
}
