package dev.zreplj.zfs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.zreplj.zfs.testing.TestPools;
import dev.zreplj.zfs.testing.ZfsKinds;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** Zfs against the real zfs-fuse daemon, on pools of its own. */
@Tag("system")
class ZfsSystemTest {
    private TestPools pools;
    private Zfs zfs;

    @BeforeEach
    void setUp() {
        pools = TestPools.open();
        zfs = new Zfs(pools.zfsBinary());
    }

    @AfterEach
    void tearDown() {
        pools.close();
    }

    @Test
    void zfsFuseCapabilitiesAreProbedOnceAndExact() throws Exception {
        Capabilities caps = zfs.capabilities();
        assertEquals(ZfsKinds.ZFS_FUSE, caps);
        long calls = zfs.invocations();
        assertEquals(3, calls, "usage, holds and version probes");
        assertEquals(caps, zfs.capabilities());
        assertEquals(calls, zfs.invocations(), "capabilities are cached per instance");
    }

    @Test
    void snapshotGuidsAnswersWhatExistsAndLeavesOutWhatDoesNot() throws Exception {
        DatasetName pool = pools.createPool("guids");
        DatasetName a = pools.createFilesystem(pool.child("a"));
        pools.snapshot(a, "s1");
        pools.snapshot(pool, "top");
        String s1 = a + "@s1";
        String top = pool + "@top";
        assertEquals(
                java.util.Map.of(s1, pools.guid(s1), top, pools.guid(top)),
                zfs.snapshotGuids(List.of(s1, a + "@gone", top, pool + "/nofs@x")));
    }

    @Test
    void zfsFuseKeepsNoPartialReceives() throws Exception {
        DatasetName pool = pools.createPool("part");
        assertEquals(java.util.Optional.empty(), zfs.resumeToken(pool));
        long calls = zfs.invocations();
        ZfsException e = assertThrows(ZfsException.class, () -> zfs.abortPartialReceive(pool));
        assertEquals(
                "this zfs (" + zfs.capabilities().version()
                        + ") keeps no partial receives to discard (no 'zfs recv -A')",
                e.getMessage());
        assertEquals(calls, zfs.invocations(), "refused before running zfs");
    }

    @Test
    void listVersionsMatchesZfsGetForSeveralFilesystemsAndSnapshots() throws Exception {
        DatasetName pool = pools.createPool("src");
        DatasetName a = pools.createFilesystem(pool.child("a"));
        DatasetName b = pools.createFilesystem(pool.child("a/b"));
        DatasetName c = pools.createFilesystem(pool.child("c"));
        pools.writeRandomFile(a, "f1", 4096);
        pools.snapshot(a, "s1");
        pools.writeRandomFile(a, "f2", 4096);
        pools.snapshot(a, "s2");
        pools.snapshot(b, "only");
        pools.snapshot(pool, "top");

        Map<DatasetName, List<ZfsVersion>> versions = zfs.listVersions(pool);

        assertEquals(List.of(pool, a, b, c), List.copyOf(versions.keySet()));
        assertEquals(List.of("s1", "s2"), names(versions.get(a)));
        assertEquals(List.of("only"), names(versions.get(b)));
        assertEquals(List.of(), versions.get(c));
        assertEquals(List.of("top"), names(versions.get(pool)));
        for (List<ZfsVersion> list : versions.values()) {
            for (ZfsVersion v : list) {
                assertEquals(VersionType.SNAPSHOT, v.type());
                String full = v.fullName();
                assertEquals(pools.guid(full), v.guid(), full);
                assertEquals(Long.parseLong(pools.getParsable(full, "createtxg")), v.createtxg(), full);
                assertEquals(
                        Long.parseLong(pools.getParsable(full, "creation")),
                        v.creation().getEpochSecond(),
                        full);
            }
        }
        assertTrue(versions.get(a).get(0).createtxg() < versions.get(a).get(1).createtxg());
        assertEquals(
                Map.of(a, versions.get(a), b, versions.get(b)),
                Map.of(a, zfs.listVersions(a).get(a), b, zfs.listVersions(a).get(b)),
                "listing a subtree gives the same versions");
        assertEquals(List.of(a, b), List.copyOf(zfs.listVersions(a).keySet()));
    }

