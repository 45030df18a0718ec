package dev.zreplj.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.zreplj.zfs.VersionType;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** SinkClient against a scripted server on piped streams. */
@Timeout(value = 20, unit = TimeUnit.SECONDS)
class SinkClientTest {
    interface Script {
        void run(FrameReader r, FrameWriter w) throws Exception;
    }

    private SinkClient client;
    private CompletableFuture<Void> server;
    /** How the client {@link #start} makes compresses where the server allows it. */
    private StreamCompression compression = StreamCompression.OFF;
    /** The clock that times the client's chunks: real time unless a test moves its own. */
    private LongSupplier nanoTime = System::nanoTime;

    /** The client's stream to the server, where a raw receive's sender writes too (as zfs send into the FIFO). */
    private PipedOutputStream toServer;

    private void start(Script script) throws IOException {
        PipedInputStream serverIn = new PipedInputStream(4 << 20);
        toServer = new PipedOutputStream(serverIn);
        PipedInputStream clientIn = new PipedInputStream(1 << 20);
        PipedOutputStream toClient = new PipedOutputStream(clientIn);
        client = compression == StreamCompression.OFF
                ? new SinkClient(clientIn, toServer)
                : new SinkClient(clientIn, toServer, () -> {}, compression, nanoTime);
        server = CompletableFuture.runAsync(() -> {
            try (toClient;
                    serverIn) {
                FrameReader r = new FrameReader(serverIn, "client", Wire.MAX_CONTROL_FROM_CLIENT);
                FrameWriter w = new FrameWriter(toClient, Wire.MAX_CONTROL_FROM_SERVER);
                script.run(r, w);
                w.flush();
            } catch (Exception e) {
                throw new RuntimeException(e);
            }
        });
    }

    @AfterEach
    void serverFinished() throws Exception {
        if (server != null) {
            server.get(10, TimeUnit.SECONDS);
        }
    }

    static void serverHello(FrameReader r, FrameWriter w, int protocol) throws IOException {
        w.writeMagic();
        w.control(FrameType.HELLO, new Hello(protocol, "9.9", List.of("resumable-receive")));
        w.flush();
        r.readMagic();
        assertEquals(FrameType.HELLO, r.next());
        assertEquals(Wire.PROTOCOL_VERSION, r.json(Hello.class).protocol());
    }

    private static void restoreHello(FrameReader r, FrameWriter w) throws IOException {
        w.writeMagic();
        w.control(FrameType.HELLO, new Hello(Wire.PROTOCOL_VERSION, "9.9", List.of(Wire.RESTORE)));
        w.flush();
        r.readMagic();
        assertEquals(FrameType.HELLO, r.next());
    }

    @Test
    void sendWritesTheBoxsStreamToTheSinkUntilSent() throws Exception {
        byte[] stream = new byte[(1 << 20) + 123];
        new Random(7).nextBytes(stream);
        SendCommand cmd = new SendCommand("tank/a", "s2", "@s1", null);
        start((r, w) -> {
            restoreHello(r, w);
            assertEquals(FrameType.SEND, r.next());
            assertEquals(cmd, r.json(SendCommand.class));
            byte[] buf = FrameWriter.newDataBuffer();
            System.arraycopy(stream, 0, buf, FrameWriter.DATA_OFFSET, 1 << 20);
            w.data(buf, 1 << 20);
            System.arraycopy(stream, 1 << 20, buf, FrameWriter.DATA_OFFSET, 123);
            w.data(buf, 123);
            w.control(FrameType.SENT, new SendResult(stream.length, true));
            w.flush();
            assertEquals(FrameType.BYE, r.next());
        });
        client.handshake();
        ByteArrayOutputStream sink = new ByteArrayOutputStream();
        assertEquals(new SendResult(stream.length, true), client.send(cmd, sink));
        assertTrue(java.util.Arrays.equals(stream, sink.toByteArray()));
        client.close();
    }

    @Test
    void sendToABoxWithoutTheCapabilitySendsNothingAndSaysWhy() throws Exception {
        start((r, w) -> {
            serverHello(r, w, Wire.PROTOCOL_VERSION);
            assertEquals(FrameType.BYE, r.next(), "no SEND reached the box");
        });
        client.handshake();
        RemoteException e = assertThrows(
                RemoteException.class,
                () -> client.send(new SendCommand("tank/a", "s1", null, null), new ByteArrayOutputStream()));
        assertEquals("forbidden", e.code());
        assertTrue(e.getMessage().startsWith("the backup box does not offer restores"), e.getMessage());
        client.close();
    }

    /** serve.restore: false (or an older box): the box lists, and the restore is refused saying why, no SEND sent. */
    @Test
    void requireRestoreOfABoxThatServesTheClientButNoRestoresSaysRestoresAreOff() throws Exception {
        start((r, w) -> {
            serverHello(r, w, Wire.PROTOCOL_VERSION);
            assertEquals(FrameType.LIST, r.next());
            w.control(FrameType.LISTING, new Listing(List.of()));
            w.flush();
            assertEquals(FrameType.BYE, r.next(), "no SEND reached the box");
        });
        client.handshake();
        RemoteException e = assertThrows(RemoteException.class, client::requireRestore);
        assertEquals("forbidden", e.code());
        assertTrue(e.getMessage().startsWith("the backup box does not offer restores"), e.getMessage());
        client.close();
    }

