package dev.zreplj.stdinserver;

import static dev.zreplj.stdinserver.XdrNvlistTest.encode;
import static dev.zreplj.stdinserver.XdrNvlistTest.map;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.zreplj.config.Config;
import dev.zreplj.config.Global;
import dev.zreplj.config.RecvOptions;
import dev.zreplj.config.ServeLimits;
import dev.zreplj.config.SinkJob;
import dev.zreplj.protocol.ReceiveCommand;
import dev.zreplj.protocol.ReceiveResult;
import dev.zreplj.protocol.RemoteException;
import dev.zreplj.protocol.StreamHeader;
import dev.zreplj.zfs.DatasetName;
import dev.zreplj.zfs.Zfs;
import dev.zreplj.zfs.testing.TestPools;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A hostile client sends {@code zfs send -p} streams (real ones from zfs-fuse, and doctored ones) to a real
 * stdinserver on zfs-fuse, whose zfs recv has no {@code -x}: the box reads the properties itself, takes an
 * honest stream of the requested snapshot, and refuses a mountpoint, a second filesystem, a smuggled second
 * substream, an oversized or a truncated properties payload, leaving nothing of them behind.
 */
@Tag("system")
class HostilePropertyStreamSystemTest {
    @TempDir
    Path state;

    private TestPools pools;
    private String box;
    private DatasetName src;
    private Zfs zfs;

    @BeforeEach
    void pools() {
        pools = TestPools.open();
        src = pools.createPool("src");
        box = pools.createPool("box").value();
        // root_fs is the operator's (`zreplj box setup`): the box refuses to create it.
        pools.createFilesystem(DatasetName.of(box).child("sink"), "mountpoint=none");
        zfs = new Zfs(pools.zfsBinary());
    }

    @AfterEach
    void destroy() {
        if (pools != null) {
            pools.close();
        }
    }

    private Config config() {
        return config(RecvOptions.defaults());
    }

    private Config config(RecvOptions recv) {
        SinkJob sink = new SinkJob(
                "sink", DatasetName.of(box + "/sink"), List.of("laptop"), recv, List.of(), ServeLimits.defaults());
        return new Config(state.resolve("zreplj.yml"), new Global(state, null), List.of(sink));
    }

    private String boxState() {
        return pools.zfs("list", "-H", "-r", "-t", "all", "-o", "name", box);
    }

    private List<String> jailOnly() {
        return List.of(box, box + "/sink", box + "/sink/laptop");
    }

    private List<String> boxLog() throws IOException {
        Path log = BoxLog.path(state);
        return Files.exists(log) ? Files.readAllLines(log, StandardCharsets.UTF_8) : List.of();
    }

    private static ReceiveResult receive(
            PipedServer ch, String path, String snapshot, long toGuid, Long fromGuid, byte[] stream)
            throws IOException {
        return ch.client.receive(
                new ReceiveCommand(path, snapshot, toGuid, fromGuid, false, false), new ByteArrayInputStream(stream));
    }

    /** Receives {@code stream}, expects ERROR stream starting with {@code why}, and a box left as it was. */
    private void refused(DatasetName fs, String snapshot, long toGuid, byte[] stream, String why) throws Exception {
        refused(config(), fs, snapshot, toGuid, stream, why);
    }

    private void refused(Config config, DatasetName fs, String snapshot, long toGuid, byte[] stream, String why)
            throws Exception {
        PipedServer ch = new PipedServer(config, zfs, "laptop");
        ch.client.handshake();
        assertEquals(List.of(), ch.client.listFilesystems(), "the jail is set up");
        String before = boxState();
        RemoteException e =
                assertThrows(RemoteException.class, () -> receive(ch, fs.value(), snapshot, toGuid, null, stream));
        assertEquals("stream", e.code());
        assertTrue(
                e.getMessage().startsWith("the stream carries properties (zfs send -p/-b), but " + why),
                e.getMessage());
        assertEquals(before, boxState(), "nothing received");
        assertTrue(boxLog().stream().anyMatch(l -> l.contains("client 'laptop'") && l.contains(why)), "logged");
        ch.client.close();
        assertEquals(0, ch.exitCode(), ch.stderr());
    }

