package dev.zreplj.stdinserver;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.zreplj.config.Config;
import dev.zreplj.config.Global;
import dev.zreplj.config.RecvOptions;
import dev.zreplj.config.SinkJob;
import dev.zreplj.protocol.DestroyCommand;
import dev.zreplj.protocol.DestroyResult;
import dev.zreplj.protocol.DestroyResult.Refusal;
import dev.zreplj.protocol.DestroyTarget;
import dev.zreplj.protocol.FrameReader;
import dev.zreplj.protocol.FrameType;
import dev.zreplj.protocol.FrameWriter;
import dev.zreplj.protocol.Hello;
import dev.zreplj.protocol.ReceiveCommand;
import dev.zreplj.protocol.RemoteException;
import dev.zreplj.protocol.SinkClient;
import dev.zreplj.protocol.Wire;
import dev.zreplj.pruning.KeepRule;
import dev.zreplj.zfs.DatasetName;
import dev.zreplj.zfs.Zfs;
import dev.zreplj.zfs.testing.TestPools;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The box's half of pruning on real zfs: DESTROY with its checks, the moving last-received hold, status files. */
@Tag("system")
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class BoxPruningSystemTest {
    private static final String TAG = "zrepl_last_received_J_push";
    private static final String PROPERTY = "zreplj:last_received_j_push";

    @TempDir
    Path state;

    private TestPools pools;
    private String box;
    private DatasetName source;
    private Zfs zfs;

    @BeforeEach
    void pools() {
        pools = TestPools.open();
        DatasetName src = pools.createPool("src");
        box = pools.createPool("box").value();
        // root_fs is the operator's (`zreplj box setup`): the box refuses to create it.
        pools.createFilesystem(DatasetName.of(box).child("sink"), "mountpoint=none");
        source = pools.createFilesystem(src.child("a"));
        for (int i = 1; i <= 4; i++) {
            pools.writeRandomFile(source, "f" + i, 64 << 10);
            pools.snapshot(source, "s" + i);
        }
        zfs = new Zfs(pools.zfsBinary());
    }

    @AfterEach
    void destroy() {
        if (pools != null) {
            pools.close();
        }
    }

    private Config config(List<KeepRule> floor) {
        SinkJob sink =
                new SinkJob("sink", DatasetName.of(box + "/sink"), List.of("laptop"), RecvOptions.defaults(), floor);
        return new Config(state.resolve("zreplj.yml"), new Global(state, null), List.of(sink));
    }

    private String jailed(String snapshot) {
        return box + "/sink/laptop/" + source + (snapshot.isEmpty() ? "" : "@" + snapshot);
    }

    private long guid(String snapshot) {
        return pools.guid(snapshot);
    }

    /** Receives s{from+1}..s{to} (from 0: starting with a full stream). */
    private void receive(SinkClient client, int from, int to) throws Exception {
        receiveUnsettled(client, from, to);
        // The box moves its hold after RESULT, before it reads the next request: one more request waits for it.
        client.listFilesystems();
    }

    /** As {@link #receive}, returning at the last RESULT, while the box may still be recording that receive. */
    private void receiveUnsettled(SinkClient client, int from, int to) throws Exception {
        for (int i = from + 1; i <= to; i++) {
            String snap = source + "@s" + i;
            byte[] stream = i == 1 ? pools.send(snap) : pools.send("-i", "@s" + (i - 1), snap);
            Long fromGuid = i == 1 ? null : guid(source + "@s" + (i - 1));
            client.receive(
                    new ReceiveCommand(source.value(), "s" + i, guid(snap), fromGuid, false, false),
                    new ByteArrayInputStream(stream));
        }
    }

    private DestroyTarget target(String snapshot) {
        return new DestroyTarget(snapshot, guid(jailed(snapshot)));
    }

    private List<String> boxSnapshots() {
        return pools.snapshotNames(DatasetName.of(jailed("")));
    }

    private String userrefs(String snapshot) {
        return pools.getParsable(jailed(snapshot), "userrefs");
    }

    private String boxState() {
        return pools.zfs("list", "-H", "-r", "-t", "all", "-o", "name", box);
    }

    @Test
    void destroyRemovesExactlyTheAllowedSnapshots() throws Exception {
        PipedServer ch = new PipedServer(config(List.of()), zfs, "laptop");
        ch.client.handshake("push");
        receive(ch.client, 0, 4);
        DestroyResult r = ch.client.destroy(source.value(), List.of(target("s2"), target("s1")));
        assertEquals(new DestroyResult(List.of("s2", "s1"), List.of()), r);
        assertEquals(List.of("s3", "s4"), boxSnapshots());
        ch.client.close();
        assertEquals(0, ch.exitCode(), ch.stderr());
        assertEquals("", ch.stderr());
    }

    /**
     * The client's jail at its quota (docs/box.md tells the admin to set one): zfs recv fails out of space. The
     * client hears zfs's words (code zfs), the box's own log names the failed receive for its admin (whose
     * status of the client otherwise still says OK), nothing partial is left behind, and the channel goes on.
     */
    @Test
    void aReceiveOverTheJailsQuotaFailsIsLoggedOnTheBoxAndLeavesNothingBehind() throws Exception {
        PipedServer ch = new PipedServer(config(List.of()), zfs, "laptop");
        ch.client.handshake("push");
        receive(ch.client, 0, 4);
        String jail = box + "/sink/laptop";
        pools.zfs("set", "quota=" + (Long.parseLong(pools.getParsable(jail, "used")) + (256 << 10)), jail);
        pools.writeRandomFile(source, "big", 4 << 20);
        pools.snapshot(source, "s5");
        String s5 = source + "@s5";
        String before = boxState();
        RemoteException failed = assertThrows(
                RemoteException.class,
                () -> ch.client.receive(
                        new ReceiveCommand(source.value(), "s5", guid(s5), guid(source + "@s4"), false, false),
                        new ByteArrayInputStream(pools.send("-i", "@s4", s5))));
        assertEquals("zfs", failed.code(), failed::getMessage);
        assertTrue(failed.detail().contains("out of space"), failed::getMessage);
        assertEquals(List.of("s1", "s2", "s3", "s4"), boxSnapshots());
        ch.client.listFilesystems();
        ch.client.close();
        assertEquals(0, ch.exitCode(), ch.stderr());

        assertEquals(before, boxState(), "no clone, placeholder or snapshot left behind");
        String log = Files.readString(state.resolve("log/stdinserver.log"));
        assertTrue(
                log.contains("WARN client 'laptop' [pid ")
                        && log.contains("]: zfs recv into " + jailed("") + " failed: '")
                        && log.contains("out of space"),
                log);
        // The box's own status of the client names it (a WARNING in 'zreplj status'), until a receive succeeds.
        ClientStatusFile.Failed noSpace =
                ClientStatusFile.read(state, "laptop").failed().get(source.value());
        assertTrue(noSpace != null && noSpace.reason().contains("out of space"), String.valueOf(noSpace));
        // ... and its metrics (the textfile is written when the status changes): 4 receives and this failure.
        assertEquals(5, ch.statusChanges.get());
        assertEquals(
                "s4",
                ClientStatusFile.read(state, "laptop")
                        .filesystems()
                        .get(source.value())
                        .snapshot());

        pools.zfs("set", "quota=none", jail);
        PipedServer again = new PipedServer(config(List.of()), zfs, "laptop");
        again.client.handshake("push");
        again.client.receive(
                new ReceiveCommand(source.value(), "s5", guid(s5), guid(source + "@s4"), false, false),
                new ByteArrayInputStream(pools.send("-i", "@s4", s5)));
        again.client.close();
        assertEquals(0, again.exitCode(), again.stderr());
        ClientStatusFile.ClientStatus after = ClientStatusFile.read(state, "laptop");
        assertEquals("s5", after.filesystems().get(source.value()).snapshot());
        assertEquals(Map.of(), after.failed());
    }

    /**
     * A snapshot the box's zfs will not destroy (here an admin's own hold) is no policy refusal: the reply
     * lists it as failed, for the agent to report a failed prune. To a client without the destroy-failed
     * capability (an older agent) it goes among the refusals, in the reply's old shape.
     */
    @Test
    void aSnapshotZfsWillNotDestroyIsAFailureNotARefusal() throws Exception {
        PipedServer ch = new PipedServer(config(List.of()), zfs, "laptop");
        ch.client.handshake("push");
        receive(ch.client, 0, 4);
        pools.zfs("hold", "admin", jailed("s1"));
        try {
            DestroyResult r = ch.client.destroy(source.value(), List.of(target("s2"), target("s1")));
            assertEquals(List.of("s2"), r.destroyed());
            assertEquals(List.of(), r.refused());
            assertEquals(1, r.failed().size(), r.toString());
            assertEquals("s1", r.failed().get(0).name());
            assertTrue(r.failed().get(0).reason().contains("dataset is busy"), r.toString());
            assertEquals(List.of("s1", "s3", "s4"), boxSnapshots());
            ch.client.close();
            assertEquals(0, ch.exitCode(), ch.stderr());

            // An older agent: its HELLO lists no destroy-failed, and the reply has no 'failed' field.
            PipedServer old = new PipedServer(config(List.of()), zfs, "laptop");
            FrameWriter w = new FrameWriter(old.toServer, Wire.MAX_CONTROL_FROM_CLIENT);
            w.writeMagic();
            w.control(FrameType.HELLO, new Hello(Wire.PROTOCOL_VERSION, "0.0.1", List.of(), "push"));
            w.control(FrameType.DESTROY, new DestroyCommand(source.value(), List.of(target("s1"))));
            w.flush();
            FrameReader in = new FrameReader(old.fromServer, "server", Wire.MAX_CONTROL_FROM_SERVER);
            in.readMagic();
            assertEquals(FrameType.HELLO, in.expectFrame("HELLO"));
            assertEquals(FrameType.DESTROYED, in.expectFrame("DESTROYED"));
            String reply = new String(in.payload(), 0, in.length(), StandardCharsets.UTF_8);
            assertTrue(reply.contains("\"refused\":[{\"name\":\"s1\""), reply);
            assertTrue(!reply.contains("\"failed\""), reply);
            w.empty(FrameType.BYE);
            w.flush();
            assertEquals(0, old.exitCode(), old.stderr());
        } finally {
            pools.zfs("release", "admin", jailed("s1"));
        }
    }

    @Test
    void destroyBelowTheFloorIsRefusedReportedAndLogged() throws Exception {
        PipedServer ch = new PipedServer(config(List.of(new KeepRule.LastN(3, null))), zfs, "laptop");
        ch.client.handshake("push");
        receive(ch.client, 0, 4);
        DestroyResult r = ch.client.destroy(source.value(), List.of(target("s1"), target("s2"), target("s3")));
        assertEquals(
                new DestroyResult(
                        List.of("s1"),
                        List.of(
                                new Refusal("s2", "kept by the box's keep_floor"),
                                new Refusal("s3", "kept by the box's keep_floor"))),
                r);
        assertEquals(List.of("s2", "s3", "s4"), boxSnapshots());
        ch.client.close();
        assertEquals(0, ch.exitCode(), ch.stderr());
        assertEquals(
                "zreplj stdinserver: client 'laptop': refused to destroy " + jailed("s2")
                        + ": kept by the box's keep_floor\n"
                        + "zreplj stdinserver: client 'laptop': refused to destroy " + jailed("s3")
                        + ": kept by the box's keep_floor\n",
                ch.stderr());
    }

    /** The box's log line of a DESTROY of hundreds names ten and the last, and counts the rest. */
    @Test
    void theLogLineOfManyDestroyedNamesTenAndCountsTheRest() throws Exception {
        for (int i = 5; i <= 12; i++) {
            pools.snapshot(source, "s" + i);
        }
        PipedServer ch = new PipedServer(config(List.of()), zfs, "laptop");
        ch.client.handshake("push");
        receive(ch.client, 0, 12);
        List<DestroyTarget> targets = new ArrayList<>();
        for (int i = 1; i <= 11; i++) {
            targets.add(target("s" + i));
        }
        assertEquals(11, ch.client.destroy(source.value(), targets).destroyed().size());
        ch.client.close();
        assertEquals(0, ch.exitCode(), ch.stderr());
        String log = Files.readString(BoxLog.path(state));
        assertTrue(
                log.contains("destroyed 11 snapshots of " + jailed("")
                        + ": [s1, s2, s3, s4, s5, s6, s7, s8, s9, s10] and 1 more, the last s11\n"),
                log);
    }

    /**
     * After a first pass that received thousands of snapshots, the floor refuses the same thousands on every pass:
     * the first few get a line each, the rest one line, so the client's daily log budget (10,000 lines) is not
     * used up in a few passes, leaving the refusals and failures it is there for unlogged.
     */
    @Test
    void manyFloorRefusalsShareOneLineAfterTheFirstFew() throws Exception {
        for (int i = 5; i <= 12; i++) {
            pools.snapshot(source, "s" + i);
        }
        PipedServer ch = new PipedServer(config(List.of(new KeepRule.LastN(12, null))), zfs, "laptop");
        ch.client.handshake("push");
        receive(ch.client, 0, 12);
        List<DestroyTarget> targets = new ArrayList<>();
        for (int i = 1; i <= 11; i++) {
            targets.add(target("s" + i));
        }
        DestroyResult r = ch.client.destroy(source.value(), targets);
        assertEquals(List.of(), r.destroyed());
        assertEquals(11, r.refused().size(), r::toString);
        ch.client.close();
        assertEquals(0, ch.exitCode(), ch.stderr());
        StringBuilder expected = new StringBuilder();
        for (int i = 1; i <= DestroyHandler.NAMED_LINES; i++) {
            expected.append("zreplj stdinserver: client 'laptop': refused to destroy ")
                    .append(jailed("s" + i))
                    .append(": kept by the box's keep_floor\n");
        }
        expected.append("zreplj stdinserver: client 'laptop': refused to destroy 8 more snapshots of ")
                .append(jailed(""))
                .append(" (@s4 ... @s11), the first because: kept by the box's keep_floor\n");
        assertEquals(expected.toString(), ch.stderr());
    }

    /**
     * docs/box.md: a box that cannot keep its receive times refuses (internal). With a keep floor, DESTROY and a
     * rollback RECV need them to know what the floor keeps: each is refused with one ERROR, nothing is destroyed
     * and the channel goes on (before, the IOException ended the process without a reply).
     */
    @Test
    void aFloorWhoseReceiveTimesCannotBeReadRefusesDestroyAndRollbackAndKeepsTheChannel() throws Exception {
        PipedServer ch = new PipedServer(config(List.of(new KeepRule.LastN(1, null))), zfs, "laptop");
        ch.client.handshake("push");
        receive(ch.client, 0, 4);
        List<DestroyTarget> destroy = List.of(target("s1"));
        long s2 = guid(jailed("s2"));
        Path times = ReceiveTimes.path(state, DatasetName.of(jailed("")));
        Files.deleteIfExists(times);
        Files.createDirectories(times.resolve("in-the-way"));

        RemoteException refused = assertThrows(RemoteException.class, () -> ch.client.destroy(source.value(), destroy));
        assertEquals("internal", refused.code());
        assertTrue(
                refused.getMessage().startsWith("cannot read the receive times of " + jailed("") + " on the box ("),
                refused::getMessage);

        // The laptop rolled back to @s2 and took @s5: receiving it over the box's @s3 and @s4 needs the floor.
        pools.zfs("rollback", "-r", source + "@s2");
        pools.snapshot(source, "s5");
        byte[] stream = pools.send("-i", "@s2", source + "@s5");
        RemoteException rollback = assertThrows(
                RemoteException.class,
                () -> ch.client.receive(
                        new ReceiveCommand(source.value(), "s5", guid(source + "@s5"), s2, true, false),
                        new ByteArrayInputStream(stream)));
        assertEquals("internal", rollback.code());
        assertTrue(rollback.getMessage().contains("keep_floor cannot be checked"), rollback::getMessage);

        assertEquals(List.of("s1", "s2", "s3", "s4"), boxSnapshots(), "nothing destroyed");
        ch.client.listFilesystems();
        ch.client.close();
        assertEquals(0, ch.exitCode(), ch.stderr());
    }

    /**
     * allow_rollback on zfs-fuse, which cannot list holds: the snapshots the rollback destroys carry the box's
     * hold of another push job of the client (here one since renamed), recorded in its property. docs/box.md:
     * the box releases its last-received holds on them; it released only the current job's, and zfs rollback -r
     * then failed on every pass.
     */
    @Test
    void aRollbackReleasesEveryJobsLastReceivedHoldOnWhatItDestroys() throws Exception {
        PipedServer old = new PipedServer(config(List.of()), zfs, "laptop");
        old.client.handshake("old");
        receive(old.client, 0, 2);
        old.client.close();
        assertEquals(0, old.exitCode(), old.stderr());
        PipedServer ch = new PipedServer(config(List.of()), zfs, "laptop");
        ch.client.handshake("new");
        receive(ch.client, 2, 3);
        assertEquals("1", userrefs("s2"), "job old's hold");
        assertEquals("1", userrefs("s3"), "job new's hold");

        long s1 = guid(source + "@s1");
        pools.zfs("rollback", "-r", source + "@s1");
        pools.snapshot(source, "s5");
        ch.client.receive(
                new ReceiveCommand(source.value(), "s5", guid(source + "@s5"), s1, true, false),
                new ByteArrayInputStream(pools.send("-i", "@s1", source + "@s5")));

        assertEquals(List.of("s1", "s5"), boxSnapshots());
        assertEquals(guid(source + "@s5"), guid(jailed("s5")));
        ch.client.close();
        assertEquals(0, ch.exitCode(), ch.stderr());
    }

    /**
     * docs/box.md: a receive zfs committed is logged, timed and held even when the request then fails. Clearing
     * the placeholder flag after a full receive can fail (a box user without userprop): the snapshot was on the
     * box with no log line, no receive time and no last-received hold.
     */
    @Test
    void aCommittedReceiveWhosePlaceholderFlagCannotBeClearedIsStillRecorded() throws Exception {
        Path wrapper = state.resolve("zfs-no-userprop");
        Files.writeString(
                wrapper,
                "#!/bin/sh\ncase \"$*\" in \"set zrepl:placeholder=off \"*) echo \"cannot set property: permission"
                        + " denied\" >&2; exit 1;; esac\nexec " + pools.zfsBinary() + " \"$@\"\n");
        Files.setPosixFilePermissions(wrapper, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
        PipedServer ch = new PipedServer(config(List.of()), new Zfs(wrapper), "laptop");
        ch.client.handshake("push");
        String s1 = source + "@s1";
        RemoteException failed = assertThrows(
                RemoteException.class,
                () -> ch.client.receive(
                        new ReceiveCommand(source.value(), "s1", guid(s1), null, false, false),
                        new ByteArrayInputStream(pools.send(s1))));
        assertEquals("zfs", failed.code(), failed::getMessage);
        ch.client.listFilesystems();
        ch.client.close();
        ch.exitCode();

        assertEquals(List.of("s1"), boxSnapshots());
        assertEquals("1", userrefs("s1"), "the last-received hold");
        assertTrue(
                ReceiveTimes.read(state, DatasetName.of(jailed(""))).containsKey(guid(jailed("s1"))),
                "the receive time");
        String log = Files.readString(state.resolve("log/stdinserver.log"));
        assertTrue(
                log.contains("though the receive did not end normally: zfs recv committed it, but clearing"
                        + " zrepl:placeholder failed"),
                log);
    }

    @Test
    void unknownNamesAndOtherGuidsAreRefusedAndTheLastReceivedIsKept() throws Exception {
        PipedServer ch = new PipedServer(config(List.of()), zfs, "laptop");
        ch.client.handshake("push");
        receive(ch.client, 0, 2);
        DestroyResult r = ch.client.destroy(
                source.value(),
                List.of(new DestroyTarget("s1", guid(jailed("s1")) + 1), new DestroyTarget("s9", 1), target("s2")));
        assertEquals(
                new DestroyResult(
                        List.of(),
                        List.of(
                                new Refusal("s1", "guid mismatch: a different snapshot has this name"),
                                new Refusal("s9", "no such snapshot"),
                                new Refusal("s2", "it is the last received snapshot (incremental base)"))),
                r);
        assertEquals(List.of("s1", "s2"), boxSnapshots());
        // The hold itself protects it from zfs too.
        IllegalStateException held =
                assertThrows(IllegalStateException.class, () -> pools.zfs("destroy", jailed("s2")));
        assertTrue(held.getMessage().contains("dataset is busy"), held.getMessage());
        ch.client.close();
        assertEquals(0, ch.exitCode(), ch.stderr());
    }

    @Test
    void jailEscapesInDestroyAreRefusedWithoutAnyZfsCall() throws Exception {
        PipedServer ch = new PipedServer(config(List.of()), zfs, "laptop");
        ch.client.handshake("push");
        receive(ch.client, 0, 1);
        String before = boxState();
        long calls = zfs.invocations();
        DestroyTarget s1 = target("s1");
        for (String path :
                List.of("../desktop/x", "/" + box + "/sink/laptop/" + source, "a/../..", source + "@s1", "-r", "")) {
            RemoteException e = assertThrows(RemoteException.class, () -> ch.client.destroy(path, List.of(s1)), path);
            assertEquals("jail", e.code(), path);
        }
        for (String snapshot : List.of("s1@x", "-r", "a/b", "", "s1,s2", "s1 ", "s\t1")) {
            RemoteException e = assertThrows(
                    RemoteException.class,
                    () -> ch.client.destroy(source.value(), List.of(new DestroyTarget(snapshot, s1.guid()))),
                    snapshot);
            assertEquals("jail", e.code(), snapshot);
        }
        assertEquals(calls, zfs.invocations(), "no zfs call for a refused request");
        assertEquals(before, boxState());
        ch.client.close();
        assertEquals(0, ch.exitCode(), ch.stderr());
    }

    /** The server lets go of the lock just after its reply, so the test may have to wait a moment. */
    private DatasetLock lockAsAReceiveWould() throws Exception {
        for (int i = 0; i < 100; i++) {
            DatasetLock lock = DatasetLock.tryAcquire(state, DatasetName.of(jailed("")));
            if (lock != null) {
                return lock;
            }
            Thread.sleep(50);
        }
        throw new AssertionError("the dataset lock was not released after the receive");
    }

    @Test
    void destroyIsRefusedWhileAReceiveRuns() throws Exception {
        PipedServer ch = new PipedServer(config(List.of()), zfs, "laptop");
        ch.client.handshake("push");
        receive(ch.client, 0, 2);
        try (DatasetLock receiving = lockAsAReceiveWould()) {
            RemoteException e =
                    assertThrows(RemoteException.class, () -> ch.client.destroy(source.value(), List.of(target("s1"))));
            assertEquals("busy", e.code());
            assertEquals("a receive or destroy of " + jailed("") + " is running", e.getMessage());
        }
        assertEquals(
                new DestroyResult(List.of("s1"), List.of()), ch.client.destroy(source.value(), List.of(target("s1"))));
        ch.client.close();
        assertEquals(0, ch.exitCode(), ch.stderr());
    }

    /**
     * A history copied to another box (docs/box.md, "Moving the backups to a new box"): zfs send -R carries the
     * last-received property only as a received value, which the box does not read, and no hold. Once box setup has
     * made the copied marks the box's (CopiedMarks), the last received snapshot is refused to a DESTROY there as it
     * was on the old box; before, the copy's DESTROY let it go.
     */
    @Test
    void aCopiedHistorysLastReceivedSnapshotIsRefusedOnceItsMarksAreTheBoxs() throws Exception {
        PipedServer ch = new PipedServer(config(List.of()), zfs, "laptop");
        ch.client.handshake("push");
        receive(ch.client, 0, 2);
        ch.client.close();
        assertEquals(0, ch.exitCode(), ch.stderr());
        String zfsPath = pools.zfsBinary().toString();
        Process copy = new ProcessBuilder(
                        "bash",
                        "-c",
                        "set -e; Z=" + zfsPath + "; $Z snapshot -r " + box + "/sink@move; $Z send -R " + box
                                + "/sink@move | $Z recv " + box + "/copy; $Z destroy -r " + box + "/copy@move")
                .redirectErrorStream(true)
                .start();
        String copied = new String(copy.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, copy.waitFor(), copied);
        String copyFs = box + "/copy/laptop/" + source;
        assertEquals("0", pools.getParsable(copyFs + "@s2", "userrefs"), "zfs send -R carries no hold");

        Path newState = Files.createDirectories(state.resolve("new"));
        for (CopiedMarks.Mark mark : CopiedMarks.find(zfs, DatasetName.of(box + "/copy"))) {
            CopiedMarks.adopt(zfs, newState, mark);
        }
        SinkJob sink = new SinkJob(
                "sink", DatasetName.of(box + "/copy"), List.of("laptop"), RecvOptions.defaults(), List.of());
        PipedServer onCopy = new PipedServer(
                new Config(newState.resolve("zreplj.yml"), new Global(newState, null), List.of(sink)), zfs, "laptop");
        onCopy.client.handshake("push");
        DestroyResult r = onCopy.client.destroy(
                source.value(),
                List.of(
                        new DestroyTarget("s1", pools.guid(copyFs + "@s1")),
                        new DestroyTarget("s2", pools.guid(copyFs + "@s2"))));
        assertEquals(
                new DestroyResult(
                        List.of("s1"),
                        List.of(new Refusal("s2", "it is the last received snapshot (incremental base)"))),
                r);
        assertEquals("1", pools.getParsable(copyFs + "@s2", "userrefs"));
        onCopy.client.close();
        assertEquals(0, onCopy.exitCode(), onCopy.stderr());
    }

    @Test
    void theHoldMovesForwardWithEachIncrementalReceive() throws Exception {
        PipedServer ch = new PipedServer(config(List.of()), zfs, "laptop");
        ch.client.handshake("push");
        receive(ch.client, 0, 1);
        assertEquals("1", userrefs("s1"));
        assertEquals("s1", pools.get(jailed(""), PROPERTY));
        receive(ch.client, 1, 2);
        assertEquals(List.of("0", "1"), List.of(userrefs("s1"), userrefs("s2")));
        receive(ch.client, 2, 3);
        assertEquals(List.of("0", "0", "1"), List.of(userrefs("s1"), userrefs("s2"), userrefs("s3")));
        assertEquals("s3", pools.get(jailed(""), PROPERTY));
        // It is zrepl's tag: releasing it by that name works.
        pools.zfs("release", TAG, jailed("s3"));
        assertEquals("0", userrefs("s3"));
        ch.client.close();
        assertEquals(0, ch.exitCode(), ch.stderr());
    }

    /**
     * The box records a receive (hold, property, status) after its RESULT, beside the next request: a DESTROY of
     * the new incremental base sent at once on another channel waits for that and is refused, not let through
     * before the hold is there.
     */
    @Test
    void aDestroyRightAfterAReceiveWaitsForItsHold() throws Exception {
        PipedServer ch = new PipedServer(config(List.of()), zfs, "laptop");
        ch.client.handshake("push");
        receive(ch.client, 0, 1);
        PipedServer other = new PipedServer(config(List.of()), zfs, "laptop");
        other.client.handshake("push");
        receiveUnsettled(ch.client, 1, 2);
        assertEquals(
                new DestroyResult(
                        List.of("s1"),
                        List.of(new Refusal("s2", "it is the last received snapshot (incremental base)"))),
                other.client.destroy(source.value(), List.of(target("s1"), target("s2"))));
        assertEquals(List.of("s2"), boxSnapshots());
        assertEquals("1", userrefs("s2"));
        other.client.close();
        assertEquals(0, other.exitCode(), other.stderr());
        ch.client.close();
        assertEquals(0, ch.exitCode(), ch.stderr());
    }

    /** A client that leaves right after its RESULT (no BYE) still finds the receive recorded: the process waits. */
    @Test
    void theLastReceiveIsRecordedBeforeTheServerEndsWithoutBye() throws Exception {
        PipedServer ch = new PipedServer(config(List.of()), zfs, "laptop");
        ch.client.handshake("push");
        receiveUnsettled(ch.client, 0, 2);
        ch.toServer.close();
        assertEquals(1, ch.exitCode(), ch.stderr());
        assertEquals(List.of("0", "1"), List.of(userrefs("s1"), userrefs("s2")));
        assertEquals("s2", pools.get(jailed(""), PROPERTY));
        assertEquals(
                "s2",
                ClientStatusFile.read(state, "laptop")
                        .filesystems()
                        .get(source.value())
                        .snapshot());
    }

    @Test
    void staleHoldsOfACrashedRunAreReleasedOnTheNextReceive() throws Exception {
        PipedServer ch = new PipedServer(config(List.of()), zfs, "laptop");
        ch.client.handshake("push");
        receive(ch.client, 0, 2);
        // A run that crashed between holding s2 and releasing s1: both held, both recorded.
        pools.zfs("hold", TAG, jailed("s1"));
        pools.zfs("set", PROPERTY + "=s1,s2", jailed(""));
        assertEquals(List.of("1", "1"), List.of(userrefs("s1"), userrefs("s2")));
        receive(ch.client, 2, 3);
        assertEquals(List.of("0", "0", "1"), List.of(userrefs("s1"), userrefs("s2"), userrefs("s3")));
        assertEquals("s3", pools.get(jailed(""), PROPERTY));
        assertEquals(
                new DestroyResult(List.of("s1", "s2"), List.of()),
                ch.client.destroy(source.value(), List.of(target("s1"), target("s2"))));
        ch.client.close();
        assertEquals(0, ch.exitCode(), ch.stderr());
    }

    @Test
    void statusFileNamesTheLastReceivedSnapshotPerFilesystem() throws Exception {
        PipedServer ch = new PipedServer(config(List.of()), zfs, "laptop");
        ch.client.handshake();
        Instant before = Instant.now().minusSeconds(1);
        receive(ch.client, 0, 2);
        Instant after = Instant.now().plusSeconds(1);
        ClientStatusFile.ClientStatus status = ClientStatusFile.read(state, "laptop");
        assertNotNull(status);
        assertEquals("laptop", status.client());
        assertEquals(List.of(source.value()), List.copyOf(status.filesystems().keySet()));
        ClientStatusFile.Received r = status.filesystems().get(source.value());
        assertEquals("s2", r.snapshot());
        assertEquals(Long.toUnsignedString(guid(source + "@s2")), r.guid());
        Instant at = Instant.parse(r.received());
        assertTrue(at.isAfter(before) && at.isBefore(after), r.received());
        // Without a job the agent asked for no hold.
        assertEquals(List.of("0", "0"), List.of(userrefs("s1"), userrefs("s2")));
        assertEquals(
                Map.of(),
                zfs.localProperties(DatasetName.of(jailed(""))).entrySet().stream()
                        .filter(e -> e.getKey().startsWith("zreplj:"))
                        .collect(java.util.stream.Collectors.toMap(Map.Entry::getKey, Map.Entry::getValue)));
        ch.client.close();
        assertEquals(0, ch.exitCode(), ch.stderr());
    }
}
