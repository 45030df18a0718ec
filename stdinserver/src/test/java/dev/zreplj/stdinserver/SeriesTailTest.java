package dev.zreplj.stdinserver;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.zreplj.protocol.ReceiveSeries.Snapshot;
import dev.zreplj.protocol.RemoteException;
import dev.zreplj.protocol.StreamHeader;
import dev.zreplj.zfs.testing.ZfsKinds;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The box's walk over a {@code zfs send -I} stream ({@link CompoundTail} with a {@link CompoundTail.Series}):
 * real streams of zfs-fuse ({@code -I} of three snapshots) and OpenZFS 2.3 (compressed, embedded and raw
 * substreams), and synthetic hostile ones, each fed from its first substream's BEGIN as the box does.
 */
@SuppressWarnings(
        "ByteBufferBackingArray") // the tests' buffers come from ByteBuffer.allocate(): the array is the buffer
class SeriesTailTest {
    static final String FS = "tank/home";
    static final long BASE = 100;
    static final List<Snapshot> SNAPS =
            List.of(new Snapshot("s1", 101), new Snapshot("s2", 102), new Snapshot("s3", 103));
    private static final int PREFIX = 2 * StreamHeader.LENGTH;

    /** One dmu_replay_record of {@code type}, little-endian, with {@code set} filling the rest. */
    static ByteBuffer record(int type) {
        ByteBuffer b = ByteBuffer.allocate(StreamHeader.LENGTH).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(0, type);
        return b;
    }

    static ByteBuffer begin(int headerType, int flags, long to, long from, String name, int payload) {
        ByteBuffer b = record(0);
        b.putInt(4, payload);
        b.putLong(8, StreamHeader.MAGIC);
        b.putLong(16, headerType);
        b.putInt(32, 2); // DMU_OST_ZFS
        b.putInt(36, flags);
        b.putLong(40, to);
        b.putLong(48, from);
        byte[] n = name.getBytes(StandardCharsets.UTF_8);
        b.put(56, n, 0, n.length);
        return b;
    }

    /** A substream with one of each record that carries a payload, as OpenZFS 2.3 lays them out. */
    static void substream(ByteArrayOutputStream out, ByteBuffer begin) {
        out.writeBytes(begin.array());
        ByteBuffer object = record(1);
        object.putInt(8 + 20, 13); // bonuslen 13: 16 bytes of payload
        out.writeBytes(object.array());
        out.writeBytes(new byte[16]);
        ByteBuffer write = record(3);
        write.putLong(8 + 24, 4096);
        out.writeBytes(write.array());
        out.writeBytes(new byte[4096]);
        ByteBuffer compressed = record(3);
        compressed.putLong(8 + 24, 131072);
        compressed.put(8 + 42, (byte) 15); // zstd
        compressed.putLong(8 + 88, 1000);
        out.writeBytes(compressed.array());
        out.writeBytes(new byte[1000]);
        ByteBuffer embedded = record(8);
        embedded.putInt(8 + 44, 50);
        out.writeBytes(embedded.array());
        out.writeBytes(new byte[56]);
        ByteBuffer spill = record(7);
        spill.putLong(8 + 8, 512);
        out.writeBytes(spill.array());
        out.writeBytes(new byte[512]);
        out.writeBytes(record(2).array()); // FREEOBJECTS
        out.writeBytes(record(4).array()); // FREE
        out.writeBytes(record(9).array()); // OBJECT_RANGE
        out.writeBytes(record(5).array()); // END
    }

    private static ByteBuffer sub(Snapshot s, long from) {
        return begin(1, 0, s.guid(), from, FS + "@" + s.name(), 0);
    }