    @Test
    void anHonestPropertyStreamIsReceivedAndItsPropertiesArriveAsReceivedOnes() throws Exception {
        DatasetName a = pools.createFilesystem(src.child("a"), "org.zreplj:label=src", "compression=on");
        pools.writeRandomFile(a, "data", 256 << 10);
        String s1 = pools.snapshot(a, "zrepl_1");
        PipedServer ch = new PipedServer(config(), zfs, "laptop");
        ch.client.handshake();
        ReceiveResult r = receive(ch, a.value(), "zrepl_1", pools.guid(s1), null, pools.send("-p", s1));
        assertEquals(pools.guid(s1), r.receivedGuid());
        String copy = box + "/sink/laptop/" + a.value();
        assertEquals(
                "src\treceived",
                pools.zfs("get", "-H", "-o", "value,source", "org.zreplj:label", copy)
                        .strip());
        assertEquals(
                "on\treceived",
                pools.zfs("get", "-H", "-o", "value,source", "compression", copy)
                        .strip());
        assertEquals("none", pools.get(copy, "mountpoint"));
        pools.writeRandomFile(a, "more", 64 << 10);
        String s2 = pools.snapshot(a, "zrepl_2");
        pools.zfs("set", "org.zreplj:label=changed", a.value());
        receive(ch, a.value(), "zrepl_2", pools.guid(s2), pools.guid(s1), pools.send("-p", "-i", s1, s2));
        assertEquals("changed", pools.get(copy, "org.zreplj:label"));
        ch.client.close();
        assertEquals(0, ch.exitCode(), ch.stderr());
    }

    /**
     * zfs-fuse's zfs recv -F of an incremental property stream destroys every target snapshot the stream's list
     * leaves out: a snapshot the sender has pruned but the box keeps went with an honest agent's rollback. The
     * box sends such a stream without -F (it rolls back to the base itself where asked).
     */
    @Test
    void aRollbackWithAnIncrementalPropertyStreamKeepsWhatTheSenderPruned() throws Exception {
        DatasetName a = pools.createFilesystem(src.child("a"));
        pools.writeRandomFile(a, "data", 64 << 10);
        String s1 = pools.snapshot(a, "zrepl_1");
        pools.writeRandomFile(a, "more", 64 << 10);
        String s2 = pools.snapshot(a, "zrepl_2");
        PipedServer ch = new PipedServer(config(), zfs, "laptop");
        ch.client.handshake();
        receive(ch, a.value(), "zrepl_1", pools.guid(s1), null, pools.send("-p", s1));
        receive(ch, a.value(), "zrepl_2", pools.guid(s2), pools.guid(s1), pools.send("-p", "-i", s1, s2));
        pools.zfs("destroy", s1);
        pools.writeRandomFile(a, "again", 64 << 10);
        String s3 = pools.snapshot(a, "zrepl_3");
        ReceiveResult r = ch.client.receive(
                new ReceiveCommand(a.value(), "zrepl_3", pools.guid(s3), pools.guid(s2), true, false),
                new ByteArrayInputStream(pools.send("-p", "-i", s2, s3)));
        assertEquals(pools.guid(s3), r.receivedGuid());
        String copy = box + "/sink/laptop/" + a.value();
        assertEquals(
                List.of(copy + "@zrepl_1", copy + "@zrepl_2", copy + "@zrepl_3"),
                pools.zfs("list", "-H", "-t", "snapshot", "-o", "name", "-s", "createtxg", "-r", copy)
                        .lines()
                        .toList());
        ch.client.close();
        assertEquals(0, ch.exitCode(), ch.stderr());
    }

    /** zfs-fuse mounts what it receives with a mountpoint (no recv -u, no -x): the box must not let it. */
    @Test
    void aMountpointIsRefusedWhereZfsCannotExcludeIt() throws Exception {
        DatasetName a = pools.createFilesystem(src.child("a"), "mountpoint=" + state.resolve("client-mnt"));
        String s1 = pools.snapshot(a, "zrepl_1");
        refused(
                a,
                "zrepl_1",
                pools.guid(s1),
                pools.send("-p", s1),
                "it sets mountpoint, and this box's zfs cannot" + " exclude them on receive (no 'zfs recv -x')");
        assertEquals(jailOnly(), boxState().lines().toList());
    }