    @Test
    void aRefusalMidStreamAndAFrameOutOfPlaceEndTheSend() throws Exception {
        start((r, w) -> {
            restoreHello(r, w);
            assertEquals(FrameType.SEND, r.next());
            byte[] buf = FrameWriter.newDataBuffer();
            w.data(buf, 10);
            w.control(FrameType.ERROR, new ErrorReply("zfs", "zfs send failed", "I/O error"));
            w.flush();
            assertEquals(FrameType.SEND, r.next());
            w.control(FrameType.RESULT, new ReceiveResult(1, 2));
            w.flush();
        });
        client.handshake();
        ByteArrayOutputStream sink = new ByteArrayOutputStream();
        RemoteException e = assertThrows(
                RemoteException.class, () -> client.send(new SendCommand("tank/a", "s1", null, null), sink));
        assertEquals("zfs", e.code());
        assertEquals(10, sink.size());
        ProtocolException p = assertThrows(
                ProtocolException.class,
                () -> client.send(new SendCommand("tank/a", "s1", null, null), new ByteArrayOutputStream()));
        assertEquals("the server sent a RESULT frame where DATA, SENT or ERROR was expected", p.getMessage());
    }

    @Test
    void handshakeListAndBye() throws Exception {
        RemoteFilesystem fs = new RemoteFilesystem(
                "tank/a", false, List.of(new RemoteVersion("s1", VersionType.SNAPSHOT, 5, 10, 1000)), null);
        start((r, w) -> {
            serverHello(r, w, Wire.PROTOCOL_VERSION);
            assertEquals(FrameType.LIST, r.next());
            w.control(FrameType.LISTING, new Listing(List.of(fs)));
            w.flush();
            assertEquals(FrameType.BYE, r.next());
        });
        client.handshake();
        assertEquals(List.of("resumable-receive"), client.serverHello().capabilities());
        assertEquals(List.of(fs), client.listFilesystems());
        client.close();
        client.close();
    }

    @Test
    void detailedListingCarriesSizesEncryptionAndTheBoxsClockAndItsNullsSurviveTheWire() throws Exception {
        DetailedFilesystem fs = new DetailedFilesystem(
                "tank/a",
                true,
                List.of(
                        new DetailedVersion("s1", VersionType.SNAPSHOT, -5, 10, 1000, 4096L),
                        new DetailedVersion("b1", VersionType.BOOKMARK, 6, 11, 1001, null)),
                "1-abc",
                123_456_789L,
                null,
                "aes-256-gcm");
        DetailedFilesystem fuse = new DetailedFilesystem("tank/b", false, List.of(), null, 0L, 512L, null);
        start((r, w) -> {
            w.writeMagic();
            w.control(FrameType.HELLO, new Hello(Wire.PROTOCOL_VERSION, "9.9", List.of(Wire.LIST_DETAILS)));
            w.flush();
            r.readMagic();
            assertEquals(FrameType.HELLO, r.next());
            assertEquals(FrameType.LIST_DETAILED, r.next());
            w.control(FrameType.DETAILED_LISTING, new DetailedListing(1_800_000_000L, List.of(fs, fuse)));
            w.flush();
            assertEquals(FrameType.BYE, r.next());
        });
        client.handshake();
        assertEquals(Optional.of(new DetailedListing(1_800_000_000L, List.of(fs, fuse))), client.listDetailed());
        client.close();
    }

    @Test
    void anOlderBoxGetsNoListDetailedAndTheClientKnowsToFallBack() throws Exception {
        start((r, w) -> {
            serverHello(r, w, Wire.PROTOCOL_VERSION);
            assertEquals(FrameType.BYE, r.next(), "nothing but BYE reached a box without list-details");
        });
        client.handshake();
        assertEquals(Optional.empty(), client.listDetailed());
        client.close();
    }

    /**
     * LIST_ROOTS goes only to a box that offers list-roots, with 1 to MAX_LIST_ROOTS roots; otherwise the
     * client asks for the whole jail with LIST (a superset, which the caller filters).
     */
    @Test
    void listRootsGoesOnlyToABoxThatOffersItWithinItsLimit() throws Exception {
        RemoteFilesystem fs = new RemoteFilesystem("tank/a", false, List.of(), null);
        List<String> many = new java.util.ArrayList<>();
        for (int i = 0; i <= Wire.MAX_LIST_ROOTS; i++) {
            many.add("tank/f" + i);
        }
        start((r, w) -> {
            w.writeMagic();
            w.control(FrameType.HELLO, new Hello(Wire.PROTOCOL_VERSION, "9.9", List.of(Wire.LIST_ROOTS)));
            w.flush();
            r.readMagic();
            assertEquals(FrameType.HELLO, r.next());
            assertEquals(FrameType.LIST_ROOTS, r.next());
            assertEquals(new ListRoots(List.of("tank/a", "tank/b")), r.json(ListRoots.class));
            w.control(FrameType.LISTING, new Listing(List.of(fs)));
            w.flush();
            assertEquals(FrameType.LIST, r.next(), "no roots: the whole jail");
            w.control(FrameType.LISTING, new Listing(List.of(fs)));
            w.flush();
            assertEquals(FrameType.LIST, r.next(), "more roots than a LIST_ROOTS may name: the whole jail");
            w.control(FrameType.LISTING, new Listing(List.of(fs)));
            w.flush();
            assertEquals(FrameType.BYE, r.next());
        });
        client.handshake();
        assertEquals(List.of(fs), client.listFilesystems(List.of("tank/a", "tank/b")));
        assertEquals(List.of(fs), client.listFilesystems(List.of()));
        assertEquals(List.of(fs), client.listFilesystems(many));
        client.close();
    }

    @Test
    void anOlderBoxIsAskedWithListForTheSameRoots() throws Exception {
        RemoteFilesystem fs = new RemoteFilesystem("tank/a", false, List.of(), null);
        start((r, w) -> {
            serverHello(r, w, Wire.PROTOCOL_VERSION);
            assertEquals(FrameType.LIST, r.next(), "a box without list-roots gets LIST");
            w.control(FrameType.LISTING, new Listing(List.of(fs)));
            w.flush();
            assertEquals(FrameType.BYE, r.next());
        });
        client.handshake();
        assertEquals(List.of(fs), client.listFilesystems(List.of("tank/a")));
        client.close();
    }

