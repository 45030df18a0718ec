package dev.zreplj.stdinserver;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.zreplj.config.Config;
import dev.zreplj.config.Global;
import dev.zreplj.config.RecvOptions;
import dev.zreplj.config.ServeLimits;
import dev.zreplj.config.SinkJob;
import dev.zreplj.protocol.ErrorReply;
import dev.zreplj.protocol.FrameReader;
import dev.zreplj.protocol.FrameType;
import dev.zreplj.protocol.FrameWriter;
import dev.zreplj.protocol.ReceiveCommand;
import dev.zreplj.protocol.ReceiveResult;
import dev.zreplj.protocol.ReceiveSeries;
import dev.zreplj.protocol.RemoteFilesystem;
import dev.zreplj.protocol.RemoteVersion;
import dev.zreplj.protocol.StreamHeader;
import dev.zreplj.protocol.StreamProgress;
import dev.zreplj.protocol.Wire;
import dev.zreplj.zfs.DatasetName;
import dev.zreplj.zfs.Zfs;
import dev.zreplj.zfs.testing.TestPools;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * RECV_RAW and RECV_SERIES_RAW against a real stdinserver on real zfs (zfs-fuse), with real {@code zfs send}
 * streams written unframed after READY, as the agent's zfs send writes them into the channel.
 */