    /**
     * The sink's recv.properties are the box's policy: zfs-fuse has no recv -o/-x to make them win over what a
     * property stream sets, so such a stream is refused rather than received with the client's values.
     */
    @Test
    void aPropertyTheSinksRecvPropertiesDecideIsRefusedWhereZfsCannotOverrideIt() throws Exception {
        Config config = config(new RecvOptions(Map.of("readonly", "on"), List.of("org.box:backup"), "unspecified"));
        DatasetName a = pools.createFilesystem(src.child("a"), "readonly=off", "org.box:backup=off");
        String s1 = pools.snapshot(a, "zrepl_1");
        refused(
                config,
                a,
                "zrepl_1",
                pools.guid(s1),
                pools.send("-p", s1),
                "it sets org.box:backup, readonly, which the sink's recv.properties decides, and this box's zfs"
                        + " cannot override them on receive (no 'zfs recv -o/-x')");
        assertEquals(jailOnly(), boxState().lines().toList());
        // A property stream that leaves them alone is received, as without recv.properties.
        DatasetName b = pools.createFilesystem(src.child("b"), "org.other:label=x");
        String s2 = pools.snapshot(b, "zrepl_1");
        PipedServer ch = new PipedServer(config, zfs, "laptop");
        ch.client.handshake();
        assertEquals(
                pools.guid(s2),
                receive(ch, b.value(), "zrepl_1", pools.guid(s2), null, pools.send("-p", s2))
                        .receivedGuid());
        ch.client.close();
        assertEquals(0, ch.exitCode(), ch.stderr());
    }

    /**
     * Where zfs has no recv -o/-x the sink's recv.properties cannot be applied: the admin reads that in the box's
     * log, not only the client on its stderr.
     */
    @Test
    void recvPropertiesThisZfsCannotApplyAreNamedInTheBoxLog() throws Exception {
        Config config = config(new RecvOptions(Map.of("readonly", "on"), List.of("org.box:backup"), "unspecified"));
        DatasetName a = pools.createFilesystem(src.child("a"));
        String s1 = pools.snapshot(a, "zrepl_1");
        PipedServer ch = new PipedServer(config, zfs, "laptop");
        ch.client.handshake();
        receive(ch, a.value(), "zrepl_1", pools.guid(s1), null, pools.send(s1));
        String s2 = pools.snapshot(a, "zrepl_2");
        receive(ch, a.value(), "zrepl_2", pools.guid(s2), pools.guid(s1), pools.send("-i", s1, s2));
        ch.client.close();
        assertEquals(0, ch.exitCode(), ch.stderr());
        assertEquals("off", pools.get(box + "/sink/laptop/" + a.value(), "readonly"), "zfs-fuse cannot set it");
        // Once per process: the shipped sink.yml overrides canmount, and every receive would say the same.
        assertEquals(
                1,
                boxLog().stream()
                        .filter(l -> l.contains("recv.properties of sink job"))
                        .count(),
                String.join("\n", boxLog()));
        assertTrue(
                boxLog().stream()
                        .anyMatch(l -> l.contains("WARN client 'laptop'")
                                && l.contains("recv.properties of sink job 'sink' not applied to " + box
                                        + "/sink/laptop/" + a.value() + ": this box's zfs has no 'zfs recv -o/-x'")),
                String.join("\n", boxLog()));
    }

    /** The stream of another snapshot (a second filesystem, a child) is hidden behind the first one's payload. */
    @Test
    void aSecondFilesystemOrAChildInThePropertiesIsRefused() throws Exception {
        DatasetName a = pools.createFilesystem(src.child("a"));
        String s1 = pools.snapshot(a, "zrepl_1");
        long guid = pools.guid(s1);
        byte[] real = pools.send("-p", s1);
        Object fs = map("name", "x", "parentfromsnap", 0L, "props", map(), "snaps", map("zrepl_1", guid));
        refused(
                a,
                "zrepl_1",
                guid,
                withPayload(real, map("tosnap", "zrepl_1", "not_recursive", true, "fss", map("0x1", fs, "0x2", fs))),
                "its properties list 2 filesystems");
        refused(
                a,
                "zrepl_1",
                guid,
                withPayload(
                        real,
                        map(
                                "tosnap",
                                "zrepl_1",
                                "not_recursive",
                                true,
                                "fss",
                                map(
                                        "0x2",
                                        map(
                                                "name",
                                                "x/child",
                                                "parentfromsnap",
                                                7L,
                                                "props",
                                                map(),
                                                "snaps",
                                                map("zrepl_1", guid))))),
                "its filesystem entry is a child's");
        refused(
                a,
                "zrepl_1",
                guid,
                withPayload(
                        real,
                        map(
                                "tosnap",
                                "zrepl_1",
                                "not_recursive",
                                true,
                                "fss",
                                map(
                                        "0x2",
                                        map(
                                                "name",
                                                "x",
                                                "origin",
                                                5L,
                                                "parentfromsnap",
                                                0L,
                                                "props",
                                                map(),
                                                "snaps",
                                                map("zrepl_1", guid))))),
                "it is the stream of a clone");
        assertEquals(jailOnly(), boxState().lines().toList());
    }

