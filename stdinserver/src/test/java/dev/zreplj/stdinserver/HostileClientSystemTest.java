package dev.zreplj.stdinserver;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.zreplj.config.Config;
import dev.zreplj.config.ConfigException;
import dev.zreplj.config.ConfigLoader;
import dev.zreplj.config.Global;
import dev.zreplj.config.RecvOptions;
import dev.zreplj.config.ServeLimits;
import dev.zreplj.config.SinkJob;
import dev.zreplj.protocol.DestroyResult;
import dev.zreplj.protocol.DestroyResult.Refusal;
import dev.zreplj.protocol.DestroyTarget;
import dev.zreplj.protocol.ErrorReply;
import dev.zreplj.protocol.FrameReader;
import dev.zreplj.protocol.FrameType;
import dev.zreplj.protocol.FrameWriter;
import dev.zreplj.protocol.Hello;
import dev.zreplj.protocol.ListRoots;
import dev.zreplj.protocol.ReceiveCommand;
import dev.zreplj.protocol.ReceiveResult;
import dev.zreplj.protocol.RemoteException;
import dev.zreplj.protocol.RemoteFilesystem;
import dev.zreplj.protocol.StreamHeader;
import dev.zreplj.protocol.Wire;
import dev.zreplj.pruning.GridSpec;
import dev.zreplj.pruning.KeepRule;
import dev.zreplj.zfs.DatasetName;
import dev.zreplj.zfs.Zfs;
import dev.zreplj.zfs.testing.TestPools;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A compromised client against the box (issue 12), each attack driving a real stdinserver on real zfs
 * (zfs-fuse) through the protocol exactly as sshd would pass it on; each case failed before the box's fix.
 */
