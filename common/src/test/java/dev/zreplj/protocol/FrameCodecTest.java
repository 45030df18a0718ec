package dev.zreplj.protocol;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.zreplj.zfs.VersionType;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class FrameCodecTest {

    private static FrameReader serverSideReader(byte[] bytes) {
        return new FrameReader(new ByteArrayInputStream(bytes), "client", Wire.MAX_CONTROL_FROM_CLIENT);
    }

    private static FrameReader clientSideReader(byte[] bytes) {
        return new FrameReader(new ByteArrayInputStream(bytes), "server", Wire.MAX_CONTROL_FROM_SERVER);
    }

    private static byte[] frame(int type, byte[] payload) {
        return frame(type, payload.length, payload);
    }

    private static byte[] frame(int type, long declaredLength, byte[] payload) {
        byte[] b = new byte[5 + payload.length];
        b[0] = (byte) type;
        b[1] = (byte) (declaredLength >>> 24);
        b[2] = (byte) (declaredLength >>> 16);
        b[3] = (byte) (declaredLength >>> 8);
        b[4] = (byte) declaredLength;
        System.arraycopy(payload, 0, b, 5, payload.length);
        return b;
    }

    private static byte[] json(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static <T extends Record> T roundTrip(FrameType type, Record message, Class<T> cls) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        new FrameWriter(out, Wire.MAX_CONTROL_FROM_SERVER).control(type, message);
        FrameReader r = clientSideReader(out.toByteArray());
        assertEquals(type, r.next());
        T decoded = r.json(cls);
        assertNull(r.next(), "exactly one frame");
        return decoded;
    }

    @Test
    void controlMessagesRoundTrip() throws IOException {
        Hello hello = new Hello(1, "0.1.0", List.of("resumable-receive", "x"));
        assertEquals(hello, roundTrip(FrameType.HELLO, hello, Hello.class));

        ErrorReply error = new ErrorReply("zfs", "cannot receive", "cannot receive new filesystem stream: x\nline 2");
        assertEquals(error, roundTrip(FrameType.ERROR, error, ErrorReply.class));

        ReceiveCommand full = new ReceiveCommand("tank/home", "zrepl_1", -5L, null, false, true);
        assertEquals(full, roundTrip(FrameType.RECV, full, ReceiveCommand.class));
        ReceiveCommand incr = new ReceiveCommand("tank/home/ü", "s2", Long.MIN_VALUE, Long.MAX_VALUE, true, false);
        assertEquals(incr, roundTrip(FrameType.RECV, incr, ReceiveCommand.class));
        ReceiveCommand resume = new ReceiveCommand("tank/home", "s2", 7L, 3L, false, true, "1-ab-c0-789c", false);
        assertEquals(resume, roundTrip(FrameType.RECV, resume, ReceiveCommand.class));
        ReceiveCommand discard = new ReceiveCommand("tank/home", "s2", 7L, null, true, true, null, true);
        assertEquals(discard, roundTrip(FrameType.RECV, discard, ReceiveCommand.class));

        ReceiveResult result = new ReceiveResult(1L << 40, -1234567890123L);
        assertEquals(result, roundTrip(FrameType.RESULT, result, ReceiveResult.class));

        Listing listing = new Listing(List.of(
                new RemoteFilesystem("tank", true, List.of(), null),
                new RemoteFilesystem(
                        "tank/home",
                        false,
                        List.of(
                                new RemoteVersion("s1", VersionType.SNAPSHOT, -1L, 17, 1_700_000_000L),
                                new RemoteVersion("b1", VersionType.BOOKMARK, 42L, 18, 1_700_000_100L)),
                        "1-abc-def")));
        assertEquals(listing, roundTrip(FrameType.LISTING, listing, Listing.class));

        Hello withJob = new Hello(Wire.PROTOCOL_VERSION, "0.2.0", List.of(), "laptop_push");
        assertEquals(withJob, roundTrip(FrameType.HELLO, withJob, Hello.class));

        DestroyCommand destroy = new DestroyCommand(
                "tank/home", List.of(new DestroyTarget("zrepl_1", -7L), new DestroyTarget("zrepl_2", Long.MAX_VALUE)));
        assertEquals(destroy, roundTrip(FrameType.DESTROY, destroy, DestroyCommand.class));
        DestroyResult destroyed = new DestroyResult(
                List.of("zrepl_1"), List.of(new DestroyResult.Refusal("zrepl_2", "kept by the box's keep_floor")));
        assertEquals(destroyed, roundTrip(FrameType.DESTROYED, destroyed, DestroyResult.class));
    }

    @Test
    void destroyWireFormatIsTheDocumentedOne() throws IOException {
        FrameReader r = serverSideReader(frame(
                0x30,
                json("{\"path\":\"tank/a\",\"snapshots\":"
                        + "[{\"name\":\"s1\",\"guid\":-1},{\"name\":\"s2\",\"guid\":5}]}")));
        assertEquals(FrameType.DESTROY, r.next());
        assertEquals(
                new DestroyCommand("tank/a", List.of(new DestroyTarget("s1", -1), new DestroyTarget("s2", 5))),
                r.json(DestroyCommand.class));
        // Between peers that both list destroy-failed: zfs's failures apart from the box's refusals.
        FrameReader c = clientSideReader(frame(
                0x31,
                json("{\"destroyed\":[\"s1\"]," + "\"refused\":[{\"name\":\"s2\",\"reason\":\"no such snapshot\"}],"
                        + "\"failed\":[{\"name\":\"s3\",\"reason\":\"dataset is busy\"}]}")));
        assertEquals(FrameType.DESTROYED, c.next());
        assertEquals(
                new DestroyResult(
                        List.of("s1"),
                        List.of(new DestroyResult.Refusal("s2", "no such snapshot")),
                        List.of(new DestroyResult.Refusal("s3", "dataset is busy"))),
                c.json(DestroyResult.class));
        // Otherwise the shape before it, with zfs's failures among the refusals.
        FrameReader old = clientSideReader(frame(
                0x31,
                json("{\"destroyed\":[\"s1\"]," + "\"refused\":[{\"name\":\"s2\",\"reason\":\"no such snapshot\"}]}")));
        assertEquals(FrameType.DESTROYED, old.next());
        assertEquals(
                new DestroyResult.WithoutFailed(
                        List.of("s1"), List.of(new DestroyResult.Refusal("s2", "no such snapshot"))),
                old.json(DestroyResult.WithoutFailed.class));
    }

    private static ProtocolException badDestroy(String payload) {
        return assertThrows(ProtocolException.class, () -> {
            FrameReader r = serverSideReader(frame(0x30, json(payload)));
            r.next();
            r.json(DestroyCommand.class);
        });
    }

    @Test
    void malformedDestroyFramesDoNotFit() {
        assertEquals(
                "DESTROY frame does not fit its message: missing field 'snapshots'",
                badDestroy("{\"path\":\"a\"}").getMessage());
        assertEquals(
                "DESTROY frame carries JSON null instead of an object",
                badDestroy("null").getMessage());
        assertStartsWith(
                "DESTROY frame does not fit its message: ",
                badDestroy("{\"path\":\"a\",\"snapshots\":null}").getMessage());
        assertStartsWith(
                "DESTROY frame does not fit its message: ",
                badDestroy("{\"path\":\"a\",\"snapshots\":[null]}").getMessage());
        assertStartsWith(
                "DESTROY frame does not fit its message: ",
                badDestroy("{\"path\":\"a\",\"snapshots\":[{\"name\":\"s\"}]}").getMessage());
        assertStartsWith(
                "DESTROY frame does not fit its message: ",
                badDestroy("{\"path\":\"a\",\"snapshots\":[{\"name\":\"s\",\"guid\":null}]}")
                        .getMessage());
        assertStartsWith(
                "DESTROY frame does not fit its message: ",
                badDestroy("{\"path\":\"a\",\"snapshots\":[{\"name\":\"s\",\"guid\":\"1\"}]}")
                        .getMessage());
        assertStartsWith(
                "DESTROY frame does not fit its message: ",
                badDestroy("{\"path\":\"a\",\"snapshots\":{\"name\":\"s\",\"guid\":1}}")
                        .getMessage());
        assertStartsWith(
                "DESTROY frame does not fit its message: ",
                badDestroy("[\"a\",[]]").getMessage());
        // Strict decoding (docs/protocol.md): JSON is UTF-8 without a byte order mark, which Jackson would skip.
        assertEquals(
                "DESTROY frame does not fit its message: it starts with a UTF-8 byte order mark",
                badDestroy("\uFEFF{\"path\":\"a\",\"snapshots\":[]}").getMessage());
    }

    @Test
    void helloOfAnotherVersionIsReadForItsVersionOnly() throws IOException {
        // A version 1 HELLO has no "job"; a future one may have anything else besides protocol and software.
        FrameReader r =
                serverSideReader(frame(0x01, json("{\"protocol\":1,\"software\":\"0.1.0\"," + "\"capabilities\":[]}")));
        r.next();
        assertEquals(new Hello(1, "0.1.0", List.of()), r.hello());
        FrameReader future = serverSideReader(
                frame(0x01, json("{\"protocol\":99,\"software\":\"9.0.0\"," + "\"capabilities\":{\"new\":true}}")));
        future.next();
        assertEquals(new Hello(99, "9.0.0", List.of()), future.hello());
        FrameReader same = serverSideReader(frame(
                0x01, json("{\"protocol\":" + Wire.PROTOCOL_VERSION + ",\"software\":\"x\",\"capabilities\":[]}")));
        same.next();
        ProtocolException missingJob = assertThrows(ProtocolException.class, same::hello);
        assertEquals("HELLO frame does not fit its message: missing field 'job'", missingJob.getMessage());
    }

    @Test
    void emptyFramesAndMagicRoundTrip() throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        FrameWriter w = new FrameWriter(out, Wire.MAX_CONTROL_FROM_CLIENT);
        w.writeMagic();
        for (FrameType t : List.of(FrameType.LIST, FrameType.END, FrameType.ABORT, FrameType.BYE)) {
            w.empty(t);
        }
        FrameReader r = serverSideReader(out.toByteArray());
        r.readMagic();
        for (FrameType t : List.of(FrameType.LIST, FrameType.END, FrameType.ABORT, FrameType.BYE)) {
            assertEquals(t, r.next());
            assertEquals(0, r.length());
        }
        assertNull(r.next());
        assertNull(r.next(), "EOF stays EOF");
    }

    @Test
    void dataFramesRoundTripAndReuseTheBuffer() throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        FrameWriter w = new FrameWriter(out, Wire.MAX_CONTROL_FROM_CLIENT);
        byte[] buf = FrameWriter.newDataBuffer();
        for (int i = 0; i < Wire.MAX_DATA; i++) {
            buf[FrameWriter.DATA_OFFSET + i] = (byte) (i * 31);
        }
        w.data(buf, Wire.MAX_DATA);
        w.data(buf, 0);
        w.data(buf, 3);
        FrameReader r = serverSideReader(out.toByteArray());
        assertEquals(FrameType.DATA, r.next());
        assertEquals(Wire.MAX_DATA, r.length());
        assertArrayEquals(Arrays.copyOfRange(buf, 5, 5 + Wire.MAX_DATA), Arrays.copyOf(r.payload(), r.length()));
        byte[] first = r.payload();
        assertEquals(FrameType.DATA, r.next());
        assertEquals(0, r.length());
        assertEquals(FrameType.DATA, r.next());
        assertEquals(3, r.length());
        assertArrayEquals(Arrays.copyOfRange(buf, 5, 8), Arrays.copyOf(r.payload(), 3));
        assertSame(first, r.payload(), "no allocation per chunk");
        assertNull(r.next());
    }

    @Test
    void writerRefusesWrongUse() {
        FrameWriter w = new FrameWriter(new ByteArrayOutputStream(), Wire.MAX_CONTROL_FROM_CLIENT);
        assertThrows(IllegalArgumentException.class, () -> w.empty(FrameType.HELLO));
        assertThrows(IllegalArgumentException.class, () -> w.control(FrameType.BYE, new ReceiveResult(1, 2)));
        assertThrows(IllegalArgumentException.class, () -> w.data(FrameWriter.newDataBuffer(), Wire.MAX_DATA + 1));
        assertThrows(IllegalArgumentException.class, () -> w.data(new byte[10], 6));
    }

    @Test
    void writerRefusesAControlMessageBeyondThePeersLimit() {
        FrameWriter w = new FrameWriter(new ByteArrayOutputStream(), 100);
        ProtocolException e = assertThrows(
                ProtocolException.class, () -> w.control(FrameType.ERROR, new ErrorReply("zfs", "x".repeat(200), "")));
        assertEquals("ERROR message of 239 bytes exceeds the protocol limit of 100 bytes", e.getMessage());
    }

    @Test
    void garbageInsteadOfMagicIsNamed() {
        byte[] banner = json("This account is currently not available.\n");
        ProtocolException e = assertThrows(
                ProtocolException.class, () -> clientSideReader(banner).readMagic());
        assertEquals(
                "the server does not speak the zreplj protocol: it sent 'This acc' instead of the protocol"
                        + " greeting",
                e.getMessage());
    }

    @Test
    void shortGarbageThenEofIsNamed() {
        byte[] bytes = {'s', 'h', ':', '\n'};
        ProtocolException e = assertThrows(
                ProtocolException.class, () -> serverSideReader(bytes).readMagic());
        assertEquals(
                "the client does not speak the zreplj protocol: it sent 'sh:\\x0a' and closed the connection"
                        + " instead of the protocol greeting",
                e.getMessage());
    }

    @Test
    void eofBeforeMagic() {
        ProtocolException e = assertThrows(
                ProtocolException.class, () -> clientSideReader(new byte[0]).readMagic());
        assertEquals("the server closed the connection before the handshake", e.getMessage());
    }

    @Test
    void truncatedHeader() {
        ProtocolException e = assertThrows(
                ProtocolException.class,
                () -> serverSideReader(new byte[] {0x20, 0, 0}).next());
        assertEquals("the client closed the connection inside a frame header (3 of 5 bytes)", e.getMessage());
    }

    @Test
    void truncatedPayload() {
        byte[] f = frame(0x20, 100, json("{\"path\":"));
        ProtocolException e =
                assertThrows(ProtocolException.class, () -> serverSideReader(f).next());
        assertEquals("the client closed the connection inside a RECV frame (8 of 100 bytes)", e.getMessage());
    }

    @Test
    void unknownFrameType() {
        ProtocolException e = assertThrows(
                ProtocolException.class,
                () -> serverSideReader(frame(0x7f, new byte[0])).next());
        assertEquals("the client sent an unknown frame type 0x7f", e.getMessage());
        ProtocolException high = assertThrows(
                ProtocolException.class,
                () -> serverSideReader(frame(0xff, new byte[0])).next());
        assertEquals("the client sent an unknown frame type 0xff", high.getMessage());
    }

    @Test
    void oversizedControlFromClientIsRefusedBeforeReadingIt() {
        byte[] f = frame(0x20, Wire.MAX_CONTROL_FROM_CLIENT + 1, new byte[0]);
        ProtocolException e =
                assertThrows(ProtocolException.class, () -> serverSideReader(f).next());
        assertEquals("the client sent a RECV frame of 1048577 bytes; the limit is 1048576", e.getMessage());
    }

    @Test
    void clientAcceptsABigListingButNotBeyondItsLimit() throws IOException {
        byte[] big = new byte[2 << 20];
        Arrays.fill(big, (byte) ' ');
        byte[] body = json("{\"filesystems\":[]}");
        System.arraycopy(body, 0, big, 0, body.length);
        FrameReader r = clientSideReader(frame(0x11, big));
        assertEquals(FrameType.LISTING, r.next());
        assertEquals(List.of(), r.json(Listing.class).filesystems());

        byte[] tooBig = frame(0x11, Wire.MAX_CONTROL_FROM_SERVER + 1L, new byte[0]);
        ProtocolException e = assertThrows(
                ProtocolException.class, () -> clientSideReader(tooBig).next());
        assertEquals("the server sent a LISTING frame of 67108865 bytes; the limit is 67108864", e.getMessage());
    }

    @Test
    void oversizedDataAndNegativeLengths() {
        ProtocolException data = assertThrows(
                ProtocolException.class,
                () -> serverSideReader(frame(0x21, Wire.MAX_DATA + 1L, new byte[0]))
                        .next());
        assertEquals("the client sent a DATA frame of 1048577 bytes; the limit is 1048576", data.getMessage());
        ProtocolException huge = assertThrows(
                ProtocolException.class,
                () -> serverSideReader(frame(0x20, 0xffffffffL, new byte[0])).next());
        assertEquals("the client sent a RECV frame of 4294967295 bytes; the limit is 1048576", huge.getMessage());
    }

    @Test
    void payloadOnAnEmptyFrameType() {
        ProtocolException e = assertThrows(
                ProtocolException.class,
                () -> serverSideReader(frame(0x03, new byte[] {1})).next());
        assertEquals("the client sent a BYE frame of 1 bytes; the limit is 0", e.getMessage());
    }

    private static ProtocolException badRecv(String body) {
        return assertThrows(ProtocolException.class, () -> {
            FrameReader r = serverSideReader(frame(0x20, json(body)));
            r.next();
            r.json(ReceiveCommand.class);
        });
    }

    @Test
    void jsonThatDoesNotFit() {
        String ok = "\"snapshot\":\"s\",\"toGuid\":1,\"fromGuid\":null,\"rollback\":false,\"resumable\":false,"
                + "\"resumeToken\":null,\"discardPartial\":false";
        assertEquals(
                "RECV frame does not fit its message: missing field 'path'",
                badRecv("{" + ok + "}").getMessage());
        assertEquals(
                "RECV frame carries JSON null instead of an object",
                badRecv("null").getMessage());
        assertStartsWith(
                "RECV frame does not fit its message: Unrecognized token 'hello'",
                badRecv("hello").getMessage());
        assertStartsWith("RECV frame does not fit its message: ", badRecv("").getMessage());
        assertStartsWith(
                "RECV frame does not fit its message: ",
                badRecv("{\"path\":\"a\"," + ok).getMessage());
        assertStartsWith(
                "RECV frame does not fit its message: ",
                badRecv("[\"a\",\"s\",1,null,false,false,null,false]").getMessage());
        // A version 2 agent's RECV: the fields version 3 added are missing, not silently defaulted.
        assertEquals(
                "RECV frame does not fit its message: missing field 'resumeToken'",
                badRecv("{\"path\":\"a\"," + ok.substring(0, ok.indexOf(",\"resumeToken\"")) + "}")
                        .getMessage());
        assertStartsWith(
                "RECV frame does not fit its message: ",
                badRecv("{\"path\":\"a\"," + ok.replace("\"discardPartial\":false", "\"discardPartial\":null") + "}")
                        .getMessage());
        assertStartsWith(
                "RECV frame does not fit its message: ",
                badRecv("{\"path\":\"a\"," + ok.replace("\"toGuid\":1", "\"toGuid\":\"1\"") + "}")
                        .getMessage());
        assertStartsWith(
                "RECV frame does not fit its message: ",
                badRecv("{\"path\":\"a\"," + ok.replace("\"toGuid\":1", "\"toGuid\":null") + "}")
                        .getMessage());
        assertStartsWith(
                "RECV frame does not fit its message: ",
                badRecv("{\"path\":\"a\"," + ok.replace("\"toGuid\":1", "\"toGuid\":1.5") + "}")
                        .getMessage());
        assertStartsWith(
                "RECV frame does not fit its message: ",
                badRecv("{\"path\":\"a\"," + ok.replace("\"toGuid\":1", "\"toGuid\":18446744073709551616") + "}")
                        .getMessage());
        assertStartsWith(
                "RECV frame does not fit its message: ",
                badRecv("{\"path\":\"a\"," + ok + "} {}").getMessage());
        assertStartsWith(
                "RECV frame does not fit its message: ",
                badRecv("{\"path\":[1]," + ok + "}").getMessage());
    }

    @Test
    void wrongTypesForTextFieldsDoNotFit() {
        String ok = "\"toGuid\":1,\"fromGuid\":null,\"rollback\":false,\"resumable\":false,"
                + "\"resumeToken\":null,\"discardPartial\":false";
        for (String path : List.of("1", "-7", "1.5", "true", "{}")) {
            assertStartsWith(
                    "RECV frame does not fit its message: ",
                    badRecv("{\"path\":" + path + ",\"snapshot\":\"s\"," + ok + "}")
                            .getMessage());
            assertStartsWith(
                    "RECV frame does not fit its message: ",
                    badRecv("{\"path\":\"a\",\"snapshot\":" + path + "," + ok + "}")
                            .getMessage());
        }
        assertStartsWith(
                "RECV frame does not fit its message: ",
                badRecv("{\"path\":\"a\",\"snapshot\":\"s\"," + ok.replace("\"resumeToken\":null", "\"resumeToken\":5")
                                + "}")
                        .getMessage());
        assertStartsWith(
                "DESTROY frame does not fit its message: ",
                badDestroy("{\"path\":\"a\",\"snapshots\":[{\"name\":12,\"guid\":1}]}")
                        .getMessage());
        FrameReader hello = serverSideReader(frame(
                0x01,
                json("{\"protocol\":" + Wire.PROTOCOL_VERSION
                        + ",\"software\":\"x\",\"capabilities\":[1],\"job\":\"j\"}")));
        assertThrows(ProtocolException.class, () -> {
            hello.next();
            hello.hello();
        });
        FrameReader job = serverSideReader(frame(
                0x01,
                json("{\"protocol\":" + Wire.PROTOCOL_VERSION
                        + ",\"software\":\"x\",\"capabilities\":[],\"job\":42}")));
        assertThrows(ProtocolException.class, () -> {
            job.next();
            job.hello();
        });
    }

    @Test
    void jsonErrorsAreOneLine() {
        ProtocolException e = badRecv("{\"path\":\n\n[");
        assertEquals(1, e.getMessage().lines().count(), e.getMessage());
    }

    @Test
    void unknownJsonFieldsAreIgnoredForForwardCompatibility() throws IOException {
        FrameReader r = serverSideReader(frame(
                0x20,
                json("{\"path\":\"a\",\"snapshot\":\"s\",\"toGuid\":1,"
                        + "\"fromGuid\":2,\"rollback\":true,\"resumable\":false,\"resumeToken\":null,\"discardPartial\":false,"
                        + "\"later\":{\"x\":1}}")));
        r.next();
        assertEquals(new ReceiveCommand("a", "s", 1, 2L, true, false), r.json(ReceiveCommand.class));
    }

    @Test
    void nullListInAListingDoesNotFit() {
        ProtocolException e = assertThrows(ProtocolException.class, () -> {
            FrameReader r = clientSideReader(frame(
                    0x11,
                    json("{\"filesystems\":[{\"path\":\"a\","
                            + "\"placeholder\":false,\"versions\":null,\"resumeToken\":null}]}")));
            r.next();
            r.json(Listing.class);
        });
        assertStartsWith("LISTING frame does not fit its message: ", e.getMessage());
    }

    @Test
    void unknownVersionTypeDoesNotFit() {
        ProtocolException e = assertThrows(ProtocolException.class, () -> {
            FrameReader r = clientSideReader(frame(
                    0x11,
                    json("{\"filesystems\":[{\"path\":\"a\",\"placeholder\":false,"
                            + "\"versions\":[{\"name\":\"s\",\"type\":\"CLONE\",\"guid\":1,\"createtxg\":2,\"creation\":3}],"
                            + "\"resumeToken\":null}]}")));
            r.next();
            r.json(Listing.class);
        });
        assertStartsWith("LISTING frame does not fit its message: ", e.getMessage());
    }

    private static void assertStartsWith(String prefix, String actual) {
        if (!actual.startsWith(prefix)) {
            throw new AssertionError("expected a message starting with <" + prefix + "> but was <" + actual + ">");
        }
    }
}
