package dev.zreplj.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.zreplj.protocol.DestroyTarget;
import dev.zreplj.protocol.ErrorReply;
import dev.zreplj.protocol.FrameReader;
import dev.zreplj.protocol.FrameType;
import dev.zreplj.protocol.FrameWriter;
import dev.zreplj.protocol.Hello;
import dev.zreplj.protocol.ReceiveCommand;
import dev.zreplj.protocol.RemoteException;
import dev.zreplj.protocol.SendCommand;
import dev.zreplj.protocol.SinkClient;
import dev.zreplj.protocol.Wire;
import dev.zreplj.ssh.testing.TestSshd;
import dev.zreplj.zfs.DatasetName;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 15 on zfs-fuse through the real sshd and the built launcher: push, lose the source, restore it into a
 * fresh pool through the same forced command (same guids, same bytes), bring a partial restore up to date,
 * and every refusal (a recovery key that cannot write, names outside the jail, an existing target) with
 * nothing changed. One setup for all of it: each extra EndToEnd costs pools and an sshd.
 */
@Tag("system")
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class RestoreIT {
    @TempDir
    Path tmp;

    @Test
    void pushLoseRestoreIncrementallyAndRefuseWhatIsNotOurs() throws Exception {
        try (EndToEnd e = new EndToEnd(tmp, "\"SRC<\": true")) {
            DatasetName a = e.pools.createFilesystem(e.src.child("a"));
            String sum1 = sha256(e.pools.writeRandomFile(a, "one", 1 << 20));
            assertEquals(0, e.agent("agent", "once").exit());
            // The first push sends the newest snapshot, the one the pass took.
            String first1 = e.pools.snapshotNames(a).get(0);
            long s1 = e.pools.guid(a + "@" + first1);
            String sum2 = sha256(e.pools.writeRandomFile(a, "two", 512 << 10));
            long s2 = e.pools.guid(e.pools.snapshot(a, "s2"));
            EndToEnd.Run pushed = e.agent("agent", "once");
            assertEquals(0, pushed.exit(), pushed::toString);
            String boxBefore = e.snapshotsWithGuids(e.jail);
            assertTrue(boxBefore.contains(e.jail.child(a.value()) + "@s2\t" + Long.toUnsignedString(s2)), boxBefore);

            long beforeList = Instant.now().getEpochSecond();
            EndToEnd.Run listed = e.agent("box", "list", "--job", "laptop_to_box", "--json");
            long afterList = Instant.now().getEpochSecond();
            assertEquals(0, listed.exit(), listed::toString);
            assertTrue(listed.stdout().contains("\"path\" : \"" + a + "\""), listed::toString);
            assertTrue(listed.stdout().contains("\"name\" : \"s2\""), listed::toString);
            assertBoxListIsTheBoxs(e, a, listed, beforeList, afterList);

            DatasetName rst = e.pools.createPool("rst");
            // zfs-fuse has no 'zfs recv -u': below a mounted parent the restore refuses rather than mount.
            EndToEnd.Run mounted = e.agent(
                    "restore",
                    "--job",
                    "laptop_to_box",
                    a + "@" + first1,
                    "--to",
                    rst.child("a").value());
            assertEquals(1, mounted.exit(), mounted::toString);
            assertTrue(
                    mounted.stderr().contains("cannot receive without mounting (no 'zfs recv -u')")
                            && mounted.stderr().contains("'zfs set mountpoint=none " + rst + "'"),
                    mounted::toString);
            assertEquals(List.of(rst.value()), e.datasets(rst));
            e.pools.zfs("set", "mountpoint=none", rst.value());

            // The laptop is lost: its cursor hold goes with it.
            e.pools.zfs("release", "zrepl_CURSOR_J_laptop_to_box", a + "@s2");
            destroyBusy(e, a);
            long t0 = System.nanoTime();
            EndToEnd.Run first = e.agent(
                    "restore",
                    "--job",
                    "laptop_to_box",
                    a + "@" + first1,
                    "--to",
                    rst.child("a").value());
            System.out.printf("restore full: %.1f s%n", (System.nanoTime() - t0) / 1e9);
            assertEquals(0, first.exit(), first::toString);
            assertTrue(
                    first.stdout().contains("restored " + a + "@" + first1 + " -> " + rst.child("a") + " (full)"),
                    first::toString);
            assertEquals(s1, e.pools.guid(rst.child("a") + "@" + first1));
            assertEquals("no", e.pools.get(rst.child("a").value(), "mounted"));

            EndToEnd.Run incremental = e.agent(
                    "restore",
                    "--job",
                    "laptop_to_box",
                    a.value(),
                    "--to",
                    rst.child("a").value());
            assertEquals(0, incremental.exit(), incremental::toString);
            assertTrue(
                    incremental
                            .stdout()
                            .contains("restored " + a + "@s2 -> " + rst.child("a") + " (incremental from @"),
                    incremental::toString);
            assertEquals(s2, e.pools.guid(rst.child("a") + "@s2"));
            // The job's filter was narrowed since: the box still holds a, and restore still finds it (the
            // pass's LIST asks only below the filter's roots; restore asks for the whole jail).
            e.replaceInAgentConfig("\"" + e.src + "<\": true", "\"" + e.src.child("nothing") + "<\": true");
            EndToEnd.Run outside = e.agent(
                    "restore",
                    "--job",
                    "laptop_to_box",
                    a.value(),
                    "--to",
                    rst.child("a2").value());
            assertEquals(0, outside.exit(), outside::toString);
            assertEquals(s2, e.pools.guid(rst.child("a2") + "@s2"));
            e.replaceInAgentConfig("\"" + e.src.child("nothing") + "<\": true", "\"" + e.src + "<\": true");

            // An existing dataset that is no restore of this backup is refused, with or without a base.
            DatasetName other = e.pools.createFilesystem(rst.child("mine"));
            e.pools.snapshot(other, "own");
            String localBefore = e.snapshotsWithGuids(rst) + e.datasets(rst);
            EndToEnd.Run existing = e.agent("restore", "--job", "laptop_to_box", a.value(), "--to", other.value());
            assertEquals(1, existing.exit(), existing::toString);
            String ownSnapshots = "zreplj: restore: " + other + " exists with snapshots of its own (@own) and shares"
                    + " none with the box's " + a + ": zfs receives a full stream over no dataset that has snapshots,"
                    + " not even with --force; restore into a new dataset (--to)\n";
            assertEquals(ownSnapshots, existing.stderr());
            // --force is no way out there: zfs recv -F refuses "destination has snapshots".
            EndToEnd.Run forcedOver =
                    e.agent("restore", "--job", "laptop_to_box", a.value(), "--to", other.value(), "--force");
            assertEquals(1, forcedOver.exit(), forcedOver::toString);
            assertEquals(ownSnapshots, forcedOver.stderr());
            EndToEnd.Run unknown = e.agent(
                    "restore",
                    "--job",
                    "laptop_to_box",
                    "nosuch/fs",
                    "--to",
                    rst.child("x").value());
            assertEquals(1, unknown.exit(), unknown::toString);
            assertTrue(
                    unknown.stderr().contains("the box holds no filesystem 'nosuch/fs' for this client"),
                    unknown::toString);
            assertEquals(localBefore, e.snapshotsWithGuids(rst) + e.datasets(rst));

            mountAndCompare(e, rst.child("a"), "one", sum1, "two", sum2);

            // --force over a restore with a snapshot of its own after the base: rolled back to the base, then
            // received (zfs-fuse's recv -F kept the local snapshot and put the received one after it).
            EndToEnd.Run older = e.agent(
                    "restore",
                    "--job",
                    "laptop_to_box",
                    a + "@" + first1,
                    "--to",
                    rst.child("f").value());
            assertEquals(0, older.exit(), older::toString);
            e.pools.snapshot(rst.child("f"), "mine");
            EndToEnd.Run forced = e.agent(
                    "restore",
                    "--job",
                    "laptop_to_box",
                    a.value(),
                    "--to",
                    rst.child("f").value(),
                    "--force");
            assertEquals(0, forced.exit(), forced::toString);
            assertEquals(List.of(first1, "s2"), e.pools.snapshotNames(rst.child("f")));
            assertEquals(s2, e.pools.guid(rst.child("f") + "@s2"));

            // A recovery key: authorized-keys --restore-only, then the box's own checks on hostile SENDs.
            DatasetName otherClient = e.pools.createFilesystem(e.sinkRoot.child("other"));
            DatasetName secret = e.pools.createFilesystem(otherClient.child("secret"), "mountpoint=none");
            e.pools.snapshot(secret, "s");
            Path recovery = TestSshd.keygen(tmp.resolve("recovery"), TestSshd.KeyType.ED25519, "recovery");
            EndToEnd.Run line = e.zreplj(
                    List.of(
                            "--config",
                            e.sinkConfigPath(),
                            "authorized-keys",
                            EndToEnd.CLIENT,
                            "--key",
                            recovery + ".pub",
                            "--restore-only"),
                    null);
            assertEquals(0, line.exit(), line::toString);
            assertTrue(
                    line.stdout().contains(" stdinserver --restore-only laptop\",restrict ssh-ed25519 "),
                    line::toString);
            Files.writeString(
                    e.sshd.dir().resolve("authorized_keys"), line.stdout(), java.nio.file.StandardOpenOption.APPEND);
            String boxNow = e.snapshotsWithGuids(e.sinkRoot);
            Process p = ssh(e, recovery);
            try (SinkClient c = new SinkClient(p.getInputStream(), p.getOutputStream())) {
                c.handshake("laptop_to_box");
                assertTrue(
                        c.serverHello().capabilities().containsAll(List.of(Wire.RESTORE, Wire.RESTORE_ONLY)),
                        c.serverHello()::toString);
                String path = a.value();
                // The recovery key lists (with sizes) its own jail and nothing of the other client's.
                List<String> listedPaths = c.listDetailed().orElseThrow().filesystems().stream()
                        .map(dev.zreplj.protocol.DetailedFilesystem::path)
                        .toList();
                assertTrue(
                        listedPaths.contains(path) && listedPaths.stream().noneMatch(f -> f.contains("secret")),
                        listedPaths::toString);
                RemoteException recv = assertThrows(
                        RemoteException.class,
                        () -> c.receive(
                                new ReceiveCommand(path, "s3", 1, s2, true, false),
                                new ByteArrayInputStream(new byte[1000])));
                assertEquals("forbidden", recv.code());
                assertEquals(
                        "this key of client 'laptop' is restore-only: RECV refused (use the client's backup key)",
                        recv.getMessage());
                RemoteException destroy = assertThrows(
                        RemoteException.class, () -> c.destroy(path, List.of(new DestroyTarget(first1, s1))));
                assertEquals("forbidden", destroy.code());
                // The other way to write: one zfs send -I stream of several snapshots.
                RemoteException series = assertThrows(
                        RemoteException.class,
                        () -> c.receiveSeries(
                                new dev.zreplj.protocol.ReceiveSeries(
                                        new ReceiveCommand(path, "s3", 1, s2, false, false),
                                        List.of(new dev.zreplj.protocol.ReceiveSeries.Snapshot("s3", 1))),
                                new ByteArrayInputStream(new byte[1000])));
                assertEquals("forbidden", series.code());
                assertEquals(
                        "this key of client 'laptop' is restore-only: RECV_SERIES refused (use the client's backup"
                                + " key)",
                        series.getMessage());
                for (SendCommand hostile : List.of(
                        new SendCommand("../other/secret", "s", null, null),
                        new SendCommand(e.sinkRoot.child("other/secret").value(), "s", null, null),
                        new SendCommand(path, "s2", "@../../other/secret@s", null),
                        new SendCommand(
                                path,
                                "s2",
                                null,
                                dev.zreplj.zfs.testing.ResumeTokens.of(
                                        e.pools.guid(secret + "@s"), 0, secret + "@s", 0)))) {
                    ByteArrayOutputStream sink = new ByteArrayOutputStream();
                    RemoteException refused =
                            assertThrows(RemoteException.class, () -> c.send(hostile, sink), hostile::toString);
                    assertTrue(List.of("jail", "zfs").contains(refused.code()), refused::getMessage);
                    assertEquals(0, sink.size(), hostile::toString);
                }
                ByteArrayOutputStream ok = new ByteArrayOutputStream();
                assertTrue(c.send(new SendCommand(path, first1, null, null), ok).bytes() > 1 << 20);
            }
            assertTrue(p.waitFor(60, TimeUnit.SECONDS));
            assertEquals(0, p.exitValue());
            assertEquals(boxNow, e.snapshotsWithGuids(e.sinkRoot), "the recovery key changed nothing on the box");

            // A replacement laptop holding only the recovery key restores with it.
            e.replaceInAgentConfig("identity_file: " + e.sshd.clientKey(), "identity_file: " + recovery);
            EndToEnd.Run withRecovery = e.agent(
                    "restore",
                    "--job",
                    "laptop_to_box",
                    a.value(),
                    "--to",
                    rst.child("b").value());
            assertEquals(0, withRecovery.exit(), withRecovery::toString);
            assertEquals(s2, e.pools.guid(rst.child("b") + "@s2"));

            // serve.restore: false: no capability, the agent says so, and the box refuses a SEND sent anyway.
            Path sinkConfig = Path.of(e.sinkConfigPath());
            Files.writeString(
                    sinkConfig,
                    Files.readString(sinkConfig)
                            .replace("      type: stdinserver\n", "      type: stdinserver\n      restore: false\n"));
            EndToEnd.Run off = e.agent(
                    "restore",
                    "--job",
                    "laptop_to_box",
                    a.value(),
                    "--to",
                    rst.child("c").value());
            assertEquals(1, off.exit(), off::toString);
            assertTrue(off.stderr().contains("the backup box does not offer restores"), off::toString);
            List<String> restoredBefore = e.datasets(rst);
            EndToEnd.Run offTree = e.agent(
                    "restore",
                    "--job",
                    "laptop_to_box",
                    "-r",
                    e.src.value(),
                    "--to",
                    rst.child("d").value());
            assertEquals(1, offTree.exit(), offTree::toString);
            assertTrue(offTree.stderr().contains("the backup box does not offer restores"), offTree::toString);
            assertEquals(restoredBefore, e.datasets(rst), "refused before anything was created here");
            Process raw = ssh(e, recovery);
            FrameWriter w = new FrameWriter(raw.getOutputStream(), Wire.MAX_CONTROL_FROM_CLIENT);
            w.writeMagic();
            w.control(FrameType.HELLO, new Hello(Wire.PROTOCOL_VERSION, "hostile", List.of()));
            w.control(FrameType.SEND, new SendCommand(a.value(), "s2", null, null));
            w.empty(FrameType.BYE);
            w.flush();
            FrameReader r = new FrameReader(raw.getInputStream(), "server", Wire.MAX_CONTROL_FROM_SERVER);
            r.readMagic();
            assertEquals(FrameType.HELLO, r.next());
            assertEquals(
                    List.of(Wire.RESTORE_ONLY),
                    r.json(Hello.class).capabilities().stream()
                            .filter(c -> c.startsWith("restore"))
                            .toList());
            assertEquals(FrameType.ERROR, r.next());
            ErrorReply forbidden = r.json(ErrorReply.class);
            assertEquals("forbidden", forbidden.code());
            assertEquals(
                    "sink job 'backups' forbids restores (serve.restore: false); ask the box's admin",
                    forbidden.message());
            assertTrue(raw.waitFor(60, TimeUnit.SECONDS));
            assertEquals(0, raw.exitValue());
            assertEquals(
                    List.of(),
                    e.datasets(rst).stream().filter(d -> d.endsWith("/c")).toList());
        }
    }

    /** zfs-fuse under load may call a just-used mount busy for a moment: unmount first, and retry a few times. */
    /**
     * The sizes are what the box's zfs says of its copy, the ages are the box's clock (the reply's box_clock,
     * taken while the command ran) against the creation the box's zfs reports, and the table shows the same.
     */
    private static void assertBoxListIsTheBoxs(EndToEnd e, DatasetName a, EndToEnd.Run listed, long before, long after)
            throws IOException {
        String copy = e.jail.child(a.value()).value();
        JsonNode job = StatusCommand.JSON.readTree(listed.stdout()).get("jobs").get(0);
        long boxClock = job.get("box_clock").asLong();
        assertTrue(
                boxClock >= before && boxClock <= after,
                "box_clock " + boxClock + " not in [" + before + ", " + after + "]: " + listed);
        assertTrue(job.get("note").isNull(), listed::toString);
        JsonNode fs = null;
        for (JsonNode f : job.get("filesystems")) {
            if (f.get("path").asText().equals(a.value())) fs = f;
        }
        assertTrue(fs != null, listed::toString);
        assertEquals(
                Long.parseLong(e.pools.getParsable(copy, "used")),
                fs.get("used").asLong(),
                listed::toString);
        assertEquals(
                Long.parseLong(e.pools.getParsable(copy, "referenced")),
                fs.get("referenced").asLong());
        assertTrue(fs.get("encryption").isNull(), "zfs-fuse has no encryption: unknown, not off: " + listed);
        assertEquals(2, fs.get("versions").size(), listed::toString);
        for (JsonNode v : fs.get("versions")) {
            String snapshot = copy + "@" + v.get("name").asText();
            assertEquals(
                    Long.parseLong(e.pools.getParsable(snapshot, "used")),
                    v.get("used").asLong(),
                    snapshot);
            long creation = Long.parseLong(e.pools.getParsable(snapshot, "creation"));
            assertEquals(creation, v.get("creation").asLong(), snapshot);
            assertEquals(boxClock - creation, v.get("age_seconds").asLong(), "the box's clock: " + snapshot);
        }
        EndToEnd.Run table = e.agent("box", "list", "--job", "laptop_to_box");
        assertEquals(0, table.exit(), table::toString);
        String row = table.stdout()
                .lines()
                .filter(l -> l.startsWith("  " + a + ", 2 snapshots"))
                .findFirst()
                .orElseThrow(() -> new AssertionError("no row for " + a + ": " + table));
        assertTrue(
                row.matches(".* "
                        + java.util.regex.Pattern.quote(
                                BoxListing.size(fs.get("used").asLong())) + " +"
                        + java.util.regex.Pattern.quote(
                                BoxListing.size(fs.get("referenced").asLong())) + " +- +-"),
                row);
        assertTrue(table.stdout().contains("  NAME ") && table.stdout().contains(" ENCRYPTION  GUID"), table::toString);
    }

    private static void destroyBusy(EndToEnd e, DatasetName fs) throws InterruptedException {
        for (int attempt = 1; ; attempt++) {
            try {
                if ("yes".equals(e.pools.get(fs.value(), "mounted"))) {
                    e.pools.zfs("unmount", "-f", fs.value());
                }
                e.pools.zfs("destroy", "-r", fs.value());
                return;
            } catch (IllegalStateException busy) {
                if (attempt == 5 || !busy.getMessage().contains("busy")) {
                    throw busy;
                }
                Thread.sleep(1000);
            }
        }
    }

    private static void mountAndCompare(EndToEnd e, DatasetName fs, String f1, String sum1, String f2, String sum2)
            throws IOException, NoSuchAlgorithmException {
        Path mnt = e.dir.resolve("restored");
        e.pools.zfs("set", "mountpoint=" + mnt, fs.value());
        if (!"yes".equals(e.pools.get(fs.value(), "mounted"))) {
            e.pools.zfs("mount", fs.value());
        }
        assertEquals(sum1, sha256(mnt.resolve(f1)));
        assertEquals(sum2, sha256(mnt.resolve(f2)));
        e.pools.zfs("unmount", fs.value());
    }

    private Process ssh(EndToEnd e, Path key) throws IOException {
        return e.rawSession(key, tmp.resolve("ssh.err"));
    }

    private static String sha256(Path file) throws IOException, NoSuchAlgorithmException {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file)));
    }
}