    /** The honest stream of {@code snaps}: compound header, END, one substream each, final END. */
    static byte[] series(List<ByteBuffer> begins) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(begin(2, 0, 0, 0, FS + "@s3", 0).array());
        out.writeBytes(record(5).array());
        for (ByteBuffer b : begins) {
            substream(out, b);
        }
        out.writeBytes(record(5).array());
        return out.toByteArray();
    }

    static List<ByteBuffer> honestBegins() {
        List<ByteBuffer> begins = new ArrayList<>();
        long from = BASE;
        for (Snapshot s : SNAPS) {
            begins.add(sub(s, from));
            from = s.guid();
        }
        return begins;
    }

    private static CompoundTail tail(String fs, long base, List<Snapshot> snaps, boolean payloads) {
        return new CompoundTail(
                ByteOrder.LITTLE_ENDIAN,
                CompoundTail.Layout.OPENZFS,
                new CompoundTail.Series(fs, base, snaps, payloads));
    }

    /** Feeds {@code s} from {@code start} in chunks of {@code chunk} bytes; the tail at the end. */
    private static CompoundTail feed(CompoundTail tail, byte[] s, int start, int chunk) throws RemoteException {
        for (int i = start; i < s.length; i += chunk) {
            tail.accept(s, i, Math.min(chunk, s.length - i));
        }
        return tail;
    }

    private static String refusal(byte[] s) {
        return assertThrows(RemoteException.class, () -> feed(tail(FS, BASE, SNAPS, false), s, PREFIX, 977))
                .getMessage();
    }

    @Test
    void anHonestSeriesPassesWhateverTheChunks() throws RemoteException {
        byte[] s = series(honestBegins());
        for (int chunk : new int[] {1, 7, 312, 977, 1 << 20}) {
            CompoundTail t = feed(tail(FS, BASE, SNAPS, false), s, PREFIX, chunk);
            assertTrue(t.complete(), "chunk " + chunk);
            assertEquals(3, t.completed());
        }
    }

    @Test
    void zfsFusesSendCapitalIOfThreeSnapshotsPasses() throws RemoteException {
        byte[] s = CompoundStreamTest.stream("zfs-fuse-I-3");
        StreamHeader first = StreamHeader.parse(s, s.length);
        assertTrue(first.compound());
        assertEquals(0, first.payloadLength(), "-I without -p: a compound header without properties");
        assertEquals("sendiexp/a@s3", first.toName());
        List<Snapshot> snaps =
                List.of(new Snapshot("s2", 0xe8b3014e68155f9bL), new Snapshot("s3", 0xb60831b9a83c16b3L));
        CompoundTail t = feed(tail("sendiexp/a", 0x1897d425a560ad2dL, snaps, false), s, PREFIX, 65536);
        assertTrue(t.complete());
        assertEquals(2, t.completed());
    }

    /**
     * zfs-fuse reads a WRITE's length from drr_length and an OBJECT's from drr_bonuslen whatever the bytes
     * where OpenZFS has drr_compressiontype, drr_compressed_size and drr_raw_bonuslen (padding to zfs-fuse).
     * A client that set them made an OpenZFS-minded box take an END and a second BEGIN for one WRITE's data,
     * while zfs-fuse received that hidden substream unchecked. With zfs-fuse's layout the box sees it.
     */
    @Test
    void onZfsFuseTheRecordLengthsAreZfsFusesSoNoSubstreamHidesInPadding() throws RemoteException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(begin(2, 0, 0, 0, FS + "@s3", 0).array());
        out.writeBytes(record(5).array());
        out.writeBytes(sub(SNAPS.get(0), BASE).array());
        ByteBuffer write = record(3);
        write.putLong(8 + 24, 8); // drr_length: what zfs-fuse reads
        write.put(8 + 42, (byte) 1); // zfs-fuse's drr_pad2[0]
        write.putLong(8 + 88, 8 + 2L * StreamHeader.LENGTH); // past the end of zfs-fuse's drr_write
        out.writeBytes(write.array());
        out.writeBytes(new byte[8]);
        out.writeBytes(record(5).array());
        out.writeBytes(begin(1, 0, 999, 101, "tank/other@evil", 0).array());
        out.writeBytes(record(5).array());
        byte[] s = out.toByteArray();
        CompoundTail.Layout zfsFuse = new CompoundTail.Layout(false, false);
        RemoteException e = assertThrows(
                RemoteException.class,
                () -> feed(
                        new CompoundTail(
                                ByteOrder.LITTLE_ENDIAN, zfsFuse, new CompoundTail.Series(FS, BASE, SNAPS, false)),
                        s,
                        PREFIX,
                        977));
        assertTrue(e.getMessage().contains("substream 2 names 'tank/other@evil'"), e.getMessage());
        // zfs-fuse's own -I stream still passes with its layout
        byte[] real = CompoundStreamTest.stream("zfs-fuse-I-3");
        List<Snapshot> snaps =
                List.of(new Snapshot("s2", 0xe8b3014e68155f9bL), new Snapshot("s3", 0xb60831b9a83c16b3L));
        CompoundTail t = feed(
                new CompoundTail(
                        ByteOrder.LITTLE_ENDIAN,
                        zfsFuse,
                        new CompoundTail.Series("sendiexp/a", 0x1897d425a560ad2dL, snaps, false)),
                real,
                PREFIX,
                65536);
        assertTrue(t.complete());
        assertEquals(new CompoundTail.Layout(false, false), CompoundTail.Layout.of(ZfsKinds.ZFS_FUSE));
    }

    /** OpenZFS 2.3's compressed, embedded and raw records, in the substreams of the captured -p streams. */
    @Test
    void openZfsSubstreamsAreWalkedRecordByRecord() throws RemoteException {
        byte[] cle = CompoundStreamTest.stream("openzfs-full-p-cLe");
        CompoundTail t = feed(
                tail(
                        "propscapb531/fs",
                        0,
                        List.of(new Snapshot("a", Long.parseUnsignedLong("7788517546431191849"))),
                        false),
                cle,
                2 * StreamHeader.LENGTH + 668,
                4000);
        assertTrue(t.complete());
        byte[] raw = CompoundStreamTest.stream("openzfs-raw-p");
        t = feed(
                tail("propscap398/enc", 0, List.of(new Snapshot("a", 0x743529cae9044929L)), true),
                raw,
                2 * StreamHeader.LENGTH + 652,
                4000);
        assertTrue(t.complete(), "the raw BEGIN's crypt payload, OBJECT_RANGE and raw WRITEs");
        assertEquals(
                "the zfs send -I stream is not the one requested: substream 1 carries a payload, and this box's"
                        + " zfs cannot exclude properties on receive (no 'zfs recv -x'); zfs recv was stopped",
                assertThrows(
                                RemoteException.class,
                                () -> feed(
                                        tail(
                                                "propscap398/enc",
                                                0,
                                                List.of(new Snapshot("a", 0x743529cae9044929L)),
                                                false),
                                        raw,
                                        2 * StreamHeader.LENGTH + 652,
                                        4000))
                        .getMessage());
    }

    @Test
    void aSubstreamOfAnotherDatasetIsRefused() {
        List<ByteBuffer> begins = honestBegins();
        begins.set(1, begin(1, 0, 102, 101, "tank/other@s2", 0));
        assertEquals(
                "the zfs send -I stream is not the one requested: substream 2 names 'tank/other@s2', the request"
                        + " expects 'tank/home@s2'; zfs recv was stopped",
                refusal(series(begins)));
        begins.set(1, begin(1, 0, 102, 101, "backup/clients/laptop2/tank/home@s2", 0));
        assertTrue(refusal(series(begins)).contains("substream 2 names 'backup/clients/laptop2/tank/home@s2'"));
    }

    @Test
    void outOfOrderSnapshotsAreRefused() {
        List<ByteBuffer> begins = honestBegins();
        begins.set(1, sub(SNAPS.get(2), 101));
        begins.set(2, sub(SNAPS.get(1), 103));
        assertEquals(
                "the zfs send -I stream is not the one requested: substream 2 names 'tank/home@s3', the request"
                        + " expects 'tank/home@s2'; zfs recv was stopped",
                refusal(series(begins)));
        begins = honestBegins();
        begins.set(1, begin(1, 0, 103, 101, FS + "@s2", 0));
        assertEquals(
                "the zfs send -I stream is not the one requested: substream 2 (@s2) is of guid 103, the request"
                        + " names guid 102; zfs recv was stopped",
                refusal(series(begins)));
    }

    @Test
    void aSubstreamFromAnotherBaseIsRefused() {
        List<ByteBuffer> begins = honestBegins();
        begins.set(2, sub(SNAPS.get(2), BASE));
        assertEquals(
                "the zfs send -I stream is not the one requested: substream 3 (@s3) is incremental from guid"
                        + " 100, the request expects it incremental from guid 102; zfs recv was stopped",
                refusal(series(begins)));
        begins.set(2, sub(SNAPS.get(2), 0));
        assertTrue(refusal(series(begins)).contains("substream 3 (@s3) is a full stream"));
    }

    @Test
    void anExtraSnapshotIsRefused() {
        List<ByteBuffer> begins = honestBegins();
        begins.add(sub(new Snapshot("s4", 104), 103));
        assertEquals(
                "the zfs send -I stream is not the one requested: it holds a substream after the 3 requested;"
                        + " zfs recv was stopped",
                refusal(series(begins)));
    }

    @Test
    void aMissingSnapshotIsRefused() {
        List<ByteBuffer> begins = honestBegins();
        begins.remove(2);
        assertEquals(
                "the zfs send -I stream is not the one requested: it ends after 2 of the 3 requested snapshots;"
                        + " @s3 is missing; zfs recv was stopped",
                refusal(series(begins)));
    }

    @Test
    void aCloneOrCompoundOrResumingSubstreamIsRefused() {
        List<ByteBuffer> begins = honestBegins();
        begins.set(1, begin(1, StreamHeader.FLAG_CLONE, 102, 101, FS + "@s2", 0));
        assertTrue(refusal(series(begins)).contains("substream 2: the stream is a clone stream"));
        begins.set(1, begin(2, 0, 0, 0, FS + "@s2", 0));
        assertTrue(refusal(series(begins)).contains("substream 2 is not a plain substream"));
        ByteBuffer resuming = sub(SNAPS.get(1), 101);
        resuming.putLong(16, 1 | (1L << 22));
        begins.set(1, resuming);
        assertTrue(refusal(series(begins)).contains("substream 2 resumes a partial receive"));
    }

    @Test
    void anUnknownRecordTypeIsRefusedAndZfsRecvKilled() {
        byte[] s = series(honestBegins());
        ByteBuffer.wrap(s).order(ByteOrder.LITTLE_ENDIAN).putInt(PREFIX + StreamHeader.LENGTH, 11);
        CompoundTail t = tail(FS, BASE, SNAPS, false);
        RemoteException e = assertThrows(RemoteException.class, () -> t.accept(s, PREFIX, s.length - PREFIX));
        assertTrue(e.getMessage().contains("it holds a record of unknown type 11"), e.getMessage());
        assertEquals(-1, t.passable(), "inside a substream: killed, not fed");
    }

    @Test
    void garbageAfterTheFinalEndIsRefusedButTheSnapshotsPass() {
        byte[] honest = series(honestBegins());
        byte[] s = Arrays.copyOf(honest, honest.length + 100);
        CompoundTail t = tail(FS, BASE, SNAPS, false);
        RemoteException e = assertThrows(RemoteException.class, () -> t.accept(s, PREFIX, s.length - PREFIX));
        assertEquals(
                "the zfs send -I stream is not the one requested: 100 more bytes follow the stream's final END"
                        + " record; zfs recv was stopped",
                e.getMessage());
        assertEquals(honest.length - PREFIX, t.passable(), "everything up to the final END reaches zfs recv");
        assertEquals(3, t.completed());
    }

    /** A refusal at a BEGIN lets zfs recv have the whole substreams before it, and nothing of the refused one. */
    @Test
    void aRefusalBetweenSubstreamsPassesExactlyTheWholeOnes() {
        List<ByteBuffer> begins = honestBegins();
        begins.set(2, begin(1, 0, 103, 102, "tank/other@s3", 0));
        byte[] s = series(begins);
        int substream = (s.length - 2 * StreamHeader.LENGTH - StreamHeader.LENGTH) / 3;
        CompoundTail t = tail(FS, BASE, SNAPS, false);
        assertThrows(RemoteException.class, () -> t.accept(s, PREFIX, s.length - PREFIX));
        assertEquals(2 * substream, t.passable());
        assertEquals(2, t.completed());
        // The refused BEGIN split over two chunks: its first part went before, nothing more may.
        CompoundTail split = tail(FS, BASE, SNAPS, false);
        int cut = PREFIX + 2 * substream + 100;
        assertThrows(RemoteException.class, () -> {
            split.accept(s, PREFIX, cut - PREFIX);
            split.accept(s, cut, s.length - cut);
        });
        assertEquals(0, split.passable());
    }

    @Test
    void aTruncatedSeriesIsIncompleteAndCountsTheWholeSubstreams() throws RemoteException {
        byte[] s = series(honestBegins());
        int substream = (s.length - 3 * StreamHeader.LENGTH) / 3;
        CompoundTail t = feed(tail(FS, BASE, SNAPS, false), Arrays.copyOf(s, PREFIX + substream + 500), PREFIX, 977);
        assertFalse(t.complete());
        assertEquals(1, t.completed());
    }

    @Test
    void aSinglePropertiesStreamKeepsItsOwnWording() {
        byte[] full = CompoundStreamTest.stream("openzfs-full-p");
        byte[] s = Arrays.copyOf(full, full.length + 10);
        CompoundTail t = new CompoundTail(ByteOrder.LITTLE_ENDIAN, CompoundTail.Layout.OPENZFS);
        RemoteException e = assertThrows(
                RemoteException.class,
                () -> t.accept(s, 980 + StreamHeader.LENGTH, s.length - 980 - StreamHeader.LENGTH));
        assertEquals(
                "the stream carries properties (zfs send -p/-b), but 10 more bytes follow the stream's final"
                        + " END record; zfs recv was stopped",
                e.getMessage());
        assertEquals(-1, t.passable(), "a -p stream is killed as before");
    }
}