@Tag("system")
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class HostileClientSystemTest {
    /** The sample sink's floor (contrib/config/sink.yml), plus anything named keep_* for the rollback case. */
    private static final List<KeepRule> FLOOR = List.of(
            new KeepRule.Grid(Pattern.compile("^zrepl_"), GridSpec.parse("7x1d | 4x7d")),
            new KeepRule.Regex(Pattern.compile("^keep_"), false));

    private static final long YEAR_2100 = 4102444800L;

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

    private Config config(ServeLimits limits) {
        SinkJob sink = new SinkJob(
                "sink",
                DatasetName.of(box + "/sink"),
                List.of("laptop", "desktop", "c1", "c2", "c3", "c4", "c5"),
                RecvOptions.defaults(),
                FLOOR,
                limits);
        return new Config(state.resolve("zreplj.yml"), new Global(state, null), List.of(sink));
    }

    private Config config() {
        return config(ServeLimits.defaults());
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

    private String jailed(String client, String path) {
        return box + "/sink/" + client + "/" + path;
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

    /** The victim, client desktop, has sent {@code snapshot} of {@code fs} in full. */
    private void receivedFromTheVictim(DatasetName fs, String snapshot) throws Exception {
        PipedServer desktop = new PipedServer(config(), zfs, "desktop");
        desktop.client.handshake();
        receive(
                desktop,
                fs.value(),
                snapshot.substring(snapshot.indexOf('@') + 1),
                pools.guid(snapshot),
                null,
                pools.send(snapshot));
        desktop.client.close();
        assertEquals(0, desktop.exitCode(), desktop.stderr());
    }

    /** Issue 12.1: zfs would find a clone's origin by guid anywhere in the pool, another client's jail included. */
    @Test
    void aCloneOfAnotherClientsSnapshotIsRefusedBeforeZfsRecv() throws Exception {
        DatasetName v = filesystem("v");
        String victimSnap = snapshot(v, "zrepl_1");
        long victimGuid = pools.guid(victimSnap);
        receivedFromTheVictim(v, victimSnap);

        // The attacker's own clone of a snapshot with the victim's guid: its stream names that guid as origin.
        pools.zfs("clone", victimSnap, src.child("c").value());
        String cloneSnap = snapshot(src.child("c"), "x");
        byte[] clone = pools.send("-i", victimSnap, cloneSnap);
        assertEquals(1, clone[36] & 1, "zfs send made a clone stream (DRR_FLAG_CLONE)");
        PipedServer laptop = new PipedServer(config(), zfs, "laptop");
        laptop.client.handshake();
        assertEquals(List.of(), laptop.client.listFilesystems(), "the jail is set up");
        String before = boxState();
        RemoteException e = assertThrows(
                RemoteException.class, () -> receive(laptop, "c", "x", pools.guid(cloneSnap), victimGuid, clone));
        assertEquals("stream", e.code());
        assertTrue(e.getMessage().startsWith("the stream is a clone stream"), e.getMessage());
        assertEquals(before, boxState(), "nothing received, no clone of the victim's snapshot");
        laptop.client.close();
        assertEquals(0, laptop.exitCode(), laptop.stderr());
        // The victim's snapshot has no dependent clone: the box can still let it go.
        pools.zfs("destroy", jailed("desktop", v.value()) + "@zrepl_1");
        assertFalse(boxState().contains("@zrepl_1"));
    }

    /**
     * zfs-fuse's zfs recv of an incremental into a filesystem that does not exist looks the base up by guid
     * across the pool and receives into whichever filesystem holds it: another client's, or the box's own.
     */
    @Test
    void anIncrementalOntoAnotherClientsSnapshotIsRefusedBeforeZfsRecv() throws Exception {
        DatasetName v = filesystem("v");
        String victimSnap = snapshot(v, "zrepl_1");
        long victimGuid = pools.guid(victimSnap);
        receivedFromTheVictim(v, victimSnap);

        String next = snapshot(v, "zrepl_2");
        byte[] incremental = pools.send("-i", victimSnap, next);
        PipedServer laptop = new PipedServer(config(), zfs, "laptop");
        laptop.client.handshake();
        assertEquals(List.of(), laptop.client.listFilesystems(), "the jail is set up");
        String before = boxState();
        RemoteException e = assertThrows(
                RemoteException.class,
                () -> receive(laptop, "x", "zrepl_2", pools.guid(next), victimGuid, incremental));
        assertEquals("stream", e.code());
        assertEquals(
                "the stream is an incremental from guid " + Long.toUnsignedString(victimGuid) + ", which is not a"
                        + " snapshot of " + jailed("laptop", "x") + " on the box; an incremental is received only onto"
                        + " the box's copy of its base",
                e.getMessage());
        assertEquals(before, boxState(), "nothing received, the victim's filesystem untouched");
        laptop.client.close();
        assertEquals(0, laptop.exitCode(), laptop.stderr());
    }

    /** Issue 12.2: a snapshot dated 2100 anchored the grid's "now" in 2100, leaving every real snapshot outside it. */
    @Test
    void aFutureDatedSnapshotDoesNotMoveTheFloor() throws Exception {
        DatasetName a = filesystem("a");
        String s1 = snapshot(a, "zrepl_1");
        String s2 = snapshot(a, "zrepl_2");
        String junk = snapshot(a, "zrepl_3");
        byte[] future = withCreation(pools.send("-i", s2, junk), YEAR_2100);
        PipedServer ch = new PipedServer(config(), zfs, "laptop");
        ch.client.handshake();
        receive(ch, a.value(), "zrepl_1", pools.guid(s1), null, pools.send(s1));
        receive(ch, a.value(), "zrepl_2", pools.guid(s2), pools.guid(s1), pools.send("-i", s1, s2));
        receive(ch, a.value(), "zrepl_3", pools.guid(junk), pools.guid(s2), future);
        assertEquals(
                String.valueOf(YEAR_2100),
                pools.getParsable(jailed("laptop", a.value()) + "@zrepl_3", "creation"),
                "the box holds a snapshot its stream dated 2100");

        DestroyResult r = ch.client.destroy(
                a.value(),
                List.of(new DestroyTarget("zrepl_1", pools.guid(s1)), new DestroyTarget("zrepl_2", pools.guid(s2))));
        // All three arrived today by the box's clock: the day's interval keeps its oldest, zrepl_1.
        assertEquals(
                new DestroyResult(List.of("zrepl_2"), List.of(new Refusal("zrepl_1", DestroyPlan.KEPT_BY_FLOOR))), r);
        assertEquals(pools.guid(s1), pools.guid(jailed("laptop", a.value()) + "@zrepl_1"));
        ch.client.close();
        assertEquals(0, ch.exitCode(), ch.stderr());
        assertTrue(
                Files.readString(ReceiveTimes.path(state, DatasetName.of(jailed("laptop", a.value()))))
                        .contains(Long.toUnsignedString(pools.guid(junk)) + "\t"),
                "the box recorded its own receive time");
    }

    /**
     * zfs recv gives the snapshot its stream's creation; one past Instant's range failed every listing of the
     * jail (LIST, DESTROY, SEND: the client's replication, pruning and restores) and the box's status for all.
     */
    @Test
    void aCreationPastAnyCalendarIsRefusedAndTheJailStillLists() throws Exception {
        DatasetName a = filesystem("a");
        String s1 = snapshot(a, "zrepl_1");
        String s2 = snapshot(a, "zrepl_2");
        byte[] forged = withCreation(pools.send("-i", s1, s2), 40_000_000_000_000_000L);
        PipedServer ch = new PipedServer(config(), zfs, "laptop");
        ch.client.handshake();
        receive(ch, a.value(), "zrepl_1", pools.guid(s1), null, pools.send(s1));
        RemoteException e = assertThrows(
                RemoteException.class, () -> receive(ch, a.value(), "zrepl_2", pools.guid(s2), pools.guid(s1), forged));
        assertEquals("stream", e.code(), e.getMessage());
        assertTrue(e.getMessage().contains("past the year 9999"), e.getMessage());
        assertEquals(
                List.of("zrepl_1"),
                ch.client.listFilesystems().stream()
                        .filter(f -> f.path().equals(a.value()))
                        .flatMap(f -> f.versions().stream())
                        .map(v -> v.name())
                        .toList(),
                "nothing received, and the jail lists");
        ch.client.close();
        assertEquals(0, ch.exitCode(), ch.stderr());
    }

    /**
     * Issue 12.3: with a last_n floor, N junk snapshots were the N it kept. Such a floor is refused at load; the
     * grid, on the box's receive clock, keeps the real snapshot however much junk follows it.
     */
    @Test
    void aJunkFloodCannotPushRealSnapshotsOutOfTheFloor() throws Exception {
        Path yml = state.resolve("sink.yml");
        Files.writeString(
                yml,
                "jobs:\n  - name: s\n    type: sink\n    root_fs: " + box + "/sink\n    serve:\n"
                        + "      type: stdinserver\n      client_identities: [laptop]\n"
                        + "    policy: {keep_floor: [{type: last_n, count: 2}]}\n");
        ConfigException refused = assertThrows(ConfigException.class, () -> new ConfigLoader().load(yml));
        assertTrue(
                refused.getMessage().contains("keep rule 'last_n' is not allowed in keep_floor"), refused.getMessage());

        DatasetName a = filesystem("a");
        String real = snapshot(a, "zrepl_real");
        PipedServer ch = new PipedServer(config(), zfs, "laptop");
        ch.client.handshake();
        receive(ch, a.value(), "zrepl_real", pools.guid(real), null, pools.send(real));
        String base = real;
        for (int i = 1; i <= 3; i++) {
            String j = snapshot(a, "zrepl_junk" + i);
            receive(ch, a.value(), "zrepl_junk" + i, pools.guid(j), pools.guid(base), pools.send("-i", base, j));
            base = j;
        }
        DestroyResult r = ch.client.destroy(a.value(), List.of(new DestroyTarget("zrepl_real", pools.guid(real))));
        assertEquals(new DestroyResult(List.of(), List.of(new Refusal("zrepl_real", DestroyPlan.KEPT_BY_FLOOR))), r);
        assertEquals(pools.guid(real), pools.guid(jailed("laptop", a.value()) + "@zrepl_real"));
        ch.client.close();
        assertEquals(0, ch.exitCode(), ch.stderr());
    }

    /**
     * A client that reads nothing while the box writes its RECV's reply held a receive slot, its client slot and the
     * dataset's lock for good: the box's writes had no bound.
     */
    @Test
    void aClientThatReadsNothingLosesItsReceivesSlotsAfterTheStreamTimeout() throws Exception {
        ServeLimits limits = new ServeLimits(Duration.ofHours(1), Duration.ofSeconds(3), 8, 2);
        DatasetName a = filesystem("a");
        String s1 = snapshot(a, "zrepl_1");
        // Less room than a RESULT frame: the reply waits for the client to read it.
        PipedServer ch = new PipedServer(config(limits), zfs, "laptop", false, 32);
        ch.client.handshake();
        receive(ch, a.value(), "zrepl_1", pools.guid(s1), null, pools.send(s1));
        String s2 = snapshot(a, "zrepl_2");
        byte[] incremental = pools.send("-i", s1, s2);
        FrameWriter w = new FrameWriter(ch.toServer, Wire.MAX_CONTROL_FROM_CLIENT);
        w.control(
                FrameType.RECV, new ReceiveCommand(a.value(), "zrepl_2", pools.guid(s2), pools.guid(s1), false, false));
        byte[] chunk = FrameWriter.newDataBuffer();
        for (int off = 0; off < incremental.length; off += Wire.MAX_DATA) {
            int n = Math.min(Wire.MAX_DATA, incremental.length - off);
            System.arraycopy(incremental, off, chunk, FrameWriter.DATA_OFFSET, n);
            w.data(chunk, n);
        }
        w.empty(FrameType.END);
        w.flush();

        assertEquals(1, ch.exitCode(), ch.stderr());
        assertTrue(
                ch.stderr()
                        .contains("the client read nothing for 3s while the box was writing its reply; closing the"
                                + " channel"),
                ch.stderr());
        // The snapshot arrived, and the box recorded it although the client never heard.
        assertEquals(pools.guid(s2), pools.guid(jailed("laptop", a.value()) + "@zrepl_2"));
        assertEquals(
                "zrepl_2",
                ClientStatusFile.read(state, "laptop")
                        .filesystems()
                        .get(a.value())
                        .snapshot());
        // The dataset's lock and the slots are free: the next channel receives at once.
        PipedServer next = new PipedServer(config(limits), zfs, "laptop");
        next.client.handshake();
        String s3 = snapshot(a, "zrepl_3");
        byte[] third = pools.send("-i", s2, s3);
        assertEquals(
                new ReceiveResult(third.length, pools.guid(s3)),
                receive(next, a.value(), "zrepl_3", pools.guid(s3), pools.guid(s2), third));
        next.client.close();
        assertEquals(0, next.exitCode(), next.stderr());
    }

    /** Issue 12.4: four receivers that stall after the stream's header held all four box-wide slots for good. */
    @Test
    void fourStalledReceiversDoNotStopAFifthClient() throws Exception {
        ServeLimits limits = new ServeLimits(Duration.ofHours(1), Duration.ofSeconds(3), 8, 2);
        DatasetName a = filesystem("a");
        String s1 = snapshot(a, "zrepl_1");
        byte[] full = pools.send(s1);
        List<PipedServer> stalled = new ArrayList<>();
        for (String client : List.of("c1", "c2", "c3", "c4")) {
            PipedServer ch = new PipedServer(config(limits), zfs, client);
            FrameWriter w = new FrameWriter(ch.toServer, Wire.MAX_CONTROL_FROM_CLIENT);
            w.writeMagic();
            w.control(FrameType.HELLO, new Hello(Wire.PROTOCOL_VERSION, "test", List.of()));
            w.control(FrameType.RECV, new ReceiveCommand(a.value(), "zrepl_1", pools.guid(s1), null, false, false));
            byte[] chunk = FrameWriter.newDataBuffer();
            System.arraycopy(full, 0, chunk, FrameWriter.DATA_OFFSET, StreamHeader.LENGTH);
            w.data(chunk, StreamHeader.LENGTH);
            w.flush();
            stalled.add(ch);
        }
        Path slots = ReceiveSlot.boxReceives(state);
        waitUntil(
                () -> {
                    ReceiveSlot free = ReceiveSlot.tryAcquire(slots, ServeLimits.BOX_RECEIVES);
                    if (free != null) {
                        free.close();
                    }
                    return free == null;
                },
                "the stallers hold all slots");

        long start = System.nanoTime();
        PipedServer fifth = new PipedServer(config(limits), zfs, "c5");
        fifth.client.handshake();
        assertEquals(
                new ReceiveResult(full.length, pools.guid(s1)),
                receive(fifth, a.value(), "zrepl_1", pools.guid(s1), null, full));
        long waited = System.nanoTime() - start;
        assertTrue(waited < TimeUnit.SECONDS.toNanos(60), "received after " + waited / 1_000_000 + " ms");
        fifth.client.close();
        assertEquals(0, fifth.exitCode(), fifth.stderr());
        for (PipedServer ch : stalled) {
            assertEquals(1, ch.exitCode());
            assertTrue(
                    ch.stderr()
                            .contains("the client sent nothing for 3s while the box waited for the rest of its"
                                    + " RECV request; closing the channel"),
                    ch.stderr());
        }
        assertFalse(boxState().contains(jailed("c1", a.value()) + "@"), "nothing half received");
        assertEquals(
                4,
                boxLog().stream().filter(l -> l.contains("sent nothing for 3s")).count(),
                boxLog().toString());
    }

    /** One client cannot hold more than its share: channels and receive slots are capped per client. */
    @Test
    void oneClientIsCappedInChannels() throws Exception {
        ServeLimits limits = new ServeLimits(Duration.ofHours(1), Duration.ofMinutes(5), 2, 2);
        PipedServer one = new PipedServer(config(limits), zfs, "laptop");
        one.client.handshake();
        PipedServer two = new PipedServer(config(limits), zfs, "laptop");
        two.client.handshake();
        PipedServer three = new PipedServer(config(limits), zfs, "laptop");
        // In the handshake, in place of the box's HELLO: after one, the agent handed the channel to a step, which
        // failed, where it can go on over the channels it has.
        RemoteException busy = assertThrows(RemoteException.class, () -> three.client.handshake());
        assertEquals("busy", busy.code());
        assertEquals(
                "client 'laptop' already has its maximum of 2 channels open on the box (serve.zreplj.max_channels"
                        + " of sink job 'sink'); close some or raise the cap",
                busy.getMessage());
        assertEquals(1, three.exitCode());
        PipedServer other = new PipedServer(config(limits), zfs, "desktop");
        other.client.handshake();
        other.client.close();
        assertEquals(0, other.exitCode(), other.stderr());
        one.client.close();
        assertEquals(0, one.exitCode(), one.stderr());
        PipedServer again = new PipedServer(config(limits), zfs, "laptop");
        again.client.handshake();
        again.client.close();
        assertEquals(0, again.exitCode(), again.stderr());
        two.client.close();
        assertEquals(0, two.exitCode(), two.stderr());
    }

    /**
     * An agent from before the refusal moved into the greeting (it does not list busy-greeting) takes a failed
     * handshake for an unreachable box: with concurrency above the cap every pass failed as a whole once the box
     * was upgraded (the mixed-versions audit). It gets a HELLO and the ERROR as the reply to its first request,
     * which fails that step only, as the box did before.
     */
    @Test
    void anOlderAgentOverItsCapGetsTheBusyAfterAHello() throws Exception {
        ServeLimits limits = new ServeLimits(Duration.ofHours(1), Duration.ofMinutes(5), 1, 1);
        PipedServer one = new PipedServer(config(limits), zfs, "laptop");
        one.client.handshake();
        PipedServer older = new PipedServer(config(limits), zfs, "laptop");
        FrameWriter w = new FrameWriter(older.toServer, Wire.MAX_CONTROL_FROM_CLIENT);
        w.writeMagic();
        w.control(FrameType.HELLO, new Hello(Wire.PROTOCOL_VERSION, "dev", List.of(Wire.DESTROY_FAILED), "job"));
        w.empty(FrameType.LIST);
        w.flush();
        FrameReader r = new FrameReader(older.fromServer, "server", Wire.MAX_CONTROL_FROM_SERVER);
        r.readMagic();
        assertEquals(FrameType.HELLO, r.expectFrame("HELLO"));
        assertEquals(List.of(), r.hello().capabilities());
        assertEquals(FrameType.ERROR, r.expectFrame("LISTING"));
        ErrorReply busy = r.json(ErrorReply.class);
        assertEquals("busy", busy.code());
        assertEquals(
                "client 'laptop' already has its maximum of 1 channels open on the box (serve.zreplj.max_channels"
                        + " of sink job 'sink'); close some or raise the cap",
                busy.message());
        assertEquals(1, older.exitCode());
        one.client.close();
        assertEquals(0, one.exitCode(), one.stderr());
    }

    /**
     * Channels beyond the cap that never send their HELLO each kept a stdinserver (a JVM) alive for the whole
     * stream timeout, so a client opening many silent channels multiplied the box's processes far past its cap.
     */
    @Test
    void silentChannelsBeyondTheCapEndLongBeforeTheStreamTimeout() throws Exception {
        ServeLimits limits = new ServeLimits(Duration.ofHours(1), Duration.ofMinutes(5), 1, 2);
        PipedServer one = new PipedServer(config(limits), zfs, "laptop");
        one.client.handshake();
        long start = System.nanoTime();
        PipedServer silent = new PipedServer(config(limits), zfs, "laptop");
        assertEquals(1, silent.exit.get(60, TimeUnit.SECONDS));
        assertTrue(Duration.ofNanos(System.nanoTime() - start).compareTo(Duration.ofSeconds(20)) < 0);
        one.client.close();
        assertEquals(0, one.exitCode(), one.stderr());
    }

    /**
     * A request frame was read whole under the idle timeout: a client that sent a frame's first byte and then
     * nothing held its channel for an hour, where docs/box.md bounds every wait within a request by the stream
     * timeout.
     */
    @Test
    void aRequestBegunAndNotFinishedEndsAfterTheStreamTimeout() throws Exception {
        ServeLimits limits = new ServeLimits(Duration.ofHours(1), Duration.ofSeconds(1), 8, 2);
        PipedServer ch = new PipedServer(config(limits), zfs, "laptop");
        ch.client.handshake();
        ch.toServer.write(0x20); // RECV
        ch.toServer.flush();
        assertEquals(1, ch.exit.get(30, TimeUnit.SECONDS));
        assertTrue(
                ch.stderr()
                        .contains("the client sent nothing for 1s while the box waited for the rest of its request;"),
                ch.stderr());
    }

    /**
     * Every refused request was a line in the box's log, and a refusal costs the client one small frame: one
     * channel grew the log by megabytes a second, filling the state directory's disk (where the floor's receive
     * times live). A client's refusals now share a daily budget across its processes.
     */
    @Test
    void aFloodOfRefusedRequestsCannotFillTheBoxsLog() throws Exception {
        PipedServer ch = new PipedServer(config(), zfs, "laptop");
        ch.client.handshake();
        Thread replies = new Thread(() -> {
            try {
                ch.fromServer.transferTo(java.io.OutputStream.nullOutputStream());
            } catch (IOException closed) {
                // the server is gone
            }
        });
        replies.setDaemon(true);
        replies.start();
        FrameWriter w = new FrameWriter(ch.toServer, Wire.MAX_CONTROL_FROM_CLIENT);
        int requests = (int) BoxLog.BUDGET + 2000;
        long started = System.nanoTime();
        for (int i = 0; i < requests; i++) {
            // Some with a snapshot name as long as a frame allows, quoted whole in the refusal.
            boolean longName = i % 1000 == 0;
            w.control(
                    FrameType.RECV,
                    new ReceiveCommand(
                            longName ? "a" : "no/such/" + i + "!",
                            longName ? "s".repeat(900_000) + "!" : "s",
                            1,
                            null,
                            false,
                            false));
            w.empty(FrameType.END);
        }
        w.empty(FrameType.BYE);
        w.flush();
        assertEquals(0, ch.exitCode(), ch.stderr());
        // The budget refills over a day (a line per 8.6 s): on a slow machine the flood itself earns a few.
        long refilled = (System.nanoTime() - started)
                        * BoxLog.BUDGET
                        / java.time.Duration.ofDays(1).toNanos()
                + 1;
        List<String> lines = boxLog();
        assertTrue(lines.size() <= BoxLog.BUDGET + 2 + refilled, lines.size() + " lines, " + refilled + " refilled");
        assertTrue(Files.size(BoxLog.path(state)) < 5_000_000, Files.size(BoxLog.path(state)) + " bytes");
        // The line saying so comes once; after it only what the budget refilled meanwhile (the last line was
        // assumed to be this one, which a flood slower than 8.6 s on a loaded machine disproved).
        String over = "over its log budget of 10000 lines a day: further refusals, failures and sends of this"
                + " channel are not logged here";
        List<Integer> at = java.util.stream.IntStream.range(0, lines.size())
                .filter(i -> lines.get(i).endsWith(over))
                .boxed()
                .toList();
        assertEquals(1, at.size(), () -> "lines saying the budget is spent: " + at);
        assertTrue(
                lines.size() - 1 - at.get(0) <= refilled,
                (lines.size() - 1 - at.get(0)) + " lines after it, " + refilled + " refilled");
        // Another client's refusals are its own.
        PipedServer other = new PipedServer(config(), zfs, "desktop");
        other.client.handshake();
        assertThrows(RemoteException.class, () -> other.client.destroy("x!", List.of(new DestroyTarget("s", 1))));
        other.client.close();
        assertEquals(0, other.exitCode(), other.stderr());
        assertTrue(boxLog().get(boxLog().size() - 1).contains("client 'desktop'"), boxLog().toString());
    }

    /** Issue 12.5: a client-chosen name with a newline forged a log line attributed to another client. */
    @Test
    void aForgedLogLineStaysOnItsOwnLineAttributedToItsClient() throws Exception {
        DatasetName a = filesystem("a");
        String s1 = snapshot(a, "zrepl_1");
        String forged = "x\n2026-11-30T12:00:00Z WARN client 'desktop' [pid 1]: destroyed everything\r";
        PipedServer ch = new PipedServer(config(), zfs, "laptop");
        ch.client.handshake();
        RemoteException jail = assertThrows(
                RemoteException.class, () -> receive(ch, forged, "zrepl_1", pools.guid(s1), null, pools.send(s1)));
        assertEquals("jail", jail.code());
        RemoteException snap = assertThrows(
                RemoteException.class, () -> ch.client.destroy(a.value(), List.of(new DestroyTarget(forged, 1))));
        assertEquals("jail", snap.code());
        ch.client.close();
        assertEquals(0, ch.exitCode(), ch.stderr());

        PipedServer job = new PipedServer(config(), zfs, "laptop");
        job.client.handshake(forged);
        assertThrows(IOException.class, job.client::listFilesystems);
        assertEquals(1, job.exitCode());
        assertFalse(job.stderr().contains("\r") || job.stderr().strip().contains("\n"), job.stderr());

        List<String> lines = boxLog();
        assertEquals(
                3,
                lines.stream().filter(l -> l.contains("destroyed everything")).count(),
                lines.toString());
        for (String line : lines) {
            assertTrue(line.matches("^\\S+Z (INFO|WARN) client 'laptop' \\[pid \\d+\\]: .*"), line);
            assertFalse(line.contains("\r"), line);
        }
        assertTrue(
                lines.stream().anyMatch(l -> l.contains("x\\x0a2026-11-30T12:00:00Z WARN client 'desktop'")),
                lines.toString());
    }

    /** Issue 12.6: a send -R stream with its property payload cut out went to zfs recv unchecked. */
    @Test
    void aReplicationStreamIsRefusedWithOrWithoutItsPayload() throws Exception {
        DatasetName a = filesystem("a");
        String s1 = snapshot(a, "zrepl_1");
        byte[] replication = pools.send("-R", s1);
        ByteBuffer b = ByteBuffer.wrap(replication).order(ByteOrder.LITTLE_ENDIAN);
        int payload = b.getInt(4);
        assertTrue(payload > 0, "send -R carries its property payload");
        byte[] stripped = new byte[replication.length - payload];
        System.arraycopy(replication, 0, stripped, 0, StreamHeader.LENGTH);
        System.arraycopy(
                replication,
                StreamHeader.LENGTH + payload,
                stripped,
                StreamHeader.LENGTH,
                replication.length - StreamHeader.LENGTH - payload);
        ByteBuffer.wrap(stripped).order(ByteOrder.LITTLE_ENDIAN).putInt(4, 0);
        long toGuid = b.getLong(40);
        PipedServer ch = new PipedServer(config(), zfs, "laptop");
        ch.client.handshake();
        // With its payload the box reads it and sees -R; without, there is nothing it could check.
        List<String> why = List.of(
                "it is a replication stream (zfs send -R)", "its properties payload is not one the box can read");
        for (int i = 0; i < 2; i++) {
            byte[] stream = i == 0 ? replication : stripped;
            RemoteException e = assertThrows(
                    RemoteException.class,
                    () -> receive(ch, a.value(), "zrepl_1", toGuid == 0 ? pools.guid(s1) : toGuid, null, stream));
            assertEquals("stream", e.code());
            assertTrue(
                    e.getMessage().startsWith("the stream carries properties (zfs send -p/-b), but " + why.get(i)),
                    e.getMessage());
        }
        assertEquals(
                List.of(box, box + "/sink", box + "/sink/laptop"),
                boxState().lines().toList(),
                "nothing but the jail");
        ch.client.close();
        assertEquals(0, ch.exitCode(), ch.stderr());
    }

    /** Issue 12.6: JSON numbers were taken for string fields ("path": 123 received into the jail's "123"). */
    @Test
    void wrongJsonTypesAreAProtocolError() throws Exception {
        DatasetName a = filesystem("a");
        String s1 = snapshot(a, "zrepl_1");
        byte[] full = pools.send(s1);
        for (String recv : List.of("{\"path\":123,\"snapshot\":\"zrepl_1\"", "{\"path\":\"a\",\"snapshot\":1")) {
            PipedServer ch = new PipedServer(config(), zfs, "laptop");
            FrameWriter w = new FrameWriter(ch.toServer, Wire.MAX_CONTROL_FROM_CLIENT);
            w.writeMagic();
            w.control(FrameType.HELLO, new Hello(Wire.PROTOCOL_VERSION, "test", List.of()));
            byte[] json = (recv + ",\"toGuid\":" + pools.guid(s1) + ",\"fromGuid\":null,\"rollback\":false,"
                            + "\"resumable\":false,\"resumeToken\":null,\"discardPartial\":false}")
                    .getBytes(StandardCharsets.UTF_8);
            ch.toServer.write(new byte[] {0x20, 0, 0, (byte) (json.length >> 8), (byte) json.length});
            ch.toServer.write(json);
            byte[] chunk = FrameWriter.newDataBuffer();
            int n = Math.min(full.length, Wire.MAX_DATA);
            System.arraycopy(full, 0, chunk, FrameWriter.DATA_OFFSET, n);
            try {
                w.data(chunk, n);
                w.flush();
            } catch (IOException closed) {
                // The box may refuse the RECV and stop reading before the stream is written: "Pipe closed".
            }
            FrameReader r = new FrameReader(ch.fromServer, "server", Wire.MAX_CONTROL_FROM_SERVER);
            r.readMagic();
            assertEquals(FrameType.HELLO, r.next());
            assertEquals(FrameType.ERROR, r.next());
            ErrorReply error = r.json(ErrorReply.class);
            assertEquals("protocol", error.code(), error.message());
            assertTrue(error.message().startsWith("RECV frame does not fit its message"), error.message());
            assertEquals(1, ch.exitCode());
        }
        assertFalse(boxState().contains("/123"), boxState());
        assertFalse(boxState().contains("@zrepl_1"), boxState());
    }

    /**
     * Issue 12.6: a client-requested rollback (recv -F) would destroy the box's snapshots newer than the stream's
     * base. The box refuses it when its floor keeps one of them (zfs-fuse; the OpenZFS lab shows zfs's side).
     */
    @Test
    void aRollbackThatWouldDestroyAFloorKeptSnapshotIsRefused() throws Exception {
        DatasetName a = filesystem("a");
        String s1 = snapshot(a, "zrepl_1");
        String kept = snapshot(a, "keep_2");
        String s3 = snapshot(a, "zrepl_3");
        PipedServer ch = new PipedServer(config(), zfs, "laptop");
        ch.client.handshake();
        receive(ch, a.value(), "zrepl_1", pools.guid(s1), null, pools.send(s1));
        receive(ch, a.value(), "keep_2", pools.guid(kept), pools.guid(s1), pools.send("-i", s1, kept));
        String before = boxState();
        RemoteException e = assertThrows(
                RemoteException.class,
                () -> ch.client.receive(
                        new ReceiveCommand(a.value(), "zrepl_3", pools.guid(s3), pools.guid(s1), true, false),
                        new ByteArrayInputStream(pools.send("-i", s1, s3))));
        assertEquals("stream", e.code());
        assertEquals(
                "the rollback (zfs recv -F) would destroy " + jailed("laptop", a.value()) + "@keep_2, kept by the"
                        + " box's keep_floor; refused",
                e.getMessage());
        assertEquals(before, boxState());
        ch.client.close();
        assertEquals(0, ch.exitCode(), ch.stderr());
    }

    /**
     * A client naming made-up filesystems without end (cheap DESTROYs, RECVs that fail) left a lock file and a
     * receive-time file behind for every name, until the state directory ran out of inodes.
     */
    @Test
    void madeUpNamesLeaveNoFileBehindOnTheBox() throws Exception {
        DatasetName a = filesystem("a");
        String s1 = snapshot(a, "zrepl_1");
        byte[] full = pools.send(s1);
        byte[] truncated = Arrays.copyOf(full, full.length / 2);
        PipedServer ch = new PipedServer(config(), zfs, "laptop");
        ch.client.handshake();
        for (int i = 0; i < 30; i++) {
            DestroyResult r = ch.client.destroy("made-up-" + i, List.of(new DestroyTarget("zrepl_1", 1)));
            assertEquals(List.of(), r.destroyed());
        }
        for (int i = 0; i < 10; i++) {
            String path = "made-up-recv-" + i;
            RemoteException e = assertThrows(
                    RemoteException.class, () -> receive(ch, path, "zrepl_1", pools.guid(s1), null, truncated));
            assertEquals("zfs", e.code(), e.getMessage());
        }
        ch.client.close();
        assertEquals(0, ch.exitCode(), ch.stderr());
        assertTrue(!boxState().contains("made-up"), boxState());
        List<String> left;
        try (var files = Files.walk(state)) {
            left = files.map(f -> state.relativize(f).toString())
                    .filter(f -> f.contains("made-up"))
                    .toList();
        }
        assertEquals(List.of(), left, "files the made-up names left in the state directory");
        try (var locks = Files.list(state.resolve("locks"))) {
            assertEquals(List.of(DatasetLock.path(state)), locks.toList());
        }
    }

    /** A HELLO that does not fit its message, or another frame first, is answered ERROR protocol before the end. */
    @Test
    void aMalformedOrMissingHelloIsAnsweredWithAProtocolError() throws Exception {
        for (String first : List.of("hello", "recv")) {
            PipedServer ch = new PipedServer(config(), zfs, "laptop");
            FrameWriter w = new FrameWriter(ch.toServer, Wire.MAX_CONTROL_FROM_CLIENT);
            w.writeMagic();
            byte[] json = (first.equals("hello") ? "{\"protocol\":\"one\"}" : "{\"path\":\"a\"}")
                    .getBytes(StandardCharsets.UTF_8);
            byte type = first.equals("hello") ? (byte) 0x01 : (byte) 0x20; // HELLO, RECV
            ch.toServer.write(new byte[] {type, 0, 0, (byte) (json.length >> 8), (byte) json.length});
            ch.toServer.write(json);
            ch.toServer.flush();
            FrameReader r = new FrameReader(ch.fromServer, "server", Wire.MAX_CONTROL_FROM_SERVER);
            r.readMagic();
            assertEquals(FrameType.HELLO, r.next());
            assertEquals(FrameType.ERROR, r.next(), first);
            ErrorReply error = r.json(ErrorReply.class);
            assertEquals("protocol", error.code(), first + ": " + error.message());
            assertEquals(1, ch.exitCode());
        }
    }

    /**
     * JSON nulls where a RECV_SERIES needs a command or a snapshot's name are refused by name (protocol, jail),
     * not answered as an internal error (a NullPointerException), and nothing is received.
     */
    @Test
    void nullsInARecvSeriesAreRefusedByName() throws Exception {
        DatasetName a = filesystem("a");
        String s1 = snapshot(a, "zrepl_1");
        String command = "{\"path\":\"" + a.value() + "\",\"snapshot\":\"zrepl_2\",\"toGuid\":7,\"fromGuid\":"
                + pools.guid(s1) + ",\"rollback\":false,\"resumable\":false,\"resumeToken\":null,"
                + "\"discardPartial\":false}";
        java.util.Map<String, String> cases = new java.util.LinkedHashMap<>();
        cases.put("{\"command\":null,\"snapshots\":[{\"name\":\"zrepl_2\",\"guid\":7}]}", "protocol");
        cases.put("{\"command\":" + command + ",\"snapshots\":[{\"name\":null,\"guid\":7}]}", "jail");
        cases.put("{\"command\":" + command + ",\"snapshots\":[null]}", "protocol");
        for (java.util.Map.Entry<String, String> c : cases.entrySet()) {
            PipedServer ch = new PipedServer(config(), zfs, "laptop");
            FrameWriter w = new FrameWriter(ch.toServer, Wire.MAX_CONTROL_FROM_CLIENT);
            w.writeMagic();
            w.control(FrameType.HELLO, new Hello(Wire.PROTOCOL_VERSION, "test", List.of()));
            byte[] json = c.getKey().getBytes(StandardCharsets.UTF_8);
            ch.toServer.write(new byte[] {0x26, 0, 0, (byte) (json.length >> 8), (byte) json.length});
            ch.toServer.write(json);
            try {
                w.empty(FrameType.END);
                w.flush();
            } catch (IOException closed) {
                // A refusal that ends the channel may close it before END is written.
            }
            FrameReader r = new FrameReader(ch.fromServer, "server", Wire.MAX_CONTROL_FROM_SERVER);
            r.readMagic();
            assertEquals(FrameType.HELLO, r.next());
            assertEquals(FrameType.ERROR, r.next(), c.getKey());
            ErrorReply error = r.json(ErrorReply.class);
            assertEquals(c.getValue(), error.code(), c.getKey() + ": " + error.message());
            ch.toServer.close();
            ch.exitCode();
        }
        assertFalse(boxState().contains("@zrepl_2"), boxState());
    }

    /**
     * docs/protocol.md: the snapshots of a series that arrived count as received "on success as after a refused or
     * failed series". A client gone inside the stream (its agent killed, its link cut) left the completed ones on
     * the box without their receive time, hold or status entry: the status understated what the box held, and
     * the floor would time them by the creation their stream claims.
     */
    @Test
    void theSnapshotsOfASeriesThatArrivedBeforeTheClientWentAwayAreRecorded() throws Exception {
        DatasetName a = filesystem("a");
        String s1 = snapshot(a, "zrepl_1");
        PipedServer ch = new PipedServer(config(), zfs, "laptop");
        ch.client.handshake("push");
        receive(ch, a.value(), "zrepl_1", pools.guid(s1), null, pools.send(s1));
        String s2 = snapshot(a, "zrepl_2");
        String s3 = snapshot(a, "zrepl_3");
        byte[] series = pools.send("-I", s1, s3);
        FrameWriter w = new FrameWriter(ch.toServer, Wire.MAX_CONTROL_FROM_CLIENT);
        w.control(
                FrameType.RECV_SERIES,
                new dev.zreplj.protocol.ReceiveSeries(
                        new ReceiveCommand(a.value(), "zrepl_3", pools.guid(s3), pools.guid(s1), false, false),
                        List.of(
                                new dev.zreplj.protocol.ReceiveSeries.Snapshot("zrepl_2", pools.guid(s2)),
                                new dev.zreplj.protocol.ReceiveSeries.Snapshot("zrepl_3", pools.guid(s3)))));
        // All of zrepl_2's substream and half of zrepl_3's (as long as its own -i stream); then the connection
        // ends inside the stream, no END frame.
        byte[] chunk = FrameWriter.newDataBuffer();
        int length = series.length - pools.send("-i", s2, s3).length / 2;
        for (int off = 0; off < length; off += Wire.MAX_DATA) {
            int n = Math.min(Wire.MAX_DATA, length - off);
            System.arraycopy(series, off, chunk, FrameWriter.DATA_OFFSET, n);
            w.data(chunk, n);
        }
        w.flush();
        ch.toServer.close();

        assertEquals(1, ch.exitCode(), ch.stderr());
        DatasetName target = DatasetName.of(jailed("laptop", a.value()));
        assertEquals(pools.guid(s2), pools.guid(target + "@zrepl_2"));
        assertEquals(List.of("zrepl_1", "zrepl_2"), pools.snapshotNames(target));
        assertEquals(
                "zrepl_2",
                ClientStatusFile.read(state, "laptop")
                        .filesystems()
                        .get(a.value())
                        .snapshot(),
                ch.stderr());
        java.util.Map<Long, java.time.Instant> times = ReceiveTimes.read(state, target);
        assertTrue(times.containsKey(pools.guid(target + "@zrepl_2")), times::toString);
    }

    /**
     * zfs commits a stream once it has read the END record, whatever the client sends after it. A client that
     * sent the whole stream and then ABORT (its zfs send failing at exit, a hostile client) left the snapshot
     * on the box with no log line, no receive time of its own, no last-received hold, no status entry, and a
     * full stream's target still flagged a placeholder.
     */
    @Test
    void aWholeStreamTheClientThenAbortsIsLoggedAndRecorded() throws Exception {
        DatasetName a = filesystem("a");
        String s1 = snapshot(a, "zrepl_1");
        PipedServer ch = new PipedServer(config(), zfs, "laptop");
        ch.client.handshake("push");
        ErrorReply error = framedReceive(
                ch,
                new ReceiveCommand(a.value(), "zrepl_1", pools.guid(s1), null, false, false),
                pools.send(s1),
                new byte[0],
                FrameType.ABORT);
        assertEquals("aborted", error.code(), error.message());
        ch.client.close();
        assertEquals(0, ch.exitCode(), ch.stderr());

        DatasetName target = DatasetName.of(jailed("laptop", a.value()));
        assertArrived(target, "zrepl_1", pools.guid(s1), "the client aborted the stream");
        assertEquals(
                "off",
                pools.zfs("get", "-H", "-o", "value", "zrepl:placeholder", target.value())
                        .strip());
    }

    /**
     * A plain framed stream is not followed record by record on the box: zfs recv ends at its END record and
     * the box's next write fails. Bytes after that end made the box answer "stopped reading the stream" and
     * record nothing of the snapshot zfs had received.
     */
    @Test
    void aStreamWithBytesAfterItsEndIsLoggedAndRecorded() throws Exception {
        DatasetName a = filesystem("a");
        String s1 = snapshot(a, "zrepl_1");
        String s2 = snapshot(a, "zrepl_2");
        PipedServer ch = new PipedServer(config(), zfs, "laptop");
        ch.client.handshake("push");
        receive(ch, a.value(), "zrepl_1", pools.guid(s1), null, pools.send(s1));
        // More than a pipe holds, so that the box's write into zfs recv fails after zfs recv exits.
        ErrorReply error = framedReceive(
                ch,
                new ReceiveCommand(a.value(), "zrepl_2", pools.guid(s2), pools.guid(s1), false, false),
                pools.send("-i", s1, s2),
                new byte[4 << 20],
                FrameType.END);
        assertEquals("zfs", error.code(), error.message());
        ch.client.close();
        assertEquals(0, ch.exitCode(), ch.stderr());

        DatasetName target = DatasetName.of(jailed("laptop", a.value()));
        assertArrived(target, "zrepl_2", pools.guid(s2), "zfs recv stopped reading the stream before the client's END");
        // zfs-fuse has no `zfs holds`: its one hold is the last-received one.
        assertEquals(
                List.of("0", "1"),
                List.of(
                        pools.getParsable(target + "@zrepl_1", "userrefs"),
                        pools.getParsable(target + "@zrepl_2", "userrefs")),
                "the last-received hold moved to the snapshot that arrived");
    }

    /** Every refusal is logged (docs/box.md); a SEND refused after its names were checked was answered only. */
    @Test
    void aSendRefusedAfterItsNameChecksIsLogged() throws Exception {
        DatasetName a = filesystem("a");
        String s1 = snapshot(a, "zrepl_1");
        String s2 = snapshot(a, "zrepl_2");
        PipedServer ch = new PipedServer(config(), zfs, "laptop");
        ch.client.handshake("push");
        receive(ch, a.value(), "zrepl_1", pools.guid(s1), null, pools.send(s1));
        receive(ch, a.value(), "zrepl_2", pools.guid(s2), pools.guid(s1), pools.send("-i", s1, s2));
        RemoteException e = assertThrows(
                RemoteException.class,
                () -> ch.client.send(
                        new dev.zreplj.protocol.SendCommand(a.value(), "zrepl_1", "@zrepl_2", null),
                        java.io.OutputStream.nullOutputStream()));
        String target = jailed("laptop", a.value());
        assertEquals("stream", e.code(), e.getMessage());
        assertEquals(
                "incremental base " + target + "@zrepl_2 is not older than " + target + "@zrepl_1", e.getMessage());
        ch.client.close();
        assertEquals(0, ch.exitCode(), ch.stderr());
        assertTrue(
                boxLog().stream().anyMatch(l -> l.endsWith("refused SEND: " + e.getMessage())),
                String.join("\n", boxLog()));
    }

    /**
     * Sends {@code cmd} as a RECV with {@code stream} and then {@code trailing} as DATA frames, then {@code last};
     * returns the box's ERROR reply.
     */
    private static ErrorReply framedReceive(
            PipedServer ch, ReceiveCommand cmd, byte[] stream, byte[] trailing, FrameType last) throws IOException {
        FrameWriter w = new FrameWriter(ch.toServer, Wire.MAX_CONTROL_FROM_CLIENT);
        w.control(FrameType.RECV, cmd);
        byte[] chunk = FrameWriter.newDataBuffer();
        for (byte[] part : List.of(stream, trailing)) {
            for (int off = 0; off < part.length; off += Wire.MAX_DATA) {
                int n = Math.min(Wire.MAX_DATA, part.length - off);
                System.arraycopy(part, off, chunk, FrameWriter.DATA_OFFSET, n);
                w.data(chunk, n);
            }
        }
        w.empty(last);
        w.flush();
        FrameReader r = new FrameReader(ch.fromServer, "server", Wire.MAX_CONTROL_FROM_SERVER);
        assertEquals(FrameType.ERROR, r.next());
        return r.json(ErrorReply.class);
    }

    /** The box holds {@code snapshot} with {@code guid} and has recorded and logged its receive. */
    private void assertArrived(DatasetName target, String snapshot, long guid, String why) throws Exception {
        assertEquals(guid, pools.guid(target + "@" + snapshot));
        assertEquals(
                snapshot,
                ClientStatusFile.read(state, "laptop")
                        .filesystems()
                        .get(target.value().substring(jailed("laptop", "").length()))
                        .snapshot());
        assertTrue(ReceiveTimes.read(state, target).containsKey(guid), ReceiveTimes.read(state, target)::toString);
        assertTrue(
                boxLog().stream()
                        .anyMatch(l -> l.contains("received " + target + "@" + snapshot + " (")
                                && l.endsWith("though the receive did not end normally: " + why)),
                String.join("\n", boxLog()));
    }

    /**
     * A refused or failed RECV_SERIES counted every requested guid present on the box as "arrived", so a series
     * naming the guid of an old snapshot gave that snapshot the box's current clock as its receive time: the
     * floor then saw it received today, behind the day's first snapshot, and let the client destroy it.
     */
    @Test
    void aRefusedSeriesCannotMoveAnOldSnapshotsReceiveTime() throws Exception {
        DatasetName a = filesystem("a");
        String s1 = snapshot(a, "zrepl_1");
        String s2 = snapshot(a, "zrepl_2");
        String j1 = snapshot(a, "junk1");
        String j2 = snapshot(a, "junk2");
        PipedServer ch = new PipedServer(config(), zfs, "laptop");
        ch.client.handshake("push");
        DatasetName target = DatasetName.of(jailed("laptop", a.value()));
        receivedTenDaysAndAnHourAgo(ch, a, s1, s2);
        long old1 = pools.guid(target + "@zrepl_1");
        java.util.Map<Long, java.time.Instant> before = ReceiveTimes.read(state, target);

        // A series whose second snapshot claims zrepl_1's guid: refused at that substream, after junk1 arrived.
        RemoteException e = assertThrows(
                RemoteException.class,
                () -> ch.client.receiveSeries(
                        new dev.zreplj.protocol.ReceiveSeries(
                                new ReceiveCommand(a.value(), "junk2", old1, pools.guid(s2), false, false),
                                List.of(
                                        new dev.zreplj.protocol.ReceiveSeries.Snapshot("junk1", pools.guid(j1)),
                                        new dev.zreplj.protocol.ReceiveSeries.Snapshot("junk2", old1))),
                        new ByteArrayInputStream(pools.send("-I", s2, j2))));
        assertEquals("stream", e.code(), e.getMessage());

        // The next request is served after the server finished with the series.
        ch.client.listFilesystems();
        assertEquals(before.get(old1), ReceiveTimes.read(state, target).get(old1), "zrepl_1's receive time moved");
        DestroyResult r = ch.client.destroy(a.value(), List.of(new DestroyTarget("zrepl_1", old1)));
        assertEquals(new DestroyResult(List.of(), List.of(new Refusal("zrepl_1", DestroyPlan.KEPT_BY_FLOOR))), r);
        ch.client.close();
        assertEquals(0, ch.exitCode(), ch.stderr());
    }

    /**
     * The floor's receive times are kept by guid, and a stream's guid is the client's to choose: a snapshot
     * received with an old snapshot's guid gave that old snapshot the box's current clock as its receive time,
     * so the floor saw it received today, behind the day's first snapshot, and let the client destroy it.
     */
    @Test
    void aStreamReusingAnOldSnapshotsGuidCannotMoveItsReceiveTime() throws Exception {
        DatasetName a = filesystem("a");
        String s1 = snapshot(a, "zrepl_1");
        String s2 = snapshot(a, "zrepl_2");
        String j1 = snapshot(a, "junk1");
        PipedServer ch = new PipedServer(config(), zfs, "laptop");
        ch.client.handshake("push");
        DatasetName target = DatasetName.of(jailed("laptop", a.value()));
        receivedTenDaysAndAnHourAgo(ch, a, s1, s2);
        long old1 = pools.guid(target + "@zrepl_1");
        java.util.Map<Long, java.time.Instant> before = ReceiveTimes.read(state, target);

        byte[] forged = withToGuid(pools.send("-i", s2, j1), pools.guid(j1), old1);
        String pool = boxState();
        RemoteException refused = assertThrows(
                RemoteException.class, () -> receive(ch, a.value(), "junk1", old1, pools.guid(s2), forged));
        assertEquals("stream", refused.code(), refused.getMessage());
        assertEquals(
                "the stream's snapshot guid " + Long.toUnsignedString(old1) + " is already the guid of " + target
                        + "@zrepl_1; refused",
                refused.getMessage());
        assertEquals(pool, boxState(), "nothing received");
        assertEquals(before.get(old1), ReceiveTimes.read(state, target).get(old1), "zrepl_1's receive time moved");
        DestroyResult r = ch.client.destroy(a.value(), List.of(new DestroyTarget("zrepl_1", old1)));
        assertEquals(new DestroyResult(List.of(), List.of(new Refusal("zrepl_1", DestroyPlan.KEPT_BY_FLOOR))), r);
        ch.client.close();
        assertEquals(0, ch.exitCode(), ch.stderr());
    }

    /**
     * Two passes of one client at once (a timer's and one by hand, or two machines given one key) list the box
     * before either receives and plan the same snapshots, so the later one's request names a snapshot the other
     * has just received. It was refused for good ({@code stream}: "is already the guid of"), failing that pass on
     * every filesystem; it is {@code busy} now, which the agent retries after listing the box again.
     */
    @Test
    void aSnapshotAnotherPassOfTheClientJustReceivedIsBusyNotRefused() throws Exception {
        DatasetName a = filesystem("a");
        String s1 = snapshot(a, "zrepl_1");
        String s2 = snapshot(a, "zrepl_2");
        String s3 = snapshot(a, "zrepl_3");
        long g1 = pools.guid(s1);
        long g2 = pools.guid(s2);
        long g3 = pools.guid(s3);
        PipedServer first = new PipedServer(config(), zfs, "laptop");
        first.client.handshake("push");
        receive(first, a.value(), "zrepl_1", g1, null, pools.send(s1));
        // The second pass lists the box here, then the first receives zrepl_2.
        receive(first, a.value(), "zrepl_2", g2, g1, pools.send("-i", s1, s2));
        first.client.close();
        assertEquals(0, first.exitCode(), first.stderr());
        DatasetName target = DatasetName.of(jailed("laptop", a.value()));
        String expected = target + "@zrepl_2 is already on the box: another pass of client 'laptop' sent it after"
                + " this one listed the box (two agents with this client's key at once?); list the box again and"
                + " send the rest";

        PipedServer second = new PipedServer(config(), zfs, "laptop");
        second.client.handshake("push");
        String pool = boxState();
        RemoteException series = assertThrows(
                RemoteException.class,
                () -> second.client.receiveSeries(
                        new dev.zreplj.protocol.ReceiveSeries(
                                new ReceiveCommand(a.value(), "zrepl_3", g3, g1, false, false),
                                List.of(
                                        new dev.zreplj.protocol.ReceiveSeries.Snapshot("zrepl_2", g2),
                                        new dev.zreplj.protocol.ReceiveSeries.Snapshot("zrepl_3", g3))),
                        new ByteArrayInputStream(pools.send("-I", s1, s3))));
        assertEquals("busy", series.code(), series.getMessage());
        assertEquals(expected, series.getMessage());
        RemoteException single = assertThrows(
                RemoteException.class, () -> receive(second, a.value(), "zrepl_2", g2, g1, pools.send("-i", s1, s2)));
        assertEquals("busy", single.code(), single.getMessage());
        assertEquals(expected, single.getMessage());
        assertEquals(pool, boxState(), "nothing received");

        // Listed again, the pass sends the rest from what the other one received.
        assertEquals(
                g3,
                receive(second, a.value(), "zrepl_3", g3, g2, pools.send("-i", s2, s3))
                        .receivedGuid());
        second.client.close();
        assertEquals(0, second.exitCode(), second.stderr());
        assertTrue(
                boxLog().stream().anyMatch(l -> l.contains(" client 'laptop' [pid ") && l.endsWith(expected)),
                String.join("\n", boxLog()));
    }

    /**
     * When the box could not record a receive time (its state directory's disk full, which a client can bring
     * about through the box's log), the snapshot was received all the same and the floor later timed it by the
     * creation its stream claims: a back-dated snapshot then took an old interval's slot from the real one.
     */
    @Test
    void aSnapshotTheBoxCannotTimeIsNotReceived() throws Exception {
        DatasetName a = filesystem("a");
        String s1 = snapshot(a, "zrepl_1");
        String s2 = snapshot(a, "zrepl_2");
        String junk = snapshot(a, "zrepl_0");
        PipedServer ch = new PipedServer(config(), zfs, "laptop");
        ch.client.handshake("push");
        DatasetName target = DatasetName.of(jailed("laptop", a.value()));
        String times = receivedTenDaysAndAnHourAgo(ch, a, s1, s2);
        long old1 = pools.guid(target + "@zrepl_1");
        long now = java.time.Instant.now().getEpochSecond();
        Path file = ReceiveTimes.path(state, target);
        // The box cannot write its receive times for a while.
        Files.delete(file);
        Files.createDirectories(file.resolve("full"));
        byte[] backdated = withCreation(pools.send("-i", s2, junk), now - 11 * 86400);
        String pool = boxState();
        RemoteException e = assertThrows(
                RemoteException.class,
                () -> receive(ch, a.value(), "zrepl_0", pools.guid(junk), pools.guid(s2), backdated));
        assertEquals("internal", e.code(), e.getMessage());
        assertTrue(
                e.getMessage().startsWith("cannot record the receive time of " + target + "@zrepl_0"), e.getMessage());
        assertEquals(pool, boxState(), "nothing received");
        // Space again: the floor still sees zrepl_1 first in its interval.
        Files.delete(file.resolve("full"));
        Files.delete(file);
        Files.writeString(file, times);
        DestroyResult r = ch.client.destroy(a.value(), List.of(new DestroyTarget("zrepl_1", old1)));
        assertEquals(new DestroyResult(List.of(), List.of(new Refusal("zrepl_1", DestroyPlan.KEPT_BY_FLOOR))), r);
        ch.client.close();
        assertEquals(0, ch.exitCode(), ch.stderr());
    }

    /**
     * Receives {@code s1} and {@code s2} of {@code a} as zrepl_1 and zrepl_2 and sets their receive times (the
     * box's clock, which the floor uses) to ten days and an hour ago; returns the times file's text.
     */
    private String receivedTenDaysAndAnHourAgo(PipedServer ch, DatasetName a, String s1, String s2) throws Exception {
        receive(ch, a.value(), "zrepl_1", pools.guid(s1), null, pools.send(s1));
        receive(ch, a.value(), "zrepl_2", pools.guid(s2), pools.guid(s1), pools.send("-i", s1, s2));
        DatasetName target = DatasetName.of(jailed("laptop", a.value()));
        long now = java.time.Instant.now().getEpochSecond();
        String times = Long.toUnsignedString(pools.guid(target + "@zrepl_1")) + "\t" + (now - 10 * 86400)
                + ".000000000\n" + Long.toUnsignedString(pools.guid(target + "@zrepl_2")) + "\t" + (now - 3600)
                + ".000000000\n";
        Files.writeString(ReceiveTimes.path(state, target), times);
        return times;
    }

    /** A copy of a zfs-fuse stream whose snapshot guid (BEGIN's drr_toguid, and END's where it is) is {@code guid}. */
    static byte[] withToGuid(byte[] stream, long was, long guid) {
        byte[] s = Arrays.copyOf(stream, stream.length);
        ByteBuffer b = ByteBuffer.wrap(s).order(ByteOrder.LITTLE_ENDIAN);
        assertEquals(was, b.getLong(40));
        b.putLong(40, guid);
        int end = s.length - StreamHeader.LENGTH;
        if (b.getLong(end + 40) == was) {
            b.putLong(end + 40, guid);
        }
        return withCreation(s, b.getLong(24));
    }

    /**
     * A copy of an incremental zfs-fuse stream with drr_creation_time set to {@code epoch}. zfs-fuse (pool
     * version 23) checks one fletcher-4 over every byte before the DRR_END record (type 5), stored in that record:
     * recomputed here, or zfs recv would refuse the stream as corrupt instead of receiving it.
     */
    static byte[] withCreation(byte[] stream, long epoch) {
        byte[] s = Arrays.copyOf(stream, stream.length);
        ByteBuffer b = ByteBuffer.wrap(s).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(24, epoch);
        int end = s.length - StreamHeader.LENGTH;
        assertEquals(5, b.getInt(end), "the stream ends with its DRR_END record");
        long a0 = 0;
        long a1 = 0;
        long a2 = 0;
        long a3 = 0;
        for (int i = 0; i < end; i += 4) {
            a0 += b.getInt(i) & 0xffffffffL;
            a1 += a0;
            a2 += a1;
            a3 += a2;
        }
        b.putLong(end + 8, a0).putLong(end + 16, a1).putLong(end + 24, a2).putLong(end + 32, a3);
        return s;
    }

    /**
     * LIST_ROOTS (issue 11: a job over one filesystem must not wait for the box to list the client's whole jail)
     * lists only below the roots a client names, and each root is checked like a RECV's path: a path that
     * would leave the jail, a malformed one, none or too many are refused with one line and nothing listed.
     */
    @Test
    void listRootsListsOnlyBelowItsRootsAndRefusesRootsOutsideTheJail() throws Exception {
        DatasetName a = filesystem("a");
        DatasetName b = filesystem("b");
        DatasetName c = pools.createFilesystem(b.child("c"));
        PipedServer desktop = new PipedServer(config(), zfs, "desktop");
        desktop.client.handshake();
        String other = snapshot(a, "zrepl_0");
        receive(desktop, a.value(), "zrepl_0", pools.guid(other), null, pools.send(other));
        desktop.client.close();
        assertEquals(0, desktop.exitCode(), desktop.stderr());
        PipedServer laptop = new PipedServer(config(), zfs, "laptop");
        laptop.client.handshake();
        for (DatasetName fs : List.of(a, b, c)) {
            String snap = snapshot(fs, "zrepl_1");
            receive(laptop, fs.value(), "zrepl_1", pools.guid(snap), null, pools.send(snap));
        }
        assertTrue(laptop.client.serverHello().capabilities().contains(Wire.LIST_ROOTS));
        assertEquals(List.of(a.value()), paths(laptop.client.listFilesystems(List.of(a.value()))));
        assertEquals(
                List.of(b.value(), c.value()),
                paths(laptop.client.listFilesystems(List.of(c.value(), b.value()))),
                "a root below another is listed once");
        assertEquals(
                List.of(),
                paths(laptop.client.listFilesystems(List.of(src.child("gone").value()))));
        assertEquals(
                List.of(src.value(), a.value(), b.value(), c.value()),
                paths(laptop.client.listFilesystems()),
                "LIST: the whole jail, the placeholder for the pool included");
        laptop.client.close();
        assertEquals(0, laptop.exitCode(), laptop.stderr());

        String before = boxState();
        List<String> tooMany = new ArrayList<>();
        for (int i = 0; i <= Wire.MAX_LIST_ROOTS; i++) {
            tooMany.add(a.value() + "/f" + i);
        }
        record Hostile(List<String> roots, String code, String message) {}
        for (Hostile h : List.of(
                new Hostile(List.of("../desktop"), "jail", "dataset path '../desktop' is invalid: "),
                new Hostile(
                        List.of(a.value(), "x/../../desktop"), "jail", "dataset path 'x/../../desktop' is invalid: "),
                new Hostile(
                        List.of(a.value() + "@zrepl_1"),
                        "jail",
                        "dataset path '" + a.value() + "@zrepl_1' is invalid: "),
                new Hostile(List.of("/" + a.value()), "jail", "dataset path '/" + a.value() + "' is invalid: "),
                new Hostile(List.of(""), "jail", "dataset path '' is invalid: "),
                new Hostile(List.of(), "protocol", "LIST_ROOTS names 0 roots; 1 to 256 are allowed"),
                new Hostile(tooMany, "protocol", "LIST_ROOTS names 257 roots; 1 to 256 are allowed"))) {
            PipedServer ch = new PipedServer(config(), zfs, "laptop");
            FrameWriter w = new FrameWriter(ch.toServer, Wire.MAX_CONTROL_FROM_CLIENT);
            w.writeMagic();
            w.control(FrameType.HELLO, new Hello(Wire.PROTOCOL_VERSION, "test", List.of()));
            w.control(FrameType.LIST_ROOTS, new ListRoots(h.roots()));
            w.empty(FrameType.BYE);
            w.flush();
            FrameReader r = new FrameReader(ch.fromServer, "server", Wire.MAX_CONTROL_FROM_SERVER);
            r.readMagic();
            assertEquals(FrameType.HELLO, r.next());
            assertEquals(FrameType.ERROR, r.next(), h.toString());
            ErrorReply error = r.json(ErrorReply.class);
            assertEquals(h.code(), error.code(), error.message());
            assertTrue(error.message().startsWith(h.message()), error.message());
            assertEquals(0, ch.exitCode(), "a refused LIST_ROOTS ends nothing but itself: " + ch.stderr());
        }
        assertEquals(before, boxState(), "nothing created or destroyed");
        assertEquals(
                7,
                boxLog().stream().filter(l -> l.contains("refused LIST_ROOTS")).count(),
                String.join("\n", boxLog()));
    }

    private static List<String> paths(List<RemoteFilesystem> listing) {
        return listing.stream().map(RemoteFilesystem::path).toList();
    }

    private interface Check {
        boolean holds() throws Exception;
    }

    private static void waitUntil(Check check, String what) throws Exception {
        for (int i = 0; i < 300; i++) {
            if (check.holds()) {
                return;
            }
            Thread.sleep(50);
        }
        throw new AssertionError("not within 15 s: " + what);
    }
}