    @Test
    void listingTakesOneCallFor1Or20Filesystems() throws Exception {
        DatasetName small = pools.createPool("one");
        DatasetName big = pools.createPool("many");
        pools.snapshot(small, "s");
        for (int i = 0; i < 20; i++) {
            DatasetName fs = pools.createFilesystem(big.child("fs" + i));
            pools.snapshot(fs, "s1");
            pools.snapshot(fs, "s2");
        }
        zfs.capabilities();

        long before = zfs.invocations();
        assertEquals(1, zfs.listVersions(small).size());
        long smallCalls = zfs.invocations() - before;

        before = zfs.invocations();
        Map<DatasetName, List<ZfsVersion>> versions = zfs.listVersions(big);
        long bigCalls = zfs.invocations() - before;

        assertEquals(21, versions.size());
        assertEquals(40, versions.values().stream().mapToInt(List::size).sum());
        assertEquals(1, smallCalls);
        assertEquals(1, bigCalls);

        before = zfs.invocations();
        assertEquals(21, zfs.listFilesystems(big).size());
        assertEquals(1, zfs.invocations() - before);
        before = zfs.invocations();
        Map<DatasetName, Map<String, String>> props = zfs.getProperties(big, true, List.of("mountpoint", "zreplj:x"));
        assertEquals(1, zfs.invocations() - before);
        assertEquals(21, props.size(), "snapshots are left out of recursive properties");
        assertEquals("-", props.get(big.child("fs3")).get("zreplj:x"));
    }

    @Test
    void snapshotOfAWholeSubtreeIsAtomic() throws Exception {
        DatasetName pool = pools.createPool("atom");
        DatasetName root = pools.createFilesystem(pool.child("r"));
        DatasetName x = pools.createFilesystem(root.child("x"));
        DatasetName y = pools.createFilesystem(root.child("y"));
        pools.writeRandomFile(x, "f", 1000);

        zfs.snapshot(List.of(y, root, x), "atomic");

        Map<String, String> txgs =
                pools.getParsable("createtxg", List.of(root + "@atomic", x + "@atomic", y + "@atomic"));
        assertEquals(3, txgs.size());
        assertEquals(1, txgs.values().stream().distinct().count(), "equal createtxg: " + txgs);
    }

    @Test
    void aChildZreplCannotNameKeepsItsParentFromARecursiveSnapshot() throws Exception {
        DatasetName pool = pools.createPool("odd");
        DatasetName root = pools.createFilesystem(pool.child("r"));
        DatasetName x = pools.createFilesystem(root.child("x"));
        pools.zfs("create", root + "/-odd");

        zfs.snapshot(List.of(root, x), "s");

        assertEquals(List.of("s"), pools.snapshotNames(root));
        assertEquals(List.of("s"), pools.snapshotNames(x));
        assertEquals(
                "",
                pools.zfs("list", "-H", "-t", "snapshot", "-o", "name", "-r", root + "/-odd")
                        .strip(),
                "a dataset no filter can select is not snapshotted with its parent");
    }

    @Test
    void snapshotOfScatteredFilesystemsTakesEach() throws Exception {
        DatasetName pool = pools.createPool("scat");
        DatasetName a = pools.createFilesystem(pool.child("a"));
        DatasetName b = pools.createFilesystem(pool.child("a/b"));
        DatasetName c = pools.createFilesystem(pool.child("c"));

        zfs.snapshot(List.of(b, c), "s");

        assertEquals(List.of("s"), pools.snapshotNames(b));
        assertEquals(List.of("s"), pools.snapshotNames(c));
        assertEquals(List.of(), pools.snapshotNames(a), "a parent not asked for is not snapshotted");
        assertEquals(List.of(), pools.snapshotNames(pool));
    }