    @Test
    void versionMismatchNamesBoth() throws Exception {
        start((r, w) -> serverHello(r, w, 99));
        RemoteException e = assertThrows(RemoteException.class, () -> client.handshake());
        assertEquals("version", e.code());
        assertEquals(
                "protocol mismatch: this agent speaks zreplj protocol 3 (zreplj dev), the backup box speaks 99"
                        + " (zreplj 9.9); update zreplj on this machine to the backup box's version",
                e.getMessage());
    }

    @Test
    void anOlderBoxIsNamedAsTheSideToUpdate() throws Exception {
        start((r, w) -> serverHello(r, w, 2));
        RemoteException e = assertThrows(RemoteException.class, () -> client.handshake());
        assertEquals("version", e.code());
        assertTrue(
                e.getMessage()
                        .endsWith("the backup box speaks 2 (zreplj 9.9); update zreplj on the backup box to this"
                                + " agent's version"),
                e.getMessage());
    }

    /**
     * A box at its channel cap reads the HELLO, answers HELLO and ERROR busy, and exits: the agent's next request
     * then fails to write, and its summary showed only the SSH library's words ("write(ChannelOutputStream[...])
     * ... channel already closed") instead of the box's reason.
     */
    @Test
    void aRequestTheBoxClosedTheChannelBeforeReportsTheBoxsError() throws Exception {
        ByteArrayOutputStream server = new ByteArrayOutputStream();
        FrameWriter w = new FrameWriter(server, Wire.MAX_CONTROL_FROM_SERVER);
        w.writeMagic();
        w.control(FrameType.HELLO, new Hello(Wire.PROTOCOL_VERSION, "9.9", List.of()));
        w.control(
                FrameType.ERROR, new ErrorReply("busy", "client 'c4' already has its maximum of 8 channels open", ""));
        w.flush();
        boolean[] open = {true};
        java.io.OutputStream channel = new java.io.OutputStream() {
            @Override
            public void write(int b) throws IOException {
                write(new byte[] {(byte) b}, 0, 1);
            }

            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                if (!open[0]) {
                    throw new IOException(
                            "write(ChannelOutputStream[ChannelExec[id=0]]) len=" + len + " - channel already closed");
                }
            }
        };
        SinkClient c = new SinkClient(new ByteArrayInputStream(server.toByteArray()), channel);
        c.handshake("c4_to_box");
        open[0] = false;
        RemoteException e = assertThrows(RemoteException.class, () -> c.listFilesystems(List.of("tank/a")));
        assertEquals("busy", e.code());
        assertEquals("client 'c4' already has its maximum of 8 channels open", e.getMessage());
    }

    @Test
    void handshakeNamesTheJobOrNone() throws Exception {
        start((r, w) -> {
            w.writeMagic();
            w.control(FrameType.HELLO, new Hello(Wire.PROTOCOL_VERSION, "9.9", List.of()));
            w.flush();
            r.readMagic();
            assertEquals(FrameType.HELLO, r.next());
            assertEquals("laptop_push", r.hello().job());
        });
        client.handshake("laptop_push");
    }

    @Test
    void destroyReportsWhatTheBoxDidAndSplitsLongLists() throws Exception {
        List<DestroyTarget> targets = new java.util.ArrayList<>();
        for (int i = 0; i < SinkClient.DESTROY_BATCH + 1; i++) {
            targets.add(new DestroyTarget("s" + i, i));
        }
        start((r, w) -> {
            serverHello(r, w, Wire.PROTOCOL_VERSION);
            assertEquals(FrameType.DESTROY, r.next());
            DestroyCommand first = r.json(DestroyCommand.class);
            assertEquals(new DestroyCommand("tank/a", targets.subList(0, SinkClient.DESTROY_BATCH)), first);
            w.control(
                    FrameType.DESTROYED,
                    new DestroyResult(
                            List.of("s0", "s1"),
                            List.of(new DestroyResult.Refusal("s2", "kept by the box's keep_floor"))));
            w.flush();
            assertEquals(FrameType.DESTROY, r.next());
            assertEquals(
                    new DestroyCommand("tank/a", List.of(targets.get(SinkClient.DESTROY_BATCH))),
                    r.json(DestroyCommand.class));
            w.control(FrameType.DESTROYED, new DestroyResult(List.of("s" + SinkClient.DESTROY_BATCH), List.of()));
            w.flush();
            assertEquals(FrameType.DESTROY, r.next());
            w.control(FrameType.ERROR, new ErrorReply("jail", "dataset path '../x' is invalid", ""));
        });
        client.handshake();
        assertEquals(
                new DestroyResult(
                        List.of("s0", "s1", "s" + SinkClient.DESTROY_BATCH),
                        List.of(new DestroyResult.Refusal("s2", "kept by the box's keep_floor"))),
                client.destroy("tank/a", targets));
        assertEquals(new DestroyResult(List.of(), List.of()), client.destroy("tank/a", List.of()));
        RemoteException e =
                assertThrows(RemoteException.class, () -> client.destroy("../x", List.of(new DestroyTarget("s", 1))));
        assertEquals("jail", e.code());
    }

    @Test
    void serverErrorInsteadOfHello() throws Exception {
        start((r, w) -> {
            w.writeMagic();
            w.control(FrameType.ERROR, new ErrorReply("client", "client 'x' is not listed", ""));
        });
        RemoteException e = assertThrows(RemoteException.class, () -> client.handshake());
        assertEquals("client", e.code());
        assertEquals("client 'x' is not listed", e.getMessage());
    }

    /**
     * The box's words reach the agent's log (the journal), its status file and the admin's terminal: a hostile box
     * must not end a line there (a forged journal entry) or send escape sequences to the terminal.
     */
    @Test
    void aBoxsErrorCannotEndALineOrSendEscapeSequences() throws Exception {
        start((r, w) -> {
            w.writeMagic();
            w.control(
                    FrameType.ERROR,
                    new ErrorReply(
                            "zfs\n",
                            "refused\nDec 6 agent[1]: pass ok\u001b]0;owned\u0007\u001b[2J\u0000",
                            "first\u001b[31m line\nsecond\r line"));
        });
        RemoteException e = assertThrows(RemoteException.class, () -> client.handshake());
        assertEquals("zfs\\x0a", e.code());
        assertEquals("refused\\x0aDec 6 agent[1]: pass ok\\x1b]0;owned\\x07\\x1b[2J\\x00", e.getMessage());
        assertEquals("first\\x1b[31m line\nsecond\\x0d line", e.detail(), "zfs's stderr keeps its lines, only those");
    }

    /** Names the box lists are printed and planned with: one that is no ZFS name is the box breaking the protocol. */
    @Test
    void aListingWithANameThatIsNoZfsNameIsRefused() throws Exception {
        List<RemoteFilesystem> forged = List.of(
                new RemoteFilesystem("tank/a\u001b[2J", false, List.of(), null),
                new RemoteFilesystem(
                        "tank/a", false, List.of(new RemoteVersion("s\nx", VersionType.SNAPSHOT, 5, 10, 1000)), null));
        for (RemoteFilesystem fs : forged) {
            start((r, w) -> {
                serverHello(r, w, Wire.PROTOCOL_VERSION);
                assertEquals(FrameType.LIST, r.next());
                w.control(FrameType.LISTING, new Listing(List.of(fs)));
                w.flush();
            });
            client.handshake();
            RemoteException e = assertThrows(RemoteException.class, () -> client.listFilesystems());
            assertEquals("protocol", e.code());
            assertTrue(e.getMessage().startsWith("the backup box listed an invalid name: "), e.getMessage());
            assertFalse(e.getMessage().chars().anyMatch(c -> c < 0x20), e.getMessage());
            server.get(10, TimeUnit.SECONDS);
        }
    }

    /** A listing's shape as a hostile box may write it: any text where the protocol has an enum. */
    record ForgedVersion(String name, String type, long guid, long createtxg, long creation) {}

    record ForgedFilesystem(String path, boolean placeholder, List<ForgedVersion> versions, String resumeToken) {}

    record ForgedListing(List<ForgedFilesystem> filesystems) {}

    /**
     * A frame that does not decode is reported with the decoder's words, which quote the box's value: that quote
     * reaches the summary, the status file and the journal as any box text does, so it is escaped as an ERROR is.
     */
    @Test
    void aFrameThatDoesNotDecodeCannotSendEscapeSequencesThroughTheDecodersWords() throws Exception {
        start((r, w) -> {
            serverHello(r, w, Wire.PROTOCOL_VERSION);
            assertEquals(FrameType.LIST, r.next());
            w.control(
                    FrameType.LISTING,
                    new ForgedListing(List.of(new ForgedFilesystem(
                            "tank/a",
                            false,
                            List.of(new ForgedVersion("s", "\u001b]0;owned\u0007\u009b2Jsnap", 5, 10, 1000)),
                            null))));
            w.flush();
        });
        client.handshake();
        ProtocolException e = assertThrows(ProtocolException.class, () -> client.listFilesystems());
        assertEquals(
                "LISTING frame does not fit its message: 'type' has no value" + " \"\\x1b]0;owned\\x07\\x9b2Jsnap\"",
                e.getMessage());
    }

    /**
     * The box chooses the length of its words as well: an ERROR of megabytes went whole into the failure line, the
     * status file (rewritten every pass), the journal and cron's mail. Cut as the box cuts a client's text in its
     * log, saying how much was left out.
     */
    @Test
    void aBoxsErrorOfMegabytesIsCutSayingHowMuch() throws Exception {
        start((r, w) -> {
            w.writeMagic();
            w.control(
                    FrameType.ERROR,
                    new ErrorReply("c".repeat(5000), "m".repeat(100_000), "first line\n" + "d".repeat(100_000)));
        });
        RemoteException e = assertThrows(RemoteException.class, () -> client.handshake());
        assertEquals("c".repeat(Printable.MAX_WORD) + "... (4744 more characters)", e.code());
        assertEquals("m".repeat(Printable.MAX_TEXT) + "... (98000 more characters)", e.getMessage());
        assertEquals(
                "first line\n" + "d".repeat(Printable.MAX_DETAIL - 11) + "... (92011 more characters)", e.detail());
    }

    /** The same for a HELLO's software version, which a version mismatch and 'box list' quote. */
    @Test
    void aBoxsSoftwareVersionOfMegabytesIsCutSayingHowMuch() throws Exception {
        start((r, w) -> {
            w.writeMagic();
            w.control(FrameType.HELLO, new Hello(2, "v".repeat(100_000), List.of()));
            w.flush();
            r.readMagic();
            r.next();
        });
        RemoteException e = assertThrows(RemoteException.class, () -> client.handshake());
        assertEquals(
                "protocol mismatch: this agent speaks zreplj protocol 3 (zreplj dev), the backup box speaks 2 (zreplj "
                        + "v".repeat(Printable.MAX_WORD) + "... (99744 more characters)); update zreplj on the backup"
                        + " box to this agent's version",
                e.getMessage());
    }

    /** A DESTROYED reply's names and reasons are the box's words too, printed in the prune report. */
    @Test
    void aDestroyReplyOfMegabytesIsCutSayingHowMuch() throws Exception {
        start((r, w) -> {
            serverHello(r, w, Wire.PROTOCOL_VERSION);
            assertEquals(FrameType.DESTROY, r.next());
            w.control(
                    FrameType.DESTROYED,
                    new DestroyResult(
                            List.of("n".repeat(10_000)),
                            List.of(
                                    new DestroyResult.Refusal("s", "r".repeat(10_000)),
                                    new DestroyResult.Refusal("f".repeat(10_000), "why"))));
            w.flush();
        });
        client.handshake();
        DestroyResult result = client.destroy("tank/a", List.of(new DestroyTarget("s", 1)));
        assertEquals(List.of("n".repeat(Printable.MAX_WORD) + "... (9744 more characters)"), result.destroyed());
        assertEquals(
                List.of(
                        new DestroyResult.Refusal("s", "r".repeat(Printable.MAX_TEXT) + "... (8000 more characters)"),
                        new DestroyResult.Refusal(
                                "f".repeat(Printable.MAX_WORD) + "... (9744 more characters)", "why")),
                result.refused());
    }

    /** ZFS names a snapshot in at most 255 characters with its dataset: a listed name beyond that is no ZFS name. */
    @Test
    void aListedSnapshotNameLongerThanZfsAllowsIsRefused() throws Exception {
        start((r, w) -> {
            serverHello(r, w, Wire.PROTOCOL_VERSION);
            assertEquals(FrameType.LIST, r.next());
            w.control(
                    FrameType.LISTING,
                    new Listing(List.of(new RemoteFilesystem(
                            "tank/a",
                            false,
                            List.of(new RemoteVersion("x".repeat(100_000), VersionType.SNAPSHOT, 5, 10, 1000)),
                            null))));
            w.flush();
        });
        client.handshake();
        RemoteException e = assertThrows(RemoteException.class, () -> client.listFilesystems());
        assertEquals("protocol", e.code());
        assertEquals(
                "the backup box listed an invalid name: tank/a@xxxxxxxxxx... is 100007 characters long, longer than"
                        + " ZFS's 255; it is not a zreplj box of this version, or it is broken",
                e.getMessage());
    }

    @Test
    void loginBannerIsDetected() throws Exception {
        start((r, w) -> w.flush());
        server.get(10, TimeUnit.SECONDS);
        server = null;
        ProtocolException e = assertThrows(ProtocolException.class, () -> client.handshake());
        assertEquals("the server closed the connection before the handshake", e.getMessage());
    }

    @Test
    void requestsBeforeHandshakeAreAProgrammingError() {
        SinkClient c = new SinkClient(new ByteArrayInputStream(new byte[0]), new ByteArrayOutputStream());
        assertThrows(IllegalStateException.class, c::listFilesystems);
    }

    @Test
    void receiveStreamsEverythingInBigFrames() throws Exception {
        byte[] stream = new byte[3 * Wire.MAX_DATA + 12345];
        new Random(1).nextBytes(stream);
        ReceiveCommand cmd = new ReceiveCommand("tank/a", "s2", 7, 5L, false, true);
        start((r, w) -> {
            serverHello(r, w, Wire.PROTOCOL_VERSION);
            assertEquals(FrameType.RECV, r.next());
            assertEquals(cmd, r.json(ReceiveCommand.class));
            ByteArrayOutputStream got = new ByteArrayOutputStream();
            int frames = 0;
            while (r.next() == FrameType.DATA) {
                got.write(r.payload(), 0, r.length());
                frames++;
            }
            assertEquals(FrameType.END, r.type());
            assertEquals(4, frames);
            assertTrue(java.util.Arrays.equals(stream, got.toByteArray()));
            w.control(FrameType.RESULT, new ReceiveResult(stream.length, 7));
        });
        client.handshake();
        assertEquals(new ReceiveResult(stream.length, 7), client.receive(cmd, new ByteArrayInputStream(stream)));
    }

    /**
     * The box checks the stream's header and starts zfs recv on the first bytes, and asks zfs about the target
     * on the RECV: neither may wait for zfs send to fill a chunk. Here the source gives nothing until the
     * server has the RECV, then only its 312-byte BEGIN record until the server has that as a frame.
     */
    @Test
    @Timeout(20)
    void theRecvAndTheStreamsFirstBytesGoWithoutWaitingForAFullChunk() throws Exception {
        byte[] begin = new byte[312];
        byte[] rest = new byte[2 * Wire.MAX_DATA + 5];
        new Random(3).nextBytes(begin);
        new Random(4).nextBytes(rest);
        PipedInputStream source = new PipedInputStream(4 << 20);
        PipedOutputStream zfsSend = new PipedOutputStream(source);
        ReceiveCommand cmd = new ReceiveCommand("tank/a", "s2", 7, 5L, false, true);
        start((r, w) -> {
            serverHello(r, w, Wire.PROTOCOL_VERSION);
            assertEquals(FrameType.RECV, r.next());
            assertEquals(cmd, r.json(ReceiveCommand.class));
            zfsSend.write(begin);
            zfsSend.flush();
            assertEquals(FrameType.DATA, r.next());
            assertEquals(begin.length, r.length());
            assertTrue(java.util.Arrays.equals(begin, java.util.Arrays.copyOf(r.payload(), r.length())));
            zfsSend.write(rest);
            zfsSend.close();
            ByteArrayOutputStream got = new ByteArrayOutputStream();
            while (r.next() == FrameType.DATA) {
                got.write(r.payload(), 0, r.length());
            }
            assertEquals(FrameType.END, r.type());
            assertTrue(java.util.Arrays.equals(rest, got.toByteArray()));
            w.control(FrameType.RESULT, new ReceiveResult(begin.length + rest.length, 7));
        });
        client.handshake();
        assertEquals(new ReceiveResult(begin.length + rest.length, 7), client.receive(cmd, source));
    }

    /** A stream of text, random data, text: what compresses goes as ZDATA, the rest as DATA. */
    private static byte[] mixedStream() {
        byte[] random = new byte[Wire.MAX_DATA];
        new Random(7).nextBytes(random);
        byte[] text = StreamCompressionTest.text(Wire.MAX_DATA, 8);
        byte[] stream = new byte[3 * Wire.MAX_DATA];
        System.arraycopy(text, 0, stream, 0, Wire.MAX_DATA);
        System.arraycopy(random, 0, stream, Wire.MAX_DATA, Wire.MAX_DATA);
        System.arraycopy(text, 0, stream, 2 * Wire.MAX_DATA, Wire.MAX_DATA);
        return stream;
    }

    /** Decodes DATA and ZDATA frames up to END as the box does; returns the frame types in order. */
    private static List<FrameType> readStream(FrameReader r, ByteArrayOutputStream got) throws IOException {
        List<FrameType> types = new java.util.ArrayList<>();
        try (StreamInflater inflater = new StreamInflater()) {
            for (FrameType t = r.next(); t != FrameType.END; t = r.next()) {
                types.add(t);
                if (t == FrameType.ZDATA) {
                    got.write(inflater.buffer(), 0, inflater.inflate(r.payload(), r.length()));
                } else {
                    assertEquals(FrameType.DATA, t);
                    got.write(r.payload(), 0, r.length());
                }
            }
        }
        return types;
    }

    @Test
    void compressingClientSendsZdataWhereItPaysToAServerThatTakesIt() throws Exception {
        compression = StreamCompression.ON;
        byte[] stream = mixedStream();
        ReceiveCommand cmd = new ReceiveCommand("tank/a", "s2", 7, null, false, false);
        start((r, w) -> {
            w.writeMagic();
            w.control(FrameType.HELLO, new Hello(Wire.PROTOCOL_VERSION, "9.9", List.of(Wire.ZSTD_DATA)));
            w.flush();
            r.readMagic();
            assertEquals(FrameType.HELLO, r.next());
            assertEquals(FrameType.RECV, r.next());
            ByteArrayOutputStream got = new ByteArrayOutputStream();
            // The third chunk is text again but comes within the skip after the random one: plain DATA.
            assertEquals(List.of(FrameType.ZDATA, FrameType.DATA, FrameType.DATA), readStream(r, got));
            assertTrue(java.util.Arrays.equals(stream, got.toByteArray()));
            w.control(FrameType.RESULT, new ReceiveResult(stream.length, 7));
        });
        client.handshake();
        assertTrue(client.compressing());
        assertEquals(new ReceiveResult(stream.length, 7), client.receive(cmd, new ByteArrayInputStream(stream)));
    }

    @Test
    void compressingClientSendsOnlyDataToAServerWithoutTheCapability() throws Exception {
        compression = StreamCompression.ON;
        byte[] stream = mixedStream();
        ReceiveCommand cmd = new ReceiveCommand("tank/a", "s2", 7, null, false, false);
        start((r, w) -> {
            serverHello(r, w, Wire.PROTOCOL_VERSION);
            assertEquals(FrameType.RECV, r.next());
            ByteArrayOutputStream got = new ByteArrayOutputStream();
            assertEquals(List.of(FrameType.DATA, FrameType.DATA, FrameType.DATA), readStream(r, got));
            assertTrue(java.util.Arrays.equals(stream, got.toByteArray()));
            w.control(FrameType.RESULT, new ReceiveResult(stream.length, 7));
        });
        client.handshake();
        assertTrue(!client.compressing());
        assertEquals(new ReceiveResult(stream.length, 7), client.receive(cmd, new ByteArrayInputStream(stream)));
    }

    /**
     * auto measures the sending loop: when zfs send is the limit (here a source that takes 40 ms per MiB)
     * both ways go at its pace, and after the warm-up and one window each way the plain way is kept.
     */
    @Test
    void autoClientGoesPlainWhenTheSourceIsTheLimit() throws Exception {
        compression = StreamCompression.AUTO;
        // The source's 40 ms per chunk is the only time that passes, so the test holds on a busy machine too.
        AtomicLong clock = new AtomicLong();
        nanoTime = clock::get;
        int chunks = 100;
        byte[] text = StreamCompressionTest.text(Wire.MAX_DATA, 9);
        InputStream slowSource = new InputStream() {
            private long sent;

            @Override
            public int read() {
                throw new UnsupportedOperationException();
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                if (sent == (long) chunks * text.length) return -1;
                int at = (int) (sent % text.length);
                if (at == 0) {
                    clock.addAndGet(40_000_000L);
                }
                int n = Math.min(len, text.length - at);
                System.arraycopy(text, at, b, off, n);
                sent += n;
                return n;
            }
        };
        ReceiveCommand cmd = new ReceiveCommand("tank/a", "s2", 7, null, false, false);
        start((r, w) -> {
            w.writeMagic();
            w.control(FrameType.HELLO, new Hello(Wire.PROTOCOL_VERSION, "9.9", List.of(Wire.ZSTD_DATA)));
            w.flush();
            r.readMagic();
            assertEquals(FrameType.HELLO, r.next());
            assertEquals(FrameType.RECV, r.next());
            ByteArrayOutputStream got = new ByteArrayOutputStream();
            List<FrameType> types = readStream(r, got);
            assertEquals(chunks, types.size());
            assertEquals((long) chunks * text.length, got.size());
            // Warm-up and the zstd window (each 0.5 s: 13 chunks of 40 ms) compressed, then plain for good.
            int firstPlain = types.indexOf(FrameType.DATA);
            assertEquals(2 * 13, firstPlain, types::toString);
            assertTrue(types.subList(0, firstPlain).stream().allMatch(t -> t == FrameType.ZDATA), types::toString);
            assertTrue(types.subList(firstPlain, chunks).stream().allMatch(t -> t == FrameType.DATA), types::toString);
            w.control(FrameType.RESULT, new ReceiveResult(got.size(), 7));
        });
        client.handshake();
        assertTrue(client.compressing());
        assertEquals(new ReceiveResult((long) chunks * text.length, 7), client.receive(cmd, slowSource));
    }

    @Test
    void clientWithCompressionOffSendsOnlyDataEvenToAServerThatTakesZdata() throws Exception {
        byte[] stream = mixedStream();
        ReceiveCommand cmd = new ReceiveCommand("tank/a", "s2", 7, null, false, false);
        start((r, w) -> {
            w.writeMagic();
            w.control(FrameType.HELLO, new Hello(Wire.PROTOCOL_VERSION, "9.9", List.of(Wire.ZSTD_DATA)));
            w.flush();
            r.readMagic();
            assertEquals(FrameType.HELLO, r.next());
            assertEquals(FrameType.RECV, r.next());
            ByteArrayOutputStream got = new ByteArrayOutputStream();
            assertEquals(List.of(FrameType.DATA, FrameType.DATA, FrameType.DATA), readStream(r, got));
            assertTrue(java.util.Arrays.equals(stream, got.toByteArray()));
            w.control(FrameType.RESULT, new ReceiveResult(stream.length, 7));
        });
        client.handshake();
        assertTrue(!client.compressing());
        assertEquals(new ReceiveResult(stream.length, 7), client.receive(cmd, new ByteArrayInputStream(stream)));
    }

    @Test
    void emptyStreamSendsJustEnd() throws Exception {
        start((r, w) -> {
            serverHello(r, w, Wire.PROTOCOL_VERSION);
            assertEquals(FrameType.RECV, r.next());
            assertEquals(FrameType.END, r.next());
            w.control(FrameType.ERROR, new ErrorReply("stream", "the stream ended after 0 bytes", ""));
        });
        client.handshake();
        RemoteException e = assertThrows(
                RemoteException.class,
                () -> client.receive(
                        new ReceiveCommand("a", "s", 1, null, false, false), new ByteArrayInputStream(new byte[0])));
        assertEquals("stream", e.code());
    }

    /** A source that never ends: only an early answer from the server can stop the client. */
    static final class Endless extends InputStream {
        @Override
        public int read() {
            return 0;
        }

        @Override
        public int read(byte[] b, int off, int len) {
            return len;
        }
    }

    @Test
    void earlyServerErrorStopsSendingAndCarriesZfsStderr() throws Exception {
        start((r, w) -> {
            serverHello(r, w, Wire.PROTOCOL_VERSION);
            assertEquals(FrameType.RECV, r.next());
            assertEquals(FrameType.DATA, r.next());
            w.control(
                    FrameType.ERROR,
                    new ErrorReply(
                            "zfs",
                            "'zfs recv' failed (exit 1): cannot receive",
                            "cannot receive incremental stream: destination has been modified\n"));
            w.flush();
            FrameType t;
            do {
                t = r.next();
            } while (t == FrameType.DATA);
            assertEquals(FrameType.END, t);
            assertEquals(FrameType.BYE, r.next());
        });
        client.handshake();
        RemoteException e = assertThrows(
                RemoteException.class,
                () -> client.receive(new ReceiveCommand("a", "s", 1, null, false, false), new Endless()));
        assertEquals("zfs", e.code());
        assertEquals("cannot receive incremental stream: destination has been modified\n", e.detail());
        client.close();
    }

    @Test
    void failingSourceAbortsTheReceive() throws Exception {
        start((r, w) -> {
            serverHello(r, w, Wire.PROTOCOL_VERSION);
            assertEquals(FrameType.RECV, r.next());
            assertEquals(FrameType.DATA, r.next());
            assertEquals(FrameType.ABORT, r.next());
            w.control(FrameType.ERROR, new ErrorReply("aborted", "the client aborted the stream", ""));
        });
        client.handshake();
        InputStream failing = new InputStream() {
            private int calls;

            @Override
            public int read() {
                return 0;
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                if (calls++ > 0) {
                    throw new IOException("zfs send died");
                }
                return len;
            }
        };
        IOException e = assertThrows(
                IOException.class, () -> client.receive(new ReceiveCommand("a", "s", 1, null, false, false), failing));
        assertEquals("zfs send died", e.getMessage());
        assertEquals("aborted", ((RemoteException) e.getSuppressed()[0]).code());
    }

    @Test
    void abortWakesAReceiveBlockedOnAServerThatStoppedReading() throws Exception {
        CountDownLatch released = new CountDownLatch(1);
        start((r, w) -> {
            serverHello(r, w, Wire.PROTOCOL_VERSION);
            assertEquals(FrameType.RECV, r.next());
            // Stalled: reads nothing more, so the client's writes fill the pipe and block.
            released.await(20, TimeUnit.SECONDS);
        });
        client.handshake();
        CountingEndless stream = new CountingEndless();
        CompletableFuture<Void> aborter = CompletableFuture.runAsync(() -> {
            while (stream.read < (4L << 20)) {
                Thread.onSpinWait();
            }
            try {
                Thread.sleep(300);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            client.abort();
        });
        try {
            assertThrows(
                    IOException.class,
                    () -> client.receive(new ReceiveCommand("a", "s", 1, null, false, false), stream));
            aborter.get(10, TimeUnit.SECONDS);
            assertTrue(client.aborted());
            client.close();
        } finally {
            released.countDown();
        }
    }

    /** Endless, and says how much was taken from it (past the 4 MiB pipe, the writer blocks). */
    @SuppressWarnings("NonAtomicVolatileUpdate") // only the client's writing thread adds; the test reads
    static final class CountingEndless extends InputStream {
        volatile long read;

        @Override
        public int read() {
            read++;
            return 0;
        }

        @Override
        public int read(byte[] b, int off, int len) {
            read += len;
            return len;
        }
    }

    @Test
    void serverVanishingMidStreamIsAnErrorNotAHang() throws Exception {
        start((r, w) -> {
            serverHello(r, w, Wire.PROTOCOL_VERSION);
            assertEquals(FrameType.RECV, r.next());
            w.control(FrameType.ERROR, new ErrorReply("internal", "disk on fire", ""));
        });
        client.handshake();
        RemoteException e = assertThrows(
                RemoteException.class,
                () -> client.receive(new ReceiveCommand("a", "s", 1, null, false, false), new Endless()));
        assertEquals("disk on fire", e.getMessage());
    }

    @Test
    void truncatedReplyIsAProtocolError() throws Exception {
        start((r, w) -> {
            serverHello(r, w, Wire.PROTOCOL_VERSION);
            assertEquals(FrameType.LIST, r.next());
            w.flush();
        });
        client.handshake();
        ProtocolException e = assertThrows(ProtocolException.class, () -> client.listFilesystems());
        assertEquals("the server closed the connection while LISTING was expected", e.getMessage());
    }

    @Test
    void unexpectedReplyType() throws Exception {
        start((r, w) -> {
            serverHello(r, w, Wire.PROTOCOL_VERSION);
            assertEquals(FrameType.LIST, r.next());
            w.control(FrameType.RESULT, new ReceiveResult(1, 2));
        });
        client.handshake();
        ProtocolException e = assertThrows(ProtocolException.class, () -> client.listFilesystems());
        assertEquals("the server sent a RESULT frame where LISTING was expected", e.getMessage());
    }

    private static void rawHello(FrameReader r, FrameWriter w, String... more) throws IOException {
        w.writeMagic();
        List<String> caps = new java.util.ArrayList<>(List.of(Wire.RAW_STREAM));
        caps.addAll(List.of(more));
        w.control(FrameType.HELLO, new Hello(Wire.PROTOCOL_VERSION, "9.9", caps));
        w.flush();
        r.readMagic();
        assertEquals(FrameType.HELLO, r.next());
    }

    /** The raw bytes a sender wrote after READY, read from the server's side without frames. */
    private static byte[] readRaw(PipedInputStream in, int n) throws IOException {
        return in.readNBytes(n);
    }

    private PipedInputStream rawServerIn;

    private void startRaw(Script script) throws IOException {
        PipedInputStream serverIn = new PipedInputStream(4 << 20);
        rawServerIn = serverIn;
        toServer = new PipedOutputStream(serverIn);
        PipedInputStream clientIn = new PipedInputStream(1 << 20);
        PipedOutputStream toClient = new PipedOutputStream(clientIn);
        client = new SinkClient(clientIn, toServer, () -> {}, compression, nanoTime);
        server = CompletableFuture.runAsync(() -> {
            try (toClient;
                    serverIn) {
                script.run(
                        new FrameReader(serverIn, "client", Wire.MAX_CONTROL_FROM_CLIENT),
                        new FrameWriter(toClient, Wire.MAX_CONTROL_FROM_SERVER));
            } catch (Exception e) {
                throw new RuntimeException(e);
            }
        });
    }

    @Test
    void aRawReceiveStartsTheSenderOnReadyCountsProgressAndKeepsTheConversation() throws Exception {
        ReceiveCommand cmd = new ReceiveCommand("tank/a", "s2", 7, 5L, false, true);
        byte[] stream = new byte[5000];
        new Random(3).nextBytes(stream);
        startRaw((r, w) -> {
            rawHello(r, w);
            assertEquals(FrameType.RECV_RAW, r.next());
            assertEquals(cmd, r.json(ReceiveCommand.class));
            assertEquals(0, rawServerIn.available(), "nothing of the stream before READY");
            w.empty(FrameType.READY);
            w.flush();
            assertTrue(java.util.Arrays.equals(stream, readRaw(rawServerIn, stream.length)));
            w.control(FrameType.PROGRESS, new StreamProgress(2000));
            w.control(FrameType.PROGRESS, new StreamProgress(5000));
            w.control(FrameType.RESULT, new ReceiveResult(5000, 7));
            w.flush();
            assertEquals(FrameType.BYE, r.next());
        });
        client.handshake();
        assertTrue(client.rawStreams());
        List<Long> progress = new java.util.concurrent.CopyOnWriteArrayList<>();
        AtomicLong starts = new AtomicLong();
        ReceiveResult result = client.receiveRaw(
                cmd,
                () -> {
                    starts.incrementAndGet();
                    toServer.write(stream);
                    toServer.flush();
                },
                progress::add);
        assertEquals(new ReceiveResult(5000, 7), result);
        assertEquals(1, starts.get());
        assertEquals(List.of(2000L, 5000L), progress);
        assertTrue(!client.aborted());
        client.close();
    }

    @Test
    void aRawReceiveRefusedBeforeReadyNeverStartsTheSenderAndTheChannelGoesOn() throws Exception {
        ReceiveCommand cmd = new ReceiveCommand("../a", "s2", 7, null, false, true);
        startRaw((r, w) -> {
            rawHello(r, w);
            assertEquals(FrameType.RECV_RAW, r.next());
            w.control(FrameType.ERROR, new ErrorReply(ErrorCodes.JAIL, "outside the jail", ""));
            w.flush();
            assertEquals(FrameType.BYE, r.next());
        });
        client.handshake();
        AtomicLong starts = new AtomicLong();
        RemoteException e =
                assertThrows(RemoteException.class, () -> client.receiveRaw(cmd, starts::incrementAndGet, b -> {}));
        assertEquals("outside the jail", e.getMessage());
        assertEquals(0, starts.get());
        assertTrue(!client.aborted());
        client.close();
    }

    @Test
    void aRawReceiveThatFailsAfterReadyAbortsTheChannel() throws Exception {
        ReceiveCommand cmd = new ReceiveCommand("tank/a", "s2", 7, 5L, false, true);
        startRaw((r, w) -> {
            rawHello(r, w);
            assertEquals(FrameType.RECV_RAW, r.next());
            w.empty(FrameType.READY);
            w.control(FrameType.ERROR, new ErrorReply(ErrorCodes.STREAM, "the stream names another snapshot", ""));
            w.flush();
        });
        client.handshake();
        RemoteException e = assertThrows(RemoteException.class, () -> client.receiveRaw(cmd, () -> {}, b -> {}));
        assertEquals("the stream names another snapshot", e.getMessage());
        assertTrue(client.aborted(), "the box ends the conversation after a failure past READY");
    }

    @Test
    void streamsThatMayGoCompressedStayInFrames() throws Exception {
        compression = StreamCompression.ON;
        startRaw((r, w) -> {
            rawHello(r, w, Wire.ZSTD_DATA);
            assertEquals(FrameType.BYE, r.next());
        });
        client.handshake();
        assertTrue(!client.rawStreams(), "zstd happens in frames");
        client.close();
    }
}