    /**
     * zfs recv receives every substream of a compound stream: an incremental spliced in after the checked
     * one would land unchecked. The stream is larger than one DATA frame, so the splice arrives while zfs
     * recv is already reading, and the box stops it there.
     */
    @Test
    void aSmuggledSecondSubstreamNeverReachesZfsRecv() throws Exception {
        DatasetName a = pools.createFilesystem(src.child("a"));
        pools.writeRandomFile(a, "data", 3 << 20);
        String s1 = pools.snapshot(a, "zrepl_1");
        pools.writeRandomFile(a, "more", 64 << 10);
        String s2 = pools.snapshot(a, "zrepl_2");
        byte[] first = pools.send("-p", s1);
        byte[] second = pools.send("-i", s1, s2);
        ByteArrayOutputStream spliced = new ByteArrayOutputStream();
        spliced.write(first, 0, first.length - StreamHeader.LENGTH);
        spliced.writeBytes(second);
        spliced.write(first, first.length - StreamHeader.LENGTH, StreamHeader.LENGTH);
        assertTrue(first.length > (2 << 20), "past the first DATA frame");

        PipedServer ch = new PipedServer(config(), zfs, "laptop");
        ch.client.handshake();
        RemoteException e = assertThrows(
                RemoteException.class,
                () -> receive(ch, a.value(), "zrepl_1", pools.guid(s1), null, spliced.toByteArray()));
        assertEquals("stream", e.code());
        assertEquals(
                "the stream carries properties (zfs send -p/-b), but it holds a second substream; the box"
                        + " receives one snapshot per stream; zfs recv was stopped",
                e.getMessage());
        assertFalse(boxState().contains("@zrepl_2"), "the smuggled snapshot never arrived:\n" + boxState());
        assertTrue(boxLog().stream().anyMatch(l -> l.contains("client 'laptop'") && l.contains("second substream")));
        assertEquals(
                List.of(),
                ch.client.listFilesystems().stream()
                        .filter(f ->
                                f.versions().stream().anyMatch(v -> v.name().equals("zrepl_2")))
                        .toList());
        ch.client.close();
        assertEquals(0, ch.exitCode(), ch.stderr());
    }

    @Test
    void anOversizedOrTruncatedPropertiesPayloadIsRefusedBeforeZfsRecvStarts() throws Exception {
        DatasetName a = pools.createFilesystem(src.child("a"));
        String s1 = pools.snapshot(a, "zrepl_1");
        long guid = pools.guid(s1);
        byte[] real = pools.send("-p", s1);
        byte[] huge = Arrays.copyOf(real, real.length);
        ByteBuffer.wrap(huge).order(ByteOrder.LITTLE_ENDIAN).putInt(4, 64 << 20);
        refused(a, "zrepl_1", guid, huge, "its properties payload of 67108864 bytes is over the box's cap of 4194304");
        refused(a, "zrepl_1", guid, Arrays.copyOf(real, 600), "the stream ends after 600 bytes");
        byte[] cut = Arrays.copyOf(real, real.length);
        ByteBuffer.wrap(cut).order(ByteOrder.LITTLE_ENDIAN).putInt(4, 100);
        refused(a, "zrepl_1", guid, cut, "its properties payload is not one the box can read");
        assertEquals(jailOnly(), boxState().lines().toList());
    }

    /** The real stream with its properties payload replaced. */
    private static byte[] withPayload(byte[] real, java.util.Map<String, ?> nvlist) {
        int old = ByteBuffer.wrap(real).order(ByteOrder.LITTLE_ENDIAN).getInt(4);
        byte[] payload = encode(nvlist);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] begin = Arrays.copyOf(real, StreamHeader.LENGTH);
        ByteBuffer.wrap(begin).order(ByteOrder.LITTLE_ENDIAN).putInt(4, payload.length);
        out.writeBytes(begin);
        out.writeBytes(payload);
        out.write(real, StreamHeader.LENGTH + old, real.length - StreamHeader.LENGTH - old);
        return out.toByteArray();
    }
}