    @Test
    void fullAndIncrementalSendReceiveGiveIdenticalGuidsAndNeverMount() throws Exception {
        DatasetName src = pools.createPool("src");
        DatasetName dst = pools.createPool("dst");
        DatasetName fs = pools.createFilesystem(src.child("data"));
        DatasetName jail = pools.createFilesystem(dst.child("sink"), "mountpoint=none");
        DatasetName target = jail.child("data");
        pools.writeRandomFile(fs, "f1", 256 * 1024);
        pools.snapshot(fs, "s1");
        pools.writeRandomFile(fs, "f2", 256 * 1024);
        pools.snapshot(fs, "s2");
        Map<DatasetName, List<ZfsVersion>> versions = zfs.listVersions(fs);
        ZfsVersion s1 = versions.get(fs).get(0);
        ZfsVersion s2 = versions.get(fs).get(1);

        pipe(zfs.send(SendRequest.full(s1, true)), zfs.receive(ReceiveRequest.plain(target)));
        assertEquals(
                "no", pools.get(target.value(), "mounted"), "a full receive below mountpoint=none stays unmounted");
        pipe(
                zfs.send(SendRequest.incremental(s1, s2, false)),
                zfs.receive(new ReceiveRequest(target, true, true, Map.of("compression", "on"), List.of("atime"))));

        List<ZfsVersion> received = zfs.listVersions(target).get(target);
        assertEquals(List.of("s1", "s2"), names(received));
        assertEquals(s1.guid(), received.get(0).guid());
        assertEquals(s2.guid(), received.get(1).guid());
        assertEquals(pools.guid(s2.fullName()), pools.guid(target + "@s2"));
        assertEquals("no", pools.get(target.value(), "mounted"));
        assertEquals("none", pools.get(target.value(), "mountpoint"));
    }

    @Test
    void destroySnapshotsRemovesExactlyTheNamedOnes() throws Exception {
        DatasetName pool = pools.createPool("del");
        DatasetName fs = pools.createFilesystem(pool.child("fs"));
        DatasetName other = pools.createFilesystem(pool.child("other"));
        for (String s : List.of("a", "b", "c", "d")) {
            pools.snapshot(fs, s);
        }
        pools.snapshot(other, "a");

        zfs.destroySnapshots(fs, List.of("b", "d"));

        assertEquals(List.of("a", "c"), pools.snapshotNames(fs));
        assertEquals(List.of("a"), pools.snapshotNames(other));
    }

    @Test
    void holdsProtectSnapshotsUntilReleased() throws Exception {
        DatasetName pool = pools.createPool("hold");
        DatasetName fs = pools.createFilesystem(pool.child("fs"));
        pools.snapshot(fs, "s");
        ZfsVersion s = zfs.listVersions(fs).get(fs).get(0);

        zfs.hold("zreplj_cursor", s);
        assertEquals("1", pools.getParsable(s.fullName(), "userrefs"));
        ZfsException e = assertThrows(ZfsException.class, () -> zfs.destroySnapshots(fs, List.of("s")));
        assertTrue(e.stderr().contains("dataset is busy"), e.stderr());
        zfs.release("zreplj_cursor", s);
        zfs.destroySnapshots(fs, List.of("s"));
        assertEquals(List.of(), pools.snapshotNames(fs));
    }

    @Test
    void releaseIfHeldSaysWhetherThereWasAHold() throws Exception {
        DatasetName pool = pools.createPool("rel");
        DatasetName fs = pools.createFilesystem(pool.child("fs"));
        pools.snapshot(fs, "s");
        ZfsVersion s = zfs.listVersions(fs).get(fs).get(0);
        zfs.hold("t", s);
        assertTrue(zfs.releaseIfHeld("t", s));
        assertFalse(zfs.releaseIfHeld("t", s), "no such tag");
        zfs.destroySnapshots(fs, List.of("s"));
        assertFalse(zfs.releaseIfHeld("t", s), "no such snapshot");
        ZfsException e = assertThrows(ZfsException.class, () -> zfs.listHolds(List.of(s)));
        assertEquals("this zfs (zfs-fuse) cannot list holds (no 'zfs holds')", e.getMessage());
    }