@Tag("system")
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class RawStreamSystemTest {
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
        SinkJob sink = new SinkJob(
                "sink",
                DatasetName.of(box + "/sink"),
                List.of("laptop"),
                RecvOptions.defaults(),
                List.of(),
                ServeLimits.defaults());
        return new Config(state.resolve("zreplj.yml"), new Global(state, null), List.of(sink));
    }

    private DatasetName filesystem(String name) {
        DatasetName fs = pools.createFilesystem(src.child(name));
        pools.writeRandomFile(fs, "data", 256 << 10);
        return fs;
    }

    private String snapshot(DatasetName fs, String name) {
        pools.writeRandomFile(fs, name, 64 << 10);
        return pools.snapshot(fs, name);
    }

    private String boxState() {
        return pools.zfs("list", "-H", "-r", "-t", "all", "-o", "name", box);
    }

    private DatasetName jailed(DatasetName fs) {
        return DatasetName.of(box + "/sink/laptop/" + fs.value());
    }

    /** The frames after a raw request, read beside the channel's SinkClient, which reads no byte ahead. */
    private static final class Raw {
        final PipedServer ch;
        final FrameWriter w;
        final FrameReader r;
        final List<StreamProgress> progress = new ArrayList<>();

        Raw(PipedServer ch) {
            this.ch = ch;
            this.w = new FrameWriter(ch.toServer, Wire.MAX_CONTROL_FROM_CLIENT);
            this.r = new FrameReader(ch.fromServer, "server", Wire.MAX_CONTROL_FROM_SERVER);
        }

        /** Sends the request; the server's answer: READY, or the ERROR. */
        ErrorReply request(FrameType type, Record request) throws IOException {
            w.control(type, request);
            w.flush();
            FrameType t = r.next();
            if (t == FrameType.ERROR) {
                return r.json(ErrorReply.class);
            }
            assertEquals(FrameType.READY, t);
            return null;
        }

        /** Writes stream bytes, unframed; false when the server stopped reading them. */
        boolean write(byte[] stream, int from, int to) {
            try {
                ch.toServer.write(stream, from, to - from);
                ch.toServer.flush();
                return true;
            } catch (IOException closed) {
                return false;
            }
        }

        /** RESULT after any PROGRESS frames, or the ERROR as a reply. */
        Record answer() throws IOException {
            while (true) {
                FrameType t = r.next();
                if (t == FrameType.PROGRESS) {
                    progress.add(r.json(StreamProgress.class));
                } else if (t == FrameType.RESULT) {
                    return r.json(ReceiveResult.class);
                } else {
                    assertEquals(FrameType.ERROR, t);
                    return r.json(ErrorReply.class);
                }
            }
        }

        /** The whole stream after READY, then its answer. */
        Record receive(FrameType type, Record request, byte[] stream) throws IOException {
            ErrorReply refused = request(type, request);
            if (refused != null) {
                return refused;
            }
            write(stream, 0, stream.length);
            return answer();
        }
    }

    /** The guids LIST shows for {@code path}. */
    private static List<Long> guids(List<RemoteFilesystem> listing, DatasetName path) {
        return listing.stream()
                .filter(fs -> fs.path().equals(path.value()))
                .findFirst()
                .orElseThrow(() -> new AssertionError(path + " is not listed: " + listing))
                .versions()
                .stream()
                .map(RemoteVersion::guid)
                .toList();
    }

    /** Whether the box holds {@code name}, a filesystem or snapshot. */
    private boolean onTheBox(String name) {
        return boxState().lines().anyMatch(name::equals);
    }

    /**
     * A full and an incremental stream, one after the other on one conversation, then LIST: had the box read
     * a byte past either stream, the next request's frame would have been cut.
     */
    @Test
    void aFullAndAnIncrementalStreamThenListOnOneConversation() throws Exception {
        DatasetName a = filesystem("a");
        String s1 = snapshot(a, "zrepl_1");
        byte[] full = pools.send(s1);
        PipedServer ch = new PipedServer(config(), zfs, "laptop");
        ch.client.handshake("push");
        assertTrue(ch.client.serverHello().capabilities().contains(Wire.RAW_STREAM));
        Raw raw = new Raw(ch);

        Record first = raw.receive(
                FrameType.RECV_RAW, new ReceiveCommand(a.value(), "zrepl_1", pools.guid(s1), null, false, false), full);
        assertEquals(new ReceiveResult(full.length, pools.guid(s1)), first, ch.stderr());

        String s2 = snapshot(a, "zrepl_2");
        byte[] incremental = pools.send("-i", s1, s2);
        assertNull(raw.request(
                FrameType.RECV_RAW,
                new ReceiveCommand(a.value(), "zrepl_2", pools.guid(s2), pools.guid(s1), false, false)));
        // A pause inside the stream: the box tells how far it got, since the agent does not see the bytes.
        int half = incremental.length / 2;
        assertTrue(raw.write(incremental, 0, half));
        Thread.sleep(1300);
        assertTrue(raw.write(incremental, half, incremental.length));
        assertEquals(new ReceiveResult(incremental.length, pools.guid(s2)), raw.answer(), ch.stderr());
        assertFalse(raw.progress.isEmpty(), "PROGRESS after a second of the stream");
        long last = 0;
        for (StreamProgress p : raw.progress) {
            assertTrue(p.bytes() > last && p.bytes() <= incremental.length, raw.progress.toString());
            last = p.bytes();
        }

        DatasetName target = jailed(a);
        assertEquals(pools.guid(s1), pools.guid(target + "@zrepl_1"));
        assertEquals(pools.guid(s2), pools.guid(target + "@zrepl_2"));
        assertEquals(List.of(pools.guid(s1), pools.guid(s2)), guids(ch.client.listFilesystems(), a));
        assertEquals(
                "zrepl_2",
                ClientStatusFile.read(state, "laptop")
                        .filesystems()
                        .get(a.value())
                        .snapshot());
        ch.client.close();
        assertEquals(0, ch.exitCode(), ch.stderr());
    }

    @Test
    void aSeriesStreamOfZfsSendCapitalI() throws Exception {
        DatasetName a = filesystem("a");
        String s1 = snapshot(a, "zrepl_1");
        PipedServer ch = new PipedServer(config(), zfs, "laptop");
        ch.client.handshake("push");
        Raw raw = new Raw(ch);
        byte[] full = pools.send(s1);
        assertEquals(
                new ReceiveResult(full.length, pools.guid(s1)),
                raw.receive(
                        FrameType.RECV_RAW,
                        new ReceiveCommand(a.value(), "zrepl_1", pools.guid(s1), null, false, false),
                        full));
        String s2 = snapshot(a, "zrepl_2");
        String s3 = snapshot(a, "zrepl_3");
        byte[] series = pools.send("-I", s1, s3);
        Record result = raw.receive(
                FrameType.RECV_SERIES_RAW,
                new ReceiveSeries(
                        new ReceiveCommand(a.value(), "zrepl_3", pools.guid(s3), pools.guid(s1), false, false),
                        List.of(
                                new ReceiveSeries.Snapshot("zrepl_2", pools.guid(s2)),
                                new ReceiveSeries.Snapshot("zrepl_3", pools.guid(s3)))),
                series);
        assertEquals(new ReceiveResult(series.length, pools.guid(s3)), result, ch.stderr());
        DatasetName target = jailed(a);
        assertEquals(List.of("zrepl_1", "zrepl_2", "zrepl_3"), pools.snapshotNames(target));
        assertEquals(pools.guid(s2), pools.guid(target + "@zrepl_2"));
        assertEquals(pools.guid(s3), pools.guid(target + "@zrepl_3"));
        assertEquals(List.of(pools.guid(s1), pools.guid(s2), pools.guid(s3)), guids(ch.client.listFilesystems(), a));
        ch.client.close();
        assertEquals(0, ch.exitCode(), ch.stderr());
    }

    /** After READY a refusal ends the conversation: the rest of the stream cannot be told from frames. */
    @Test
    void aStreamOfAnotherGuidIsRefusedAndEndsTheConversation() throws Exception {
        DatasetName a = filesystem("a");
        String s1 = snapshot(a, "zrepl_1");
        PipedServer ch = new PipedServer(config(), zfs, "laptop");
        ch.client.handshake("push");
        assertEquals(List.of(), ch.client.listFilesystems(), "the jail is set up");
        String before = boxState();
        Raw raw = new Raw(ch);
        Record reply = raw.receive(
                FrameType.RECV_RAW,
                new ReceiveCommand(a.value(), "zrepl_1", pools.guid(s1) + 1, null, false, false),
                pools.send(s1));
        ErrorReply error = (ErrorReply) reply;
        assertEquals("stream", error.code(), error.message());
        assertTrue(error.message().startsWith("the stream is of the snapshot with guid"), error.message());
        assertEquals(1, ch.exitCode(), ch.stderr());
        assertTrue(ch.stderr().contains("stopped reading an unframed stream"), ch.stderr());
        assertNull(raw.r.next(), "nothing after the ERROR");
        assertEquals(before, boxState(), "nothing received");
    }

    /** A stream cut inside a record (the agent's zfs send died, its link went): nothing partial stays. */
    @Test
    void aStreamCutByTheClientLeavesNothing() throws Exception {
        DatasetName a = filesystem("a");
        String s1 = snapshot(a, "zrepl_1");
        byte[] full = pools.send(s1);
        for (boolean incremental : new boolean[] {false, true}) {
            PipedServer ch = new PipedServer(config(), zfs, "laptop");
            ch.client.handshake("push");
            String s2 = incremental ? snapshot(a, "zrepl_2") : null;
            byte[] stream = incremental ? pools.send("-i", s1, s2) : full;
            ReceiveCommand cmd = incremental
                    ? new ReceiveCommand(a.value(), "zrepl_2", pools.guid(s2), pools.guid(s1), false, false)
                    : new ReceiveCommand(a.value(), "zrepl_1", pools.guid(s1), null, false, false);
            Raw raw = new Raw(ch);
            assertNull(raw.request(FrameType.RECV_RAW, cmd));
            assertTrue(raw.write(stream, 0, stream.length / 2 + 1));
            ch.toServer.close();
            assertEquals(1, ch.exitCode(), ch.stderr());
            assertTrue(ch.stderr().contains("in the middle of the stream into"), ch.stderr());
            if (incremental) {
                assertEquals(List.of("zrepl_1"), pools.snapshotNames(jailed(a)), "no zrepl_2");
            } else {
                assertFalse(onTheBox(jailed(a).value()), "no partial filesystem: " + boxState());
            }
            assertFalse(boxState().contains("%"), "no partial receive's clone: " + boxState());
            if (!incremental) {
                // The next channel receives it whole.
                PipedServer again = new PipedServer(config(), zfs, "laptop");
                again.client.handshake("push");
                assertEquals(
                        new ReceiveResult(full.length, pools.guid(s1)),
                        new Raw(again).receive(FrameType.RECV_RAW, cmd, full));
                again.client.close();
                assertEquals(0, again.exitCode(), again.stderr());
            }
        }
    }

    /** A series cut inside its second substream: the first arrived whole and is recorded as received. */
    @Test
    void theSnapshotsOfASeriesThatArrivedBeforeTheCutAreRecorded() throws Exception {
        DatasetName a = filesystem("a");
        String s1 = snapshot(a, "zrepl_1");
        PipedServer ch = new PipedServer(config(), zfs, "laptop");
        ch.client.handshake("push");
        Raw raw = new Raw(ch);
        byte[] full = pools.send(s1);
        raw.receive(
                FrameType.RECV_RAW, new ReceiveCommand(a.value(), "zrepl_1", pools.guid(s1), null, false, false), full);
        String s2 = snapshot(a, "zrepl_2");
        String s3 = snapshot(a, "zrepl_3");
        byte[] series = pools.send("-I", s1, s3);
        assertNull(raw.request(
                FrameType.RECV_SERIES_RAW,
                new ReceiveSeries(
                        new ReceiveCommand(a.value(), "zrepl_3", pools.guid(s3), pools.guid(s1), false, false),
                        List.of(
                                new ReceiveSeries.Snapshot("zrepl_2", pools.guid(s2)),
                                new ReceiveSeries.Snapshot("zrepl_3", pools.guid(s3))))));
        assertTrue(raw.write(series, 0, series.length - pools.send("-i", s2, s3).length / 2));
        ch.toServer.close();
        assertEquals(1, ch.exitCode(), ch.stderr());
        DatasetName target = jailed(a);
        assertEquals(List.of("zrepl_1", "zrepl_2"), pools.snapshotNames(target));
        assertEquals(
                "zrepl_2",
                ClientStatusFile.read(state, "laptop")
                        .filesystems()
                        .get(a.value())
                        .snapshot(),
                ch.stderr());
        assertTrue(ReceiveTimes.read(state, target).containsKey(pools.guid(target + "@zrepl_2")));
    }

    /** Refused before READY: the client has sent nothing of the stream, and the conversation goes on. */
    @Test
    void aRequestRefusedBeforeReadyLeavesTheConversationUsable() throws Exception {
        DatasetName a = filesystem("a");
        String s1 = snapshot(a, "zrepl_1");
        PipedServer ch = new PipedServer(config(), zfs, "laptop");
        ch.client.handshake("push");
        Raw raw = new Raw(ch);
        ErrorReply error = raw.request(
                FrameType.RECV_RAW, new ReceiveCommand("../desktop/a", "zrepl_1", pools.guid(s1), null, false, false));
        assertEquals("jail", error.code(), error.message());
        error = raw.request(
                FrameType.RECV_SERIES_RAW,
                new ReceiveSeries(
                        new ReceiveCommand(a.value(), "zrepl_1", pools.guid(s1), null, false, false), List.of()));
        assertEquals("stream", error.code(), error.message());
        assertEquals(List.of(), ch.client.listFilesystems());
        byte[] full = pools.send(s1);
        assertEquals(
                new ReceiveResult(full.length, pools.guid(s1)),
                raw.receive(
                        FrameType.RECV_RAW,
                        new ReceiveCommand(a.value(), "zrepl_1", pools.guid(s1), null, false, false),
                        full));
        ch.client.close();
        assertEquals(0, ch.exitCode(), ch.stderr());
    }

    /**
     * A record the box cannot measure inside a plain stream (the framed path hands plain streams to zfs unread):
     * refused before zfs recv sees it, and the conversation ends.
     */
    @Test
    void anUnknownRecordInAPlainStreamIsRefused() throws Exception {
        DatasetName a = filesystem("a");
        String s1 = snapshot(a, "zrepl_1");
        byte[] full = pools.send(s1);
        // The record after BEGIN becomes one of an unknown type.
        byte[] hostile = Arrays.copyOf(full, full.length);
        ByteBuffer.wrap(hostile).order(ByteOrder.LITTLE_ENDIAN).putInt(StreamHeader.LENGTH, 77);
        PipedServer ch = new PipedServer(config(), zfs, "laptop");
        ch.client.handshake("push");
        ErrorReply error = (ErrorReply) new Raw(ch)
                .receive(
                        FrameType.RECV_RAW,
                        new ReceiveCommand(a.value(), "zrepl_1", pools.guid(s1), null, false, false),
                        hostile);
        assertEquals(
                "the stream is refused: it holds a record of unknown type 77; zfs recv was stopped", error.message());
        assertEquals(1, ch.exitCode(), ch.stderr());
        assertFalse(onTheBox(jailed(a).value()), "nothing received: " + boxState());
        assertFalse(boxState().contains("@"), boxState());
    }
}
