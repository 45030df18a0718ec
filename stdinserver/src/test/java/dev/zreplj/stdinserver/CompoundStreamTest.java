package dev.zreplj.stdinserver;

import static dev.zreplj.stdinserver.XdrNvlistTest.encode;
import static dev.zreplj.stdinserver.XdrNvlistTest.map;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.zreplj.protocol.RemoteException;
import dev.zreplj.protocol.StreamHeader;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.Test;

/**
 * The box's check of {@code zfs send -p/-b} streams, on real streams: OpenZFS 2.3 ones captured in the lab
 * guest ({@code zfs send -p}, {@code -p -i}, {@code -b}, {@code -w -p} of an encryption root,
 * {@code -p -c -L -e}, {@code -R}, {@code -p} of a clone) and zfs-fuse ones ({@code -p}, {@code -p -i}),
 * and on hostile variations of them.
 */
class CompoundStreamTest {
    private static final long FULL_GUID = 0xfeae86e4e6e19b7aL;
    private static final long INCREMENTAL_GUID = 0xc1ad3378c694a3eaL;
    /** The OpenZFS -p stream's properties payload length (the first record says so). */
    private static final int PAYLOAD = 668;

    static byte[] stream(String name) {
        try (InputStream in =
                new GZIPInputStream(CompoundStreamTest.class.getResourceAsStream("/streams/" + name + ".zstream.gz"))) {
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** What the box does with a stream: the first record, the prefix, then the rest in 1000-byte chunks. */
    static CompoundStream receive(byte[] s, String snapshot, long toGuid) throws RemoteException {
        StreamHeader first = StreamHeader.parse(s, s.length);
        assertTrue(first.compound());
        int prefix = Math.min(s.length, CompoundStream.prefixLength(first));
        CompoundStream c = CompoundStream.check(first, s, prefix, snapshot, toGuid, CompoundTail.Layout.OPENZFS);
        for (int i = prefix; i < s.length; i += 1000) {
            c.tail().accept(s, i, Math.min(1000, s.length - i));
        }
        assertTrue(c.tail().complete(), "the stream ended after its final END");
        return c;
    }

    private static String refusal(byte[] s, String snapshot, long toGuid) {
        return assertThrows(RemoteException.class, () -> receive(s, snapshot, toGuid))
                .getMessage();
    }

    @Test
    void openZfsPropertyStreamsPass() throws RemoteException {
        CompoundStream full = receive(stream("openzfs-full-p"), "a", FULL_GUID);
        assertEquals(
                List.of("compression", "org.zreplj:label", "recordsize", "mountpoint"),
                full.properties().properties());
        assertEquals(
                new StreamHeader(0, FULL_GUID, 0, "propscap398/fs@a", false, false, ByteOrder.LITTLE_ENDIAN),
                full.substream());
        CompoundStream incremental = receive(stream("openzfs-incremental-p"), "b", INCREMENTAL_GUID);
        assertEquals(FULL_GUID, incremental.substream().fromGuid());
        assertEquals(
                List.of(),
                receive(stream("openzfs-full-b"), "a", FULL_GUID).properties().properties());
        CompoundStream raw = receive(stream("openzfs-raw-p"), "a", 0x743529cae9044929L);
        assertEquals(
                List.of("org.zreplj:label", "keylocation"), raw.properties().properties());
        assertEquals(1028, raw.substream().payloadLength(), "the raw substream's own crypt payload");
        receive(stream("openzfs-full-p-cLe"), "a", Long.parseUnsignedLong("7788517546431191849"));
    }

    @Test
    void zfsFusePropertyStreamsPass() throws RemoteException {
        CompoundStream full = receive(stream("zfs-fuse-full-p"), "a", 0xd476eee579bc85d2L);
        assertEquals(
                List.of("org.x:label", "compression", "mountpoint"),
                full.properties().properties());
        receive(stream("zfs-fuse-incremental-p"), "b", 0x9e7e9f192fb790e4L);
    }

    /**
     * zfs recv receives a package's substream into the target plus the part of the substream's name beyond
     * the first record's filesystem: a substream naming a child (or a sibling sharing the prefix) would land
     * where the box checked nothing, its guid, rollback, time and hold all done for the named target.
     */
    @Test
    void aSubstreamNamingAnotherFilesystemIsRefused() {
        byte[] original = stream("openzfs-full-p");
        int nameAt = StreamHeader.LENGTH + PAYLOAD + StreamHeader.LENGTH + 56;
        for (String name : List.of("propscap398/fs/home@a", "propscap398/fs2@a", "other/fs@a")) {
            byte[] s = original.clone();
            Arrays.fill(s, nameAt, nameAt + 256, (byte) 0);
            byte[] b = name.getBytes(StandardCharsets.UTF_8);
            System.arraycopy(b, 0, s, nameAt, b.length);
            assertEquals(
                    "the stream carries properties (zfs send -p/-b), but its substream names '" + name
                            + "', its first record 'propscap398/fs@a'; zfs would receive it into another filesystem"
                            + " than the one the command names",
                    refusal(s, "a", FULL_GUID));
        }
    }

    @Test
    void replicationAndCloneStreamsAreRefused() {
        assertEquals(
                "the stream carries properties (zfs send -p/-b), but it is a replication stream (zfs send -R);"
                        + " the box receives one filesystem per stream only: send without -R",
                refusal(stream("openzfs-full-R"), "a", FULL_GUID));
        assertEquals(
                "the stream carries properties (zfs send -p/-b), but it is the stream of a clone (its"
                        + " properties name an origin); the box refuses clones: send the clone without"
                        + " send_properties/backup_properties",
                refusal(stream("openzfs-clone-p"), "c", 0x5d896f56959b1aa7L));
    }

    @Test
    void theStreamMustBeOfTheCommandsSnapshot() {
        assertEquals(
                "the stream carries properties (zfs send -p/-b), but its properties are of snapshot 'a', the"
                        + " command names 'b'",
                refusal(stream("openzfs-full-p"), "b", FULL_GUID));
        assertEquals(
                "the stream carries properties (zfs send -p/-b), but its properties do not list snapshot 'a'"
                        + " with guid 7",
                refusal(stream("openzfs-full-p"), "a", 7));
    }

    /** A second substream (an incremental of the same filesystem) spliced in before the final END. */
    @Test
    void aSmuggledSecondSubstreamIsStoppedBeforeZfsSeesIt() {
        byte[] full = stream("openzfs-full-p");
        byte[] incremental = stream("openzfs-incremental-p");
        int secondStart = 3 * StreamHeader.LENGTH + PAYLOAD - StreamHeader.LENGTH; // its substream's BEGIN
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(full, 0, full.length - StreamHeader.LENGTH);
        out.write(incremental, secondStart, incremental.length - secondStart);
        assertEquals(
                "the stream carries properties (zfs send -p/-b), but it holds a second substream; the box"
                        + " receives one snapshot per stream; zfs recv was stopped",
                refusal(out.toByteArray(), "a", FULL_GUID));
    }

    @Test
    void bytesAfterTheFinalEndAreRefused() {
        byte[] full = stream("openzfs-full-p");
        byte[] longer = Arrays.copyOf(full, full.length + 8);
        assertEquals(
                "the stream carries properties (zfs send -p/-b), but 8 more bytes follow the stream's final"
                        + " END record; zfs recv was stopped",
                refusal(longer, "a", FULL_GUID));
        byte[] other = Arrays.copyOf(full, full.length);
        ByteBuffer.wrap(other).order(ByteOrder.LITTLE_ENDIAN).putInt(full.length - StreamHeader.LENGTH, 4);
        assertEquals(
                "the stream carries properties (zfs send -p/-b), but a record of type 4 follows its substream;"
                        + " only the final END may; zfs recv was stopped",
                refusal(other, "a", FULL_GUID));
    }

    @Test
    void aTruncatedOrOversizedPropertiesPayloadIsRefused() {
        byte[] full = stream("openzfs-full-p");
        assertEquals(
                "the stream carries properties (zfs send -p/-b), but the stream ends after 700 bytes, before its"
                        + " properties and its substream's first record are complete",
                refusal(Arrays.copyOf(full, 700), "a", FULL_GUID));
        byte[] huge = Arrays.copyOf(full, full.length);
        ByteBuffer.wrap(huge).order(ByteOrder.LITTLE_ENDIAN).putInt(4, 5 << 20);
        assertEquals(
                "the stream carries properties (zfs send -p/-b), but its properties payload of 5242880 bytes is"
                        + " over the box's cap of 4194304",
                refusal(huge, "a", FULL_GUID));
        ByteBuffer.wrap(huge).order(ByteOrder.LITTLE_ENDIAN).putInt(4, 0xfffffff0);
        assertEquals(
                "the stream carries properties (zfs send -p/-b), but its properties payload of 4294967280 bytes is"
                        + " over the box's cap of 4194304",
                refusal(huge, "a", FULL_GUID));
        byte[] shorter = Arrays.copyOf(full, full.length);
        ByteBuffer.wrap(shorter).order(ByteOrder.LITTLE_ENDIAN).putInt(4, PAYLOAD - 16);
        assertTrue(refusal(shorter, "a", FULL_GUID)
                .startsWith("the stream carries properties (zfs send -p/-b), but"
                        + " its properties payload is not one the box can read: "));
    }

    /** The real stream with its properties payload replaced. */
    private static byte[] withPayload(Map<String, ?> nvlist) {
        byte[] full = stream("openzfs-full-p");
        byte[] payload = encode(nvlist);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] begin = Arrays.copyOf(full, StreamHeader.LENGTH);
        ByteBuffer.wrap(begin).order(ByteOrder.LITTLE_ENDIAN).putInt(4, payload.length);
        out.writeBytes(begin);
        out.writeBytes(payload);
        out.write(full, StreamHeader.LENGTH + PAYLOAD, full.length - StreamHeader.LENGTH - PAYLOAD);
        return out.toByteArray();
    }

    private static Map<String, Object> fs(Object... extra) {
        Map<String, Object> fs = map(
                "name",
                "tank/home",
                "parentfromsnap",
                0L,
                "props",
                map("org.x:label", "v"),
                "snaps",
                map("a", FULL_GUID),
                "snapprops",
                map("a", map()));
        for (int i = 0; i < extra.length; i += 2) {
            fs.put((String) extra[i], extra[i + 1]);
        }
        return fs;
    }

    @Test
    void aHandBuiltHeaderLikeZfsSendsPasses() throws RemoteException {
        assertEquals(
                List.of("org.x:label"),
                receive(withPayload(map("tosnap", "a", "not_recursive", true, "fss", map("0x1", fs()))), "a", FULL_GUID)
                        .properties()
                        .properties());
    }

    @Test
    void aSecondFilesystemAChildOrUnknownKeysAreRefused() {
        assertEquals(
                "the stream carries properties (zfs send -p/-b), but its properties list 2 filesystems; the box"
                        + " receives exactly one per stream",
                refusal(
                        withPayload(map(
                                "tosnap",
                                "a",
                                "not_recursive",
                                true,
                                "fss",
                                map("0x1", fs(), "0x2", fs("name", "tank/other")))),
                        "a",
                        FULL_GUID));
        assertEquals(
                "the stream carries properties (zfs send -p/-b), but its filesystem entry is a child's"
                        + " (parentfromsnap is not 0); the box receives the requested filesystem only",
                refusal(
                        withPayload(map(
                                "tosnap", "a", "not_recursive", true, "fss", map("0x1", fs("parentfromsnap", 99L)))),
                        "a",
                        FULL_GUID));
        assertEquals(
                "the stream carries properties (zfs send -p/-b), but 'snapholds' in the stream's filesystem"
                        + " entry is a key the box does not know",
                refusal(
                        withPayload(
                                map("tosnap", "a", "not_recursive", true, "fss", map("0x1", fs("snapholds", map())))),
                        "a",
                        FULL_GUID));
        assertEquals(
                "the stream carries properties (zfs send -p/-b), but 'extra' in the stream's properties is a"
                        + " key the box does not know",
                refusal(
                        withPayload(map("tosnap", "a", "not_recursive", true, "extra", 1L, "fss", map("0x1", fs()))),
                        "a",
                        FULL_GUID));
        assertEquals(
                "the stream carries properties (zfs send -p/-b), but its properties list 0 filesystems; the box"
                        + " receives exactly one per stream",
                refusal(withPayload(map("tosnap", "a", "not_recursive", true, "fss", map())), "a", FULL_GUID));
        assertEquals(
                "the stream carries properties (zfs send -p/-b), but its property 'x' is neither a number nor a"
                        + " string",
                refusal(
                        withPayload(map(
                                "tosnap", "a", "not_recursive", true, "fss", map("0x1", fs("props", map("x", map()))))),
                        "a",
                        FULL_GUID));
    }

    /**
     * {@code zfs get -H} prints a value as it is: a received value with a line break and tabs read as more lines,
     * naming datasets outside the jail, to whatever parses that output (box setup's copied marks).
     */
    @Test
    void aPropertyWithAControlCharacterInItsNameOrValueIsRefused() {
        assertEquals(
                "the stream carries properties (zfs send -p/-b), but its property 'org.x:label' has a control"
                        + " character in its value (\\x0a); the box takes none, since zfs prints values as they are",
                refusal(
                        withPayload(map(
                                "tosnap",
                                "a",
                                "not_recursive",
                                true,
                                "fss",
                                map(
                                        "0x1",
                                        fs("props", map("org.x:label", "a\nbox/sink\tzreplj:last_received_j\tmove"))))),
                        "a",
                        FULL_GUID));
        assertEquals(
                "the stream carries properties (zfs send -p/-b), but its property 'org.x:a\\x09b' has a control"
                        + " character in its name; the box takes none, since zfs prints names as they are",
                refusal(
                        withPayload(map(
                                "tosnap",
                                "a",
                                "not_recursive",
                                true,
                                "fss",
                                map("0x1", fs("props", map("org.x:a\tb", "v"))))),
                        "a",
                        FULL_GUID));
    }

    /**
     * zfs recv names received snapshots by the list, the first name of a guid winning: a trailing space hid a
     * snapshot from every listing, a second name for the guid renamed it later, and its forged creation time then
     * steered the keep floor (zfs-fuse, found by an audit of what a stolen client key can do).
     */
    @Test
    void aSnapshotListWithANameTheBoxRefusesOrAGuidTwiceIsRefused() {
        assertEquals(
                "the stream carries properties (zfs send -p/-b), but its snapshot list names 'a ', which the box"
                        + " does not take: snapshot name 'a ' must not start or end with a space",
                refusal(
                        withPayload(map(
                                "tosnap",
                                "a",
                                "not_recursive",
                                true,
                                "fss",
                                map("0x1", fs("snaps", map("a ", FULL_GUID, "a", FULL_GUID))))),
                        "a",
                        FULL_GUID));
        assertEquals(
                "the stream carries properties (zfs send -p/-b), but its snapshot list names guid "
                        + Long.toUnsignedString(FULL_GUID) + " twice",
                refusal(
                        withPayload(map(
                                "tosnap",
                                "a",
                                "not_recursive",
                                true,
                                "fss",
                                map("0x1", fs("snaps", map("zrepl_forged", FULL_GUID, "a", FULL_GUID))))),
                        "a",
                        FULL_GUID));
    }

    @Test
    void aCompoundHeaderWithGuidsOrFlagsIsRefused() {
        byte[] full = stream("openzfs-full-p");
        ByteBuffer.wrap(full).order(ByteOrder.LITTLE_ENDIAN).putLong(40, FULL_GUID);
        RemoteException e = assertThrows(RemoteException.class, () -> StreamHeader.parse(full, full.length));
        assertEquals(
                "the stream's compound header carries guids, flags or features; zfs send -p/-b writes none"
                        + " there, so the box cannot check it",
                e.getMessage());
    }

    @Test
    void theTailIsNotCompleteBeforeTheFinalEnd() throws RemoteException {
        byte[] full = stream("openzfs-full-p");
        StreamHeader first = StreamHeader.parse(full, full.length);
        int prefix = CompoundStream.prefixLength(first);
        CompoundStream c = CompoundStream.check(first, full, prefix, "a", FULL_GUID, CompoundTail.Layout.OPENZFS);
        c.tail().accept(full, prefix, full.length - prefix - 100);
        assertFalse(c.tail().complete());
    }
}