    @Test
    void localPropertiesAreNotInherited() throws Exception {
        DatasetName pool = pools.createPool("prop");
        DatasetName fs = pools.createFilesystem(pool.child("fs"));
        DatasetName child = pools.createFilesystem(fs.child("c"));
        zfs.setProperty(fs, "zreplj:mark", "a,b");
        assertEquals("a,b", zfs.localProperties(fs).get("zreplj:mark"));
        assertFalse(zfs.localProperties(child).containsKey("zreplj:mark"));
        assertEquals(Map.of(), zfs.localProperties(pool.child("nosuch")));
    }

    @Test
    void failingCommandCarriesZfsStderr() throws Exception {
        DatasetName pool = pools.createPool("err");
        DatasetName fs = pools.createFilesystem(pool.child("fs"));
        ZfsException e = assertThrows(ZfsException.class, () -> zfs.create(fs, Map.of()));
        assertEquals(1, e.exitCode());
        assertTrue(e.stderr().contains("dataset already exists"), e.stderr());
        assertTrue(e.getMessage().contains("dataset already exists"), e.getMessage());
        assertEquals(List.of(zfs.binary().toString(), "create", fs.value()), e.command());
    }

    @Test
    void aMissingRootIsEmptyNotAnError() throws Exception {
        DatasetName pool = pools.createPool("miss");
        DatasetName nothing = pool.child("nothing");
        assertEquals(Map.of(), zfs.listVersions(nothing));
        assertEquals(List.of(), zfs.listFilesystems(nothing));
        assertEquals(Map.of(), zfs.getProperties(nothing, true, List.of("mountpoint")));
        assertFalse(zfs.exists(nothing));
        assertTrue(zfs.exists(pool));
        assertTrue(zfs.listAllFilesystems().contains(pool));
    }

    @Test
    void createAndSetProperty() throws Exception {
        DatasetName pool = pools.createPool("prop");
        DatasetName fs = pool.child("fs");
        zfs.create(fs, Map.of("mountpoint", "none", "zreplj:client", "laptop"));
        zfs.setProperty(fs, "zreplj:client", "desktop");
        Map<DatasetName, Map<String, String>> p = zfs.getProperties(fs, false, List.of("mountpoint", "zreplj:client"));
        assertEquals(Map.of(fs, Map.of("mountpoint", "none", "zreplj:client", "desktop")), p);
    }

    @Test
    void localPropertyIgnoresInheritedValuesAndTakesOneCall() throws Exception {
        DatasetName pool = pools.createPool("src");
        DatasetName a = pools.createFilesystem(pool.child("a"));
        DatasetName b = pools.createFilesystem(a.child("b"));
        DatasetName c = pools.createFilesystem(pool.child("c"));
        pools.snapshot(a, "s1");
        zfs.capabilities();
        zfs.setProperty(a, "zreplj:cursor:job", "00000000000000ab");
        zfs.setProperty(c, "zreplj:cursor:job", "00000000000000cd");
        zfs.setProperty(c, "zreplj:cursor:other", "1");
        long before = zfs.invocations();

        Map<DatasetName, String> values = zfs.localProperty(pool, "zreplj:cursor:job");

        assertEquals(
                Map.of(a, "00000000000000ab", c, "00000000000000cd"),
                values,
                "b and a@s1 inherit the value but do not carry it themselves");
        assertEquals(before + 1, zfs.invocations());
        assertEquals(Map.of(), zfs.localProperty(pool.child("missing"), "zreplj:cursor:job"));
        assertEquals(Map.of(), zfs.localProperty(b, "zreplj:cursor:job"));
    }

