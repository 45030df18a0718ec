package dev.zreplj.stdinserver;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.zreplj.config.Config;
import dev.zreplj.config.Global;
import dev.zreplj.config.RecvOptions;
import dev.zreplj.config.SinkJob;
import dev.zreplj.protocol.FrameType;
import dev.zreplj.protocol.FrameWriter;
import dev.zreplj.protocol.Hello;
import dev.zreplj.protocol.ReceiveCommand;
import dev.zreplj.protocol.ReceiveResult;
import dev.zreplj.protocol.RemoteException;
import dev.zreplj.protocol.RemoteFilesystem;
import dev.zreplj.protocol.Wire;
import dev.zreplj.zfs.DatasetName;
import dev.zreplj.zfs.Zfs;
import dev.zreplj.zfs.testing.TestPools;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** SinkClient against an in-process StdinServer on real zfs: receives, locks, jail, broken clients. */
@Tag("system")
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class StdinServerSystemTest {
    @TempDir
    Path state;

    private TestPools pools;
    private String pool;
    private String box;
    private String source;
    private Config config;
    private Zfs zfs;

    @BeforeEach
    void pools() {
        pools = TestPools.open();
        DatasetName src = pools.createPool("src");
        pool = src.value();
        box = pools.createPool("box").value();
        // root_fs is the operator's (`zreplj box setup`): the box refuses to create it.
        pools.createFilesystem(DatasetName.of(box).child("sink"), "mountpoint=none");
        DatasetName a = pools.createFilesystem(src.child("a"));
        source = a.value();
        pools.writeRandomFile(a, "one", 3 << 20);
        pools.snapshot(a, "s1");
        pools.writeRandomFile(a, "two", 2 << 20);
        pools.snapshot(a, "s2");
        SinkJob sink = new SinkJob(
                "sink", DatasetName.of(box + "/sink"), List.of("laptop", "desktop"), RecvOptions.defaults(), List.of());
        config = new Config(state.resolve("zreplj.yml"), new Global(state, null), List.of(sink));
        zfs = new Zfs(pools.zfsBinary());
    }

    @AfterEach
    void destroy() {
        if (pools != null) {
            pools.close();
        }
    }

    private long guid(String snapshot) {
        return pools.guid(snapshot);
    }

    private String property(String dataset, String property) {
        return pools.get(dataset, property);
    }

    /** Every dataset and snapshot of the box pool: what a refused request must not change. */
    private String boxState() {
        return pools.zfs("list", "-H", "-r", "-t", "all", "-o", "name", box);
    }

    private String jailed(String path) {
        return box + "/sink/laptop/" + path;
    }

    @Test
    void fullThenIncrementalReceiveWithMatchingGuidsAndPlaceholders() throws Exception {
        long g1 = guid(source + "@s1");
        long g2 = guid(source + "@s2");
        PipedServer ch = new PipedServer(config, zfs, "laptop");
        ch.client.handshake();
        byte[] full = pools.send(source + "@s1");
        assertTrue(full.length > 2 * Wire.MAX_DATA, "the stream spans several DATA frames");
        ReceiveResult r1 = ch.client.receive(
                new ReceiveCommand(source, "s1", g1, null, false, false), new ByteArrayInputStream(full));
        assertEquals(new ReceiveResult(full.length, g1), r1);
        assertEquals(g1, guid(jailed(source) + "@s1"));

        byte[] incremental = pools.send("-i", "@s1", source + "@s2");
        ReceiveResult r2 = ch.client.receive(
                new ReceiveCommand(source, "s2", g2, g1, false, false), new ByteArrayInputStream(incremental));
        assertEquals(new ReceiveResult(incremental.length, g2), r2);
        assertEquals(g2, guid(jailed(source) + "@s2"));

        List<RemoteFilesystem> listing = ch.client.listFilesystems();
        assertEquals(
                List.of(pool, source),
                listing.stream().map(RemoteFilesystem::path).toList());
        assertEquals(
                List.of(true, false),
                listing.stream().map(RemoteFilesystem::placeholder).toList());
        RemoteFilesystem a = listing.get(1);
        assertEquals(
                List.of("s1", "s2"), a.versions().stream().map(v -> v.name()).toList());
        assertEquals(List.of(g1, g2), a.versions().stream().map(v -> v.guid()).toList());

        // Nothing received is mounted, nor can it be: the jail and placeholders have no mountpoint.
        assertEquals("none", property(box + "/sink/laptop", "mountpoint"));
        assertEquals("on", property(box + "/sink/laptop", "zrepl:placeholder"));
        assertEquals("none", property(jailed(source), "mountpoint"));
        assertEquals("no", property(jailed(source), "mounted"));

        ch.client.close();
        assertEquals(0, ch.exitCode(), ch.stderr());
    }

    /** An incremental's target holds its base, so the box does not ask zfs whether its parents exist. */
    @Test
    void anIncrementalStartsNoZfsToFindTheTargetsParents(@TempDir Path dir) throws Exception {
        Path calls = dir.resolve("calls");
        Path logging = dir.resolve("zfs");
        Files.writeString(logging, "#!/bin/sh\necho \"$*\" >> " + calls + "\nexec " + pools.zfsBinary() + " \"$@\"\n");
        Files.setPosixFilePermissions(logging, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
        long g1 = guid(source + "@s1");
        long g2 = guid(source + "@s2");
        PipedServer ch = new PipedServer(config, new Zfs(logging), "laptop");
        ch.client.handshake();
        ch.client.receive(
                new ReceiveCommand(source, "s1", g1, null, false, false),
                new ByteArrayInputStream(pools.send(source + "@s1")));
        String parent =
                "list -H -o name " + jailed(source).substring(0, jailed(source).lastIndexOf('/'));
        ch.client.listFilesystems(); // the full receive's record is done once the next request is answered
        assertTrue(Files.readAllLines(calls).contains(parent), "a full receive into a new filesystem asks");
        int before = Files.readAllLines(calls).size();

        ReceiveResult r2 = ch.client.receive(
                new ReceiveCommand(source, "s2", g2, g1, false, false),
                new ByteArrayInputStream(pools.send("-i", "@s1", source + "@s2")));
        assertEquals(g2, r2.receivedGuid());
        ch.client.listFilesystems();
        List<String> incremental = Files.readAllLines(calls)
                .subList(before, Files.readAllLines(calls).size());
        assertTrue(incremental.stream().anyMatch(c -> c.startsWith("recv ")), incremental.toString());
        assertTrue(incremental.stream().noneMatch(c -> c.startsWith("list -H -o name ")), incremental.toString());
        assertEquals(g2, guid(jailed(source) + "@s2"));
        ch.client.close();
        assertEquals(0, ch.exitCode(), ch.stderr());
    }

    /** recv.bandwidth_limit: zfs recv gets the stream no faster than the sink job's bucket pays for it. */
    @Test
    void recvBandwidthLimitSlowsTheReceiveToTheRate() throws Exception {
        SinkJob limited = new SinkJob(
                "sink",
                DatasetName.of(box + "/sink"),
                List.of("laptop"),
                new RecvOptions(
                        java.util.Map.of(),
                        List.of(),
                        "unspecified",
                        new dev.zreplj.config.BandwidthLimit(1 << 20, 128 << 10)),
                List.of());
        Config slow = new Config(state.resolve("zreplj.yml"), new Global(state, null), List.of(limited));
        long g1 = guid(source + "@s1");
        byte[] full = pools.send(source + "@s1");
        PipedServer ch = new PipedServer(slow, zfs, "laptop");
        ch.client.handshake();
        long start = System.nanoTime();
        ReceiveResult r = ch.client.receive(
                new ReceiveCommand(source, "s1", g1, null, false, false), new ByteArrayInputStream(full));
        double seconds = (System.nanoTime() - start) / 1e9;
        assertEquals(new ReceiveResult(full.length, g1), r);
        assertEquals(g1, guid(jailed(source) + "@s1"));
        double least = (full.length - (128 << 10)) / (double) (1 << 20);
        assertTrue(
                seconds >= least * 0.98,
                full.length + " bytes at 1 MiB/s with a 128 KiB bucket took only " + seconds + " s; at least " + least
                        + " s expected");
        assertTrue(Files.exists(state.resolve("bandwidth").resolve("sink-1048576-131072.bucket")));
        ch.client.close();
        assertEquals(0, ch.exitCode(), ch.stderr());
    }

    /** A filesystem holding 6 MiB of text, with snapshot @t1: a stream that compresses well. */
    private DatasetName textFilesystem() throws IOException {
        DatasetName text = pools.createFilesystem(DatasetName.of(pool).child("text"));
        Path mountpoint = Path.of(property(text.value(), "mountpoint"));
        StringBuilder sb = new StringBuilder();
        for (int i = 0; sb.length() < 6 << 20; i++) {
            sb.append("line ").append(i).append(": zfs send of a snapshot to the backup box, compressed with zstd\n");
        }
        Files.writeString(mountpoint.resolve("text"), sb);
        pools.snapshot(text, "t1");
        return text;
    }

    @Test
    void refusedCompressedStreamIsDrainedAndTheChannelStaysUsable() throws Exception {
        DatasetName text = textFilesystem();
        long g = guid(text.value() + "@t1");
        byte[] full = pools.send(text.value() + "@t1");
        PipedServer ch = new PipedServer(config, zfs, "laptop", true);
        ch.client.handshake();
        RemoteException e = assertThrows(
                RemoteException.class,
                () -> ch.client.receive(
                        new ReceiveCommand(text.value(), "t1", g + 1, null, false, false),
                        new ByteArrayInputStream(full)));
        assertEquals("stream", e.code());
        assertEquals(
                new ReceiveResult(full.length, g),
                ch.client.receive(
                        new ReceiveCommand(text.value(), "t1", g, null, false, false), new ByteArrayInputStream(full)));
        assertEquals(g, guid(jailed(text.value()) + "@t1"));
        ch.client.close();
        assertEquals(0, ch.exitCode(), ch.stderr());
    }

    @Test
    void compressedStreamArrivesWholeWithTheSameGuidAndFarFewerBytesOnTheWire() throws Exception {
        DatasetName text = textFilesystem();
        String snapshot = text.value() + "@t1";
        long g = guid(snapshot);
        byte[] full = pools.send(snapshot);
        PipedServer ch = new PipedServer(config, zfs, "laptop", true);
        ch.client.handshake();
        assertTrue(ch.client.serverHello().capabilities().contains(Wire.ZSTD_DATA));
        assertTrue(ch.client.compressing());
        long before = ch.sent.get();
        ReceiveResult r = ch.client.receive(
                new ReceiveCommand(text.value(), "t1", g, null, false, false), new ByteArrayInputStream(full));
        long onWire = ch.sent.get() - before;
        assertEquals(new ReceiveResult(full.length, g), r);
        assertEquals(g, guid(jailed(text.value()) + "@t1"));
        assertTrue(onWire < full.length / 4, onWire + " bytes on the wire for a stream of " + full.length);
        ch.client.close();
        assertEquals(0, ch.exitCode(), ch.stderr());
    }

    @Test
    void zdataThatDoesNotDecompressIsAProtocolErrorAndNothingIsReceived() throws Exception {
        long g1 = guid(source + "@s1");
        byte[] full = pools.send(source + "@s1");
        PipedServer ch = new PipedServer(config, zfs, "laptop");
        ch.client.handshake();
        // A hand-made client: the real one never sends a broken frame.
        FrameWriter w = new FrameWriter(ch.toServer, Wire.MAX_CONTROL_FROM_CLIENT);
        w.control(FrameType.RECV, new ReceiveCommand(source, "s1", g1, null, false, false));
        byte[] buffer = FrameWriter.newDataBuffer();
        System.arraycopy(full, 0, buffer, FrameWriter.DATA_OFFSET, Wire.MAX_DATA);
        w.data(buffer, Wire.MAX_DATA);
        byte[] bomb = com.github.luben.zstd.Zstd.compress(new byte[Wire.MAX_DATA + 1]);
        System.arraycopy(bomb, 0, buffer, FrameWriter.DATA_OFFSET, bomb.length);
        w.zdata(buffer, bomb.length);
        w.flush();
        assertEquals(1, ch.exitCode());
        assertTrue(ch.stderr().contains("expands to " + (Wire.MAX_DATA + 1) + " bytes"), ch.stderr());
        assertTrue(!boxState().contains(jailed(source) + "@s1"), "no partial snapshot");
        // zfs recv was stopped: nothing is left that blocks the next attempt.
        PipedServer retry = retryWhileBusy(full, g1);
        assertEquals(g1, guid(jailed(source) + "@s1"));
        retry.client.close();
        assertEquals(0, retry.exitCode(), retry.stderr());
    }

    /**
     * The receive of {@code full} on a new channel. zfs-fuse's daemon finishes a killed {@code zfs recv} on its
     * own time: on a loaded machine the dataset may be "busy" for a moment after the command has exited, so a
     * few tries within 10 s; anything else, or busy for longer, fails.
     */
    private PipedServer retryWhileBusy(byte[] full, long guid) throws Exception {
        long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(10);
        while (true) {
            PipedServer retry = new PipedServer(config, zfs, "laptop", true);
            retry.client.handshake();
            try {
                assertEquals(
                        new ReceiveResult(full.length, guid),
                        retry.client.receive(
                                new ReceiveCommand(source, "s1", guid, null, false, false),
                                new ByteArrayInputStream(full)));
                return retry;
            } catch (RemoteException e) {
                if (!e.getMessage().endsWith("dataset is busy") || System.nanoTime() > deadline) {
                    throw e;
                }
                retry.client.close();
                retry.exitCode();
                Thread.sleep(500);
            }
        }
    }

    @Test
    void streamNotMatchingTheCommandIsRefusedAndTheChannelStaysUsable() throws Exception {
        long g1 = guid(source + "@s1");
        long g2 = guid(source + "@s2");
        PipedServer ch = new PipedServer(config, zfs, "laptop");
        ch.client.handshake();
        RemoteException e = assertThrows(
                RemoteException.class,
                () -> ch.client.receive(
                        new ReceiveCommand(source, "s2", g2, null, false, false),
                        new ByteArrayInputStream(pools.send(source + "@s1"))));
        assertEquals("stream", e.code());
        assertEquals(
                "the stream is of the snapshot with guid " + Long.toUnsignedString(g1) + ", the command names guid "
                        + Long.toUnsignedString(g2),
                e.getMessage());
        assertEquals(
                List.of(),
                ch.client.listFilesystems().stream()
                        .filter(f -> f.path().equals(source))
                        .toList());
        ch.client.close();
        assertEquals(0, ch.exitCode(), ch.stderr());
    }

    /**
     * The box checks a resume against its own partial state, never trusting the agent: zfs-fuse keeps
     * none, so every resume claim is refused, and a discard of nothing is a plain receive.
     */
    @Test
    void resumeClaimsAreCheckedAgainstTheStreamAndTheBoxsOwnPartialReceive() throws Exception {
        long g1 = guid(source + "@s1");
        byte[] full = pools.send(source + "@s1");
        byte[] resuming = full.clone();
        resuming[18] |=
                0x40; // drr_versioninfo: DMU_BACKUP_FEATURE_RESUMING (1 << 20, stored from bit 2), little-endian
        String token = "1-ab-c0-789c00";
        PipedServer ch = new PipedServer(config, zfs, "laptop");
        ch.client.handshake();

        RemoteException notResumed = assertThrows(
                RemoteException.class,
                () -> ch.client.receive(
                        new ReceiveCommand(source, "s1", g1, null, false, true, token, false),
                        new ByteArrayInputStream(full)));
        assertEquals("stream", notResumed.code());
        assertEquals(
                "the command resumes a partial receive, but the stream is not a resumed one (zfs send -t)",
                notResumed.getMessage());

        RemoteException unnamed = assertThrows(
                RemoteException.class,
                () -> ch.client.receive(
                        new ReceiveCommand(source, "s1", g1, null, false, true), new ByteArrayInputStream(resuming)));
        assertEquals(
                "the stream resumes a partial receive (zfs send -t), but the command does not name the resume"
                        + " token",
                unnamed.getMessage());

        RemoteException nothing = assertThrows(
                RemoteException.class,
                () -> ch.client.receive(
                        new ReceiveCommand(source, "s1", g1, null, false, true, token, false),
                        new ByteArrayInputStream(resuming)));
        assertEquals("nothing to resume: " + jailed(source) + " has no partial receive", nothing.getMessage());

        RemoteException both = assertThrows(
                RemoteException.class,
                () -> ch.client.receive(
                        new ReceiveCommand(source, "s1", g1, null, false, true, token, true),
                        new ByteArrayInputStream(resuming)));
        assertEquals(
                "the command both resumes and discards the partial receive of " + jailed(source), both.getMessage());
        assertEquals(
                List.of(box, box + "/sink", box + "/sink/laptop"),
                boxState().lines().toList(),
                "nothing refused changed the box but for the jail");

        ReceiveResult r = ch.client.receive(
                new ReceiveCommand(source, "s1", g1, null, false, true, null, true), new ByteArrayInputStream(full));
        assertEquals(new ReceiveResult(full.length, g1), r, "no partial receive to discard: an ordinary receive");
        assertEquals(g1, guid(jailed(source) + "@s1"));
        ch.client.close();
        assertEquals(0, ch.exitCode(), ch.stderr());
    }

    @Test
    void secondConcurrentReceiveIntoTheSameDatasetIsBusy() throws Exception {
        long g1 = guid(source + "@s1");
        byte[] full = pools.send(source + "@s1");
        CountDownLatch release = new CountDownLatch(1);
        InputStream slow = new InputStream() {
            private int pos;

            @Override
            public int read() {
                throw new UnsupportedOperationException();
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                if (pos == full.length) {
                    return -1;
                }
                if (pos > 0) {
                    try {
                        release.await();
                    } catch (InterruptedException e) {
                        throw new IOException(e);
                    }
                }
                int n = Math.min(len, pos == 0 ? 1000 : full.length - pos);
                System.arraycopy(full, pos, b, off, n);
                pos += n;
                return n;
            }
        };
        PipedServer first = new PipedServer(config, zfs, "laptop");
        first.client.handshake();
        CompletableFuture<ReceiveResult> firstResult = new CompletableFuture<>();
        // The same thread receives and says BYE: java.io pipes fail with "Write end dead" when the
        // thread that last wrote has ended before the next write comes from another thread.
        Thread t = new Thread(() -> {
            try {
                ReceiveResult received =
                        first.client.receive(new ReceiveCommand(source, "s1", g1, null, false, false), slow);
                first.client.close();
                firstResult.complete(received);
            } catch (Throwable ex) {
                firstResult.completeExceptionally(ex);
            }
        });
        t.start();
        Path lockFile = DatasetLock.path(state);
        for (int i = 0; i < 200 && !Files.exists(lockFile); i++) {
            Thread.sleep(50);
        }
        assertTrue(Files.exists(lockFile), "the first receive took its lock");
        Thread.sleep(300);

        PipedServer second = new PipedServer(config, zfs, "laptop");
        second.client.handshake();
        RemoteException busy = assertThrows(
                RemoteException.class,
                () -> second.client.receive(
                        new ReceiveCommand(source, "s1", g1, null, false, false), new ByteArrayInputStream(full)));
        assertEquals("busy", busy.code());
        // What the agent's user sees after a lost link: when the box lets go, not only that it holds on.
        assertEquals(
                "another receive into " + jailed(source) + " is running; if it is one a lost link left behind, the"
                        + " box ends it once its sshd finds the connection dead (ClientAliveInterval x"
                        + " ClientAliveCountMax) or after 300 s without a byte (serve.zreplj.stream_timeout), and a"
                        + " later attempt gets in",
                busy.getMessage());
        second.client.close();
        assertEquals(0, second.exitCode(), second.stderr());

        release.countDown();
        assertEquals(new ReceiveResult(full.length, g1), firstResult.get(60, TimeUnit.SECONDS));
        assertEquals(0, first.exitCode(), first.stderr());
    }

    @Test
    void jailEscapesAreRefusedWithNoChangeToThePool() throws Exception {
        long g1 = guid(source + "@s1");
        byte[] full = pools.send(source + "@s1");
        PipedServer ch = new PipedServer(config, zfs, "laptop");
        ch.client.handshake();
        assertEquals(List.of(), ch.client.listFilesystems(), "the server has set up the jail");
        String before = boxState();
        for (String path : List.of(
                "../desktop/x",
                "/" + box + "/sink/desktop/x",
                "desktop/../..",
                pool + "@s1",
                "-o",
                "x/../../desktop")) {
            RemoteException e = assertThrows(
                    RemoteException.class,
                    () -> ch.client.receive(
                            new ReceiveCommand(path, "s1", g1, null, false, false), new ByteArrayInputStream(full)),
                    path);
            assertEquals("jail", e.code(), path);
        }
        RemoteException badSnapshot = assertThrows(
                RemoteException.class,
                () -> ch.client.receive(
                        new ReceiveCommand(source, "s1@x", g1, null, false, false), new ByteArrayInputStream(full)));
        assertEquals("jail", badSnapshot.code());
        assertEquals(before, boxState());
        assertTrue(ch.client.listFilesystems().isEmpty(), "the channel is still usable");
        ch.client.close();
        assertEquals(0, ch.exitCode());
        assertTrue(ch.stderr().isEmpty(), "refusals are logged through slf4j, not as a failure line");
    }

    @Test
    void garbageOnStdinFailsWithOneLineAndTouchesNothing() throws Exception {
        String before = boxState();
        PipedServer ch = new PipedServer(config, zfs, "laptop");
        ch.toServer.write("Last login: Mon Jan 1\nroot@box:~# ".getBytes(StandardCharsets.US_ASCII));
        ch.toServer.close();
        assertEquals(1, ch.exitCode());
        assertEquals(
                "zreplj stdinserver: client 'laptop': the client does not speak the zreplj protocol: it sent"
                        + " 'Last log' instead of the protocol greeting\n",
                ch.stderr());
        assertEquals(before, boxState());
    }

    @Test
    void clientKilledMidStreamLeavesNothingThatBlocksARetry() throws Exception {
        long g1 = guid(source + "@s1");
        byte[] full = pools.send(source + "@s1");
        PipedServer dying = new PipedServer(config, zfs, "laptop");
        FrameWriter w = new FrameWriter(dying.toServer, Wire.MAX_CONTROL_FROM_CLIENT);
        w.writeMagic();
        w.control(FrameType.HELLO, new Hello(Wire.PROTOCOL_VERSION, "test", List.of()));
        w.control(FrameType.RECV, new ReceiveCommand(source, "s1", g1, null, false, false));
        byte[] chunk = FrameWriter.newDataBuffer();
        int half = Math.min(full.length / 2, Wire.MAX_DATA);
        System.arraycopy(full, 0, chunk, FrameWriter.DATA_OFFSET, half);
        w.data(chunk, half);
        w.flush();
        Thread.sleep(500); // let zfs recv start and take the partial stream
        dying.toServer.close();
        assertEquals(1, dying.exitCode());
        assertEquals(
                "zreplj stdinserver: client 'laptop': the client closed the connection in the middle of the"
                        + " stream into " + jailed(source) + "; zfs recv was stopped\n",
                dying.stderr());
        assertTrue(!boxState().contains(jailed(source) + "@s1"), "no partial snapshot");

        PipedServer retry = new PipedServer(config, zfs, "laptop");
        retry.client.handshake();
        assertEquals(
                new ReceiveResult(full.length, g1),
                retry.client.receive(
                        new ReceiveCommand(source, "s1", g1, null, false, false), new ByteArrayInputStream(full)));
        assertEquals(g1, guid(jailed(source) + "@s1"));
        retry.client.close();
        assertEquals(0, retry.exitCode(), retry.stderr());
    }

    /**
     * A copy written into since its newest snapshot (an admin who mounted it) refuses every incremental stream
     * in zfs: the box rolls it back to that snapshot, destroying none, and asks for the stream again, which then
     * arrives.
     */
    @Test
    void aCopyModifiedSinceItsNewestSnapshotIsRolledBackAndTheStreamTakenAgain() throws Exception {
        long g1 = guid(source + "@s1");
        long g2 = guid(source + "@s2");
        PipedServer ch = new PipedServer(config, zfs, "laptop");
        ch.client.handshake();
        byte[] full = pools.send(source + "@s1");
        ch.client.receive(new ReceiveCommand(source, "s1", g1, null, false, false), new ByteArrayInputStream(full));
        Path mount = state.resolve("mounted-copy");
        pools.zfs("set", "mountpoint=" + mount, jailed(source));
        pools.writeRandomFile(DatasetName.of(jailed(source)), "written-on-the-box", 4096);
        pools.zfs("inherit", "mountpoint", jailed(source));
        assertEquals("no", property(jailed(source), "mounted"));

        byte[] incremental = pools.send("-i", "@s1", source + "@s2");
        RemoteException e = assertThrows(
                RemoteException.class,
                () -> ch.client.receive(
                        new ReceiveCommand(source, "s2", g2, g1, false, false), new ByteArrayInputStream(incremental)));
        assertEquals("retry", e.code(), e.getMessage() + " | " + e.detail());
        assertEquals(
                jailed(source) + " had changed since its newest snapshot @s1 (zfs: has been modified since most"
                        + " recent snapshot); the box rolled it back to that snapshot, destroying none, and takes"
                        + " the stream again",
                e.getMessage());
        assertEquals(
                jailed(source) + "@s1\n",
                pools.zfs("list", "-H", "-t", "snapshot", "-o", "name", "-r", jailed(source)));
        assertEquals(g1, guid(jailed(source) + "@s1"));

        assertEquals(
                new ReceiveResult(incremental.length, g2),
                ch.client.receive(
                        new ReceiveCommand(source, "s2", g2, g1, false, false), new ByteArrayInputStream(incremental)));
        assertEquals(g2, guid(jailed(source) + "@s2"));
        pools.zfs("set", "mountpoint=" + mount, jailed(source));
        assertTrue(!Files.exists(mount.resolve("written-on-the-box")), "the box's own write was rolled back");
        assertTrue(Files.exists(mount.resolve("two")), "the received s2 is what the copy holds");
        pools.zfs("inherit", "mountpoint", jailed(source));
        ch.client.close();
        assertEquals(0, ch.exitCode(), ch.stderr());
    }

    /** A missing root_fs is the operator's to create: refused in one line naming it and the command, nothing made. */
    @Test
    void missingRootFsIsRefusedNotCreated() throws Exception {
        pools.zfs("destroy", box + "/sink");
        PipedServer ch = new PipedServer(config, zfs, "laptop");
        ch.client.handshake();
        RemoteException refused = assertThrows(RemoteException.class, () -> ch.client.listFilesystems());
        String message = "the sink's root_fs " + box + "/sink does not exist on the box; create it there as root"
                + " with 'zreplj box setup " + box + "/sink'";
        assertEquals(message, refused.getMessage());
        assertEquals("zfs", refused.code());
        assertEquals(1, ch.exitCode());
        assertEquals(
                List.of("zreplj stdinserver: client 'laptop': " + message),
                ch.stderr().lines().toList(),
                ch.stderr());
        assertEquals(List.of(box), boxState().lines().toList(), "neither root_fs nor the jail created");
    }

    /**
     * A root_fs whose pool is not imported (a USB disk unplugged), below the pool or the whole pool: the line names
     * 'zpool import', not 'box setup', which would create the dataset elsewhere or fail.
     */
    @Test
    void aRootFsOnAPoolNotImportedNamesZpoolImport() throws Exception {
        for (String root : List.of(box + "gone/sink", box + "gone")) {
            SinkJob sink =
                    new SinkJob("sink", DatasetName.of(root), List.of("laptop"), RecvOptions.defaults(), List.of());
            Config away = new Config(state.resolve("zreplj.yml"), new Global(state, null), List.of(sink));
            PipedServer ch = new PipedServer(away, zfs, "laptop");
            ch.client.handshake();
            RemoteException refused = assertThrows(RemoteException.class, () -> ch.client.listFilesystems());
            assertEquals(
                    "the sink's pool " + box + "gone (root_fs " + root + ") is not imported on the box (its disk"
                            + " unplugged or exported?); connect the disk and run 'zpool import " + box + "gone' as"
                            + " root, then the next pass replicates",
                    refused.getMessage());
            assertEquals(1, ch.exitCode());
        }
    }

    @Test
    void clientsAreJailedFromEachOther() throws Exception {
        long g1 = guid(source + "@s1");
        PipedServer laptop = new PipedServer(config, zfs, "laptop");
        laptop.client.handshake();
        laptop.client.receive(
                new ReceiveCommand(source, "s1", g1, null, false, false),
                new ByteArrayInputStream(pools.send(source + "@s1")));
        laptop.client.close();
        assertEquals(0, laptop.exitCode(), laptop.stderr());

        PipedServer desktop = new PipedServer(config, zfs, "desktop");
        desktop.client.handshake();
        assertEquals(List.of(), desktop.client.listFilesystems());
        desktop.client.close();
        assertEquals(0, desktop.exitCode(), desktop.stderr());
        assertTrue(Arrays.asList(boxState().split("\n")).contains(box + "/sink/desktop"));
    }

    @Test
    void fullStreamReplacesAnEmptyPlaceholderParent() throws Exception {
        long ga = guid(source + "@s1");
        PipedServer ch = new PipedServer(config, zfs, "laptop");
        ch.client.handshake();
        ch.client.receive(
                new ReceiveCommand(source, "s1", ga, null, false, false),
                new ByteArrayInputStream(pools.send(source + "@s1")));
        assertEquals("on", property(jailed(pool), "zrepl:placeholder"));

        String root = pools.snapshot(DatasetName.of(pool), "r1");
        long gr = guid(root);
        byte[] stream = pools.send(root);
        assertEquals(
                new ReceiveResult(stream.length, gr),
                ch.client.receive(
                        new ReceiveCommand(pool, "r1", gr, null, false, false), new ByteArrayInputStream(stream)));
        assertEquals(gr, guid(jailed(pool) + "@r1"));
        assertEquals("off", property(jailed(pool), "zrepl:placeholder"));
        assertEquals(ga, guid(jailed(source) + "@s1"), "the child received before is still there");
        List<RemoteFilesystem> listing = ch.client.listFilesystems();
        assertEquals(
                List.of(false, false),
                listing.stream().map(RemoteFilesystem::placeholder).toList());
        ch.client.close();
        assertEquals(0, ch.exitCode(), ch.stderr());
    }

    /**
     * zrepl reads the flag as set locally: a filesystem it received below a placeholder carries no flag of its
     * own (zrepl clears it only when receiving over a placeholder), and one the box's admin made inherits the
     * jail's "on" too. Read with inheritance, both were placeholders here: listed so, and the admin's filesystem
     * replaced by a full stream (receive -F), where zrepl's receive fails.
     */
    @Test
    void onlyAFlagSetOnTheFilesystemItselfMakesAPlaceholder() throws Exception {
        long ga = guid(source + "@s1");
        PipedServer ch = new PipedServer(config, zfs, "laptop");
        ch.client.handshake();
        byte[] full = pools.send(source + "@s1");
        ch.client.receive(new ReceiveCommand(source, "s1", ga, null, false, false), new ByteArrayInputStream(full));
        pools.zfs("inherit", "zrepl:placeholder", jailed(source));
        String adminMade = pool + "/made-by-admin";
        pools.zfs("create", jailed(adminMade));

        Map<String, Boolean> flags = new java.util.TreeMap<>();
        ch.client.listFilesystems().forEach(fs -> flags.put(fs.path(), fs.placeholder()));
        assertEquals(Map.of(pool, true, source, false, adminMade, false), flags);

        RemoteException refused = assertThrows(
                RemoteException.class,
                () -> ch.client.receive(
                        new ReceiveCommand(adminMade, "s1", ga, null, false, false), new ByteArrayInputStream(full)));
        assertTrue(refused.getMessage().contains("exists"), refused.getMessage());
        assertEquals(
                "",
                pools.zfs("list", "-H", "-t", "snapshot", "-o", "name", "-r", jailed(adminMade))
                        .strip());
        ch.client.close();
        assertEquals(0, ch.exitCode(), ch.stderr());
    }

    @Test
    void missingParentsAtAnyDepthBecomePlaceholdersAndExistingOnesAreKept() throws Exception {
        long g1 = guid(source + "@s1");
        PipedServer ch = new PipedServer(config, zfs, "laptop");
        ch.client.handshake();
        byte[] full = pools.send(source + "@s1");
        String deep = pool + "/d1/d2/x";
        assertEquals(
                new ReceiveResult(full.length, g1),
                ch.client.receive(
                        new ReceiveCommand(deep, "s1", g1, null, false, false), new ByteArrayInputStream(full)));
        // A sibling below the parents made for the first: they exist now and stay as they are.
        String sibling = pool + "/d1/d2/y";
        assertEquals(
                new ReceiveResult(full.length, g1),
                ch.client.receive(
                        new ReceiveCommand(sibling, "s1", g1, null, false, false), new ByteArrayInputStream(full)));
        assertEquals(g1, guid(jailed(deep) + "@s1"));
        assertEquals(g1, guid(jailed(sibling) + "@s1"));
        for (String parent : List.of(pool, pool + "/d1", pool + "/d1/d2")) {
            assertEquals("on", property(jailed(parent), "zrepl:placeholder"), parent);
            assertEquals("none", property(jailed(parent), "mountpoint"), parent);
        }
        assertEquals("off", property(jailed(deep), "zrepl:placeholder"));
        assertEquals(
                List.of(pool, pool + "/d1", pool + "/d1/d2", deep, sibling),
                ch.client.listFilesystems().stream().map(RemoteFilesystem::path).toList());
        ch.client.close();
        assertEquals(0, ch.exitCode(), ch.stderr());
    }
}