    @Test
    void versionsWithALocalPropertyTakeOneCallOnZfsFuseAndMatchTheTwoListings() throws Exception {
        DatasetName pool = pools.createPool("both");
        DatasetName a = pools.createFilesystem(pool.child("a"));
        DatasetName b = pools.createFilesystem(a.child("b"));
        pools.snapshot(a, "s1");
        pools.snapshot(b, "s2");
        zfs.setProperty(a, "zreplj:cursor:job", "00000000000000ab");
        zfs.capabilities();
        long before = zfs.invocations();

        VersionListing listing = zfs.listVersions(pool, "zreplj:cursor:job");

        assertEquals(before + 1, zfs.invocations());
        assertEquals(zfs.listVersions(pool), listing.versions());
        assertEquals(Map.of(a, "00000000000000ab"), listing.values(), "b and a@s1 inherit it");
        assertEquals(
                new VersionListing(Map.of(), Map.of(), List.of()),
                zfs.listVersions(pool.child("missing"), "zreplj:cursor:job"));
    }

    @Test
    void aFilesystemZfsAllowsButZreplJRefusesIsLeftOutAndReportedByEitherListing() throws Exception {
        DatasetName pool = pools.createPool("odd");
        DatasetName a = pools.createFilesystem(pool.child("a"));
        pools.zfs("create", pool.value() + "/-x");
        pools.zfs("snapshot", pool.value() + "/-x@s1");
        pools.snapshot(a, "s1");

        for (String property : java.util.Arrays.asList("zreplj:cursor:job", null)) {
            VersionListing listing = zfs.listVersions(pool, property);
            assertEquals(List.of(pool, a), List.copyOf(listing.versions().keySet()), String.valueOf(property));
            assertEquals(
                    List.of(pool.value() + "/-x"),
                    listing.refused().stream().map(RefusedName::name).toList(),
                    String.valueOf(property));
        }
    }

    @Test
    void hostileNamesNeverReachZfs() throws Exception {
        DatasetName pool = pools.createPool("bad");
        DatasetName fs = pools.createFilesystem(pool.child("fs"));
        pools.snapshot(fs, "s");
        ZfsVersion s = zfs.listVersions(fs).get(fs).get(0);
        long before = zfs.invocations();

        List<Runnable> attempts = new ArrayList<>();
        for (String bad : List.of("a@b", "..", "a ", " a", "a\tb", "-r", "", "a#b", "x\ny")) {
            attempts.add(() -> call(() -> zfs.snapshot(List.of(fs), bad)));
            attempts.add(() -> call(() -> zfs.destroySnapshots(fs, List.of("s", bad))));
            attempts.add(() -> call(() -> zfs.hold(bad, s)));
            attempts.add(() -> call(() -> zfs.release(bad, s)));
            attempts.add(() -> call(() -> zfs.listVersions(fs.child(bad))));
            attempts.add(() -> call(() -> zfs.create(DatasetName.of(pool + "/" + bad), Map.of())));
            attempts.add(() -> call(() -> zfs.setProperty(fs, "-o" + bad, "x")));
        }
        attempts.add(() -> call(() -> zfs.snapshot(List.of(fs), "a/b")));
        attempts.add(() -> call(() -> zfs.hold("a/b", s)));
        attempts.add(() -> call(() -> zfs.create(fs.child("n"), Map.of("mountpoint", "/\nx"))));
        attempts.add(() -> call(() -> zfs.getProperties(fs, false, List.of("-r"))));
        for (Runnable attempt : attempts) {
            assertThrows(InvalidNameException.class, attempt::run);
        }
        assertEquals(before, zfs.invocations(), "no invalid name may start zfs");
        assertEquals(List.of("s"), pools.snapshotNames(fs));
    }

    /**
     * A send given up while zfs-fuse's daemon is blocked on a full pipe (the link stalled, the box went away):
     * after kill() every snapshot of the series can still be destroyed. Signalled before its pipe was closed,
     * the zfs-fuse client left its daemon holding them, "dataset is busy" until the daemon restarted: a sender
     * that could never prune them again (the soak's final pass failed on it, stops 14 and 16).
     */
    @Test
    void aSendGivenUpBehindAFullPipeLeavesNoSnapshotBusy() throws Exception {
        DatasetName pool = pools.createPool("cut");
        DatasetName fs = pools.createFilesystem(pool.child("fs"));
        for (int i = 1; i <= 4; i++) {
            pools.writeRandomFile(fs, "f" + i, 4 << 20);
            pools.snapshot(fs, "s" + i);
        }
        List<ZfsVersion> versions = zfs.listVersions(fs).get(fs);
        ZfsProcess send = zfs.send(SendRequest.intermediates(versions.get(0), versions.get(3), false));
        assertEquals(100_000, send.stdout().readNBytes(100_000).length);
        Thread.sleep(1000); // nobody reads: the pipe fills and the daemon blocks in its write
        send.kill();
        assertThrows(ZfsException.class, send::finish);

        zfs.destroySnapshots(fs, List.of("s1", "s2", "s3", "s4"));
        assertEquals(List.of(), pools.snapshotNames(fs), "every snapshot of the given-up send destroyed");
    }

    /**
     * A send given up in its first milliseconds (the soak: a connection cut 16 ms into a step): zfs-fuse's client
     * takes its holds, then writes, and with its output closed by then SIGPIPE killed it before it released them,
     * "dataset is busy" to every destroy until the pool was imported again. With SIGPIPE ignored it sees EPIPE,
     * releases them and exits non-zero. Several moments, as the hold phase's length varies with the machine.
     */
    @Test
    void aSendGivenUpInItsFirstMillisecondsLeavesNoSnapshotHeld() throws Exception {
        DatasetName pool = pools.createPool("early");
        for (int delay : new int[] {0, 2, 4, 7, 10, 15, 25}) {
            DatasetName fs = pools.createFilesystem(pool.child("fs" + delay));
            for (int i = 1; i <= 3; i++) {
                pools.writeRandomFile(fs, "f" + i, 1 << 20);
                pools.snapshot(fs, "s" + i);
            }
            List<ZfsVersion> versions = zfs.listVersions(fs).get(fs);
            ZfsProcess send = zfs.send(SendRequest.intermediates(versions.get(0), versions.get(2), false));
            Thread.sleep(delay);
            send.kill();
            assertThrows(ZfsException.class, send::finish, "given up after " + delay + " ms");
            assertNothingHeld(fs);
        }
    }

    /**
     * zfs-fuse's {@code zfs send -I} holds the snapshots it sends and releases them when it ends. When the agent's
     * JVM died mid-stream (killed, OOM), the zfs client's "Broken pipe" line went to a stderr pipe nobody read any
     * more, SIGPIPE killed it before it released them, and every later destroy of those snapshots failed "dataset
     * is busy" until the pool was imported again (the interrupted-passes audit, by hand).
     */
    @Test
    void aSendWhoseJvmDiesLeavesNoSnapshotHeld() throws Exception {
        DatasetName fs = threeSnapshots("die");
        Process child = sendThenDie(fs, "halt");
        String out = new String(child.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        assertEquals(9, child.waitFor(), out);
        assertTrue(out.contains("reading"), out);
        assertNothingHeld(fs);
    }

    /**
     * systemctl stop under the units' KillMode=mixed: SIGTERM to the JVM alone, then SIGKILL to whatever of the
     * unit is left once it is gone. The send must have ended, its holds released, before the JVM exits.
     */
    @Test
    void aSendWhoseJvmIsToldToStopLeavesNoSnapshotHeld() throws Exception {
        DatasetName fs = threeSnapshots("term");
        Process child = sendThenDie(fs, "wait");
        java.io.BufferedReader lines = new java.io.BufferedReader(
                new java.io.InputStreamReader(child.getInputStream(), java.nio.charset.StandardCharsets.UTF_8));
        assertEquals("reading", lines.readLine());
        List<ProcessHandle> rest = child.descendants().toList();
        child.destroy();
        assertEquals(143, child.waitFor());
        rest.forEach(ProcessHandle::destroyForcibly);
        assertNothingHeld(fs);
    }

    /**
     * Ctrl-C on a terminal: SIGINT to the whole foreground process group, a zfs send in it included, which then
     * died by the signal before it released its holds (the lifecycle audit: every later destroy of them failed
     * "dataset is busy" until the pool was imported again). The send runs in a session of its own, so only the
     * JVM is interrupted and ends it the way SIGTERM does.
     */
    @Test
    void aSendWhoseTerminalIsInterruptedLeavesNoSnapshotHeld() throws Exception {
        DatasetName fs = threeSnapshots("intr");
        Process child = sendThenDie(fs, "wait", true);
        java.io.BufferedReader lines = new java.io.BufferedReader(
                new java.io.InputStreamReader(child.getInputStream(), java.nio.charset.StandardCharsets.UTF_8));
        assertEquals("reading", lines.readLine());
        List<ProcessHandle> rest = child.descendants().toList();
        // The JVM leads its own process group here, as a shell's foreground job does.
        assertEquals(
                0,
                new ProcessBuilder("kill", "-INT", "--", "-" + child.pid())
                        .start()
                        .waitFor());
        assertEquals(130, child.waitFor());
        rest.forEach(ProcessHandle::destroyForcibly);
        assertNothingHeld(fs);
    }

    private DatasetName threeSnapshots(String poolSuffix) {
        DatasetName pool = pools.createPool(poolSuffix);
        DatasetName fs = pools.createFilesystem(pool.child("fs"));
        for (int i = 1; i <= 3; i++) {
            pools.writeRandomFile(fs, "f" + i, 4 << 20);
            pools.snapshot(fs, "s" + i);
        }
        return fs;
    }

    private Process sendThenDie(DatasetName fs, String mode) throws java.io.IOException {
        return sendThenDie(fs, mode, false);
    }

    /** @param ownGroup started as the leader of a process group of its own ({@code setsid}), as a shell job */
    private Process sendThenDie(DatasetName fs, String mode, boolean ownGroup) throws java.io.IOException {
        List<String> command = new java.util.ArrayList<>(ownGroup ? List.of("setsid") : List.of());
        command.addAll(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp",
                System.getProperty("java.class.path"),
                SendThenDie.class.getName(),
                pools.zfsBinary().toString(),
                fs.value(),
                "s1",
                "s3",
                mode));
        return new ProcessBuilder(command).redirectErrorStream(true).start();
    }

    private void assertNothingHeld(DatasetName fs) throws Exception {
        // The zfs client ends on its own once the daemon's write fails; give it that moment.
        List<String> held = List.of();
        for (int i = 0; i < 50; i++) {
            held = java.util.stream.Stream.of("s1", "s2", "s3")
                    .filter(s -> !pools.get(fs + "@" + s, "userrefs").equals("0"))
                    .toList();
            if (held.isEmpty()) break;
            Thread.sleep(200);
        }
        assertEquals(List.of(), held, "snapshots still held by the dead JVM's zfs send");
        zfs.destroySnapshots(fs, List.of("s1", "s2", "s3"));
        assertEquals(List.of(), pools.snapshotNames(fs));
    }

    private interface ZfsCall {
        void run() throws Exception;
    }

    private static void call(ZfsCall c) {
        try {
            c.run();
        } catch (RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new AssertionError("expected InvalidNameException, got " + e, e);
        }
    }

    private static void pipe(ZfsProcess send, ZfsProcess recv) throws Exception {
        try (send;
                recv) {
            send.stdout().transferTo(recv.stdin());
            recv.stdin().close();
            send.finish();
            recv.finish();
        }
    }

    private static List<String> names(List<ZfsVersion> versions) {
        return versions.stream().map(ZfsVersion::name).toList();
    }
}
