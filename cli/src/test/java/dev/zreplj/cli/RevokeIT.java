package dev.zreplj.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.zreplj.protocol.DestroyResult;
import dev.zreplj.protocol.DestroyTarget;
import dev.zreplj.protocol.ErrorReply;
import dev.zreplj.protocol.FrameReader;
import dev.zreplj.protocol.FrameType;
import dev.zreplj.protocol.FrameWriter;
import dev.zreplj.protocol.Hello;
import dev.zreplj.protocol.ReceiveCommand;
import dev.zreplj.protocol.RemoteException;
import dev.zreplj.protocol.SinkClient;
import dev.zreplj.protocol.Wire;
import dev.zreplj.ssh.testing.TestSshd;
import dev.zreplj.zfs.DatasetName;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A stolen laptop (docs/box.md, "A stolen laptop: revoking a client") on the real sshd and zfs-fuse: a connection
 * the thief opened before the key's line went keeps opening channels (sshd reads authorized_keys only at
 * authentication), until {@code box revoke}; the backups stay, and the owner's new key restores them.
 */
@Tag("system")
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class RevokeIT {
    @TempDir
    Path tmp;

    private final List<Process> started = new ArrayList<>();

    private List<String> ssh(EndToEnd e, String... more) {
        return ssh(e, true, more);
    }

    /** @param mux through the thief's ControlMaster socket (else a connection of its own) */
    private List<String> ssh(EndToEnd e, boolean mux, String... more) {
        List<String> c = new ArrayList<>(List.of(
                "ssh",
                "-T",
                "-F",
                "/dev/null",
                "-i",
                e.sshd.clientKey().toString(),
                "-p",
                String.valueOf(e.sshd.port()),
                "-o",
                "IdentitiesOnly=yes",
                "-o",
                "BatchMode=yes",
                "-o",
                "UserKnownHostsFile=" + e.sshd.knownHosts(),
                "-o",
                "StrictHostKeyChecking=yes"));
        if (mux) {
            c.addAll(List.of("-S", tmp.resolve("ctl").toString()));
        }
        c.addAll(List.of(more));
        c.add("root@127.0.0.1");
        return c;
    }

    /** The thief's connection, held open by an OpenSSH ControlMaster (as ControlPersist would keep it). */
    private Process master(EndToEnd e) throws Exception {
        Process m = new ProcessBuilder(ssh(e, "-M", "-N", "-o", "ControlPersist=no"))
                .redirectErrorStream(true)
                .redirectOutput(tmp.resolve("master.log").toFile())
                .start();
        started.add(m);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!Files.exists(tmp.resolve("ctl"))) {
            assertTrue(m.isAlive() && System.nanoTime() < deadline, () -> "no ControlMaster: " + log("master.log"));
            Thread.sleep(20);
        }
        return m;
    }

    /** One more channel on the thief's open connection: sshd runs the forced command for it anew. */
    private Process channel(EndToEnd e, String name) throws IOException {
        Process p = new ProcessBuilder(ssh(e, "-o", "ControlMaster=no"))
                .redirectError(tmp.resolve(name + ".err").toFile())
                .start();
        started.add(p);
        return p;
    }

    private String log(String name) {
        try {
            return Files.readString(tmp.resolve(name));
        } catch (IOException e) {
            return "(none)";
        }
    }

    private static byte[] send(EndToEnd e, String... args) throws IOException, InterruptedException {
        List<String> c = new ArrayList<>(List.of(e.pools.zfsBinary().toString(), "send"));
        c.addAll(List.of(args));
        Process p = new ProcessBuilder(c)
                .redirectError(ProcessBuilder.Redirect.DISCARD)
                .start();
        byte[] out = p.getInputStream().readAllBytes();
        assertEquals(0, p.waitFor());
        return out;
    }

    @Test
    void aConnectionOpenedBeforeTheRevocationIsCutOffAndTheNewKeyRestores() throws Exception {
        try (EndToEnd e = new EndToEnd(tmp, "\"SRC<\": true")) {
            try {
                run(e);
            } finally {
                started.forEach(Process::destroyForcibly);
            }
        }
    }

    private void run(EndToEnd e) throws Exception {
        DatasetName a = e.pools.createFilesystem(e.src.child("a"));
        e.pools.writeRandomFile(a, "one", 256 << 10);
        EndToEnd.Run pushed = e.agent("agent", "once");
        assertEquals(0, pushed.exit(), pushed::toString);
        String first = e.pools.snapshotNames(a).get(0);
        long firstGuid = e.pools.guid(a + "@" + first);
        long s2 = e.pools.guid(e.pools.snapshot(a, "s2"));
        long s3 = e.pools.guid(e.pools.snapshot(a, "s3"));
        Path authorizedKeys = e.sshd.dir().resolve("authorized_keys");
        String line = Files.readString(authorizedKeys);

        // The thief holds a connection, and a channel on it that has said HELLO and waits.
        Process master = master(e);
        Process idle = channel(e, "idle");
        SinkClient idleClient = new SinkClient(idle.getInputStream(), idle.getOutputStream());
        idleClient.handshake("laptop_to_box");

        // What an admin could do before: delete the key's line. New connections are refused...
        Files.writeString(authorizedKeys, "");
        Process fresh = new ProcessBuilder(ssh(e, false))
                .redirectErrorStream(true)
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                .start();
        started.add(fresh);
        String freshOut = new String(fresh.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(fresh.waitFor(60, TimeUnit.SECONDS), freshOut);
        assertEquals(255, fresh.exitValue(), freshOut);
        assertTrue(freshOut.contains("Permission denied (publickey)"), freshOut);
        // ...but the open connection still receives and destroys through a new channel.
        Process late = channel(e, "late");
        try (SinkClient c = new SinkClient(late.getInputStream(), late.getOutputStream())) {
            c.handshake("laptop_to_box");
            c.receive(
                    new ReceiveCommand(a.value(), "s2", s2, firstGuid, false, false),
                    new ByteArrayInputStream(send(e, "-i", a + "@" + first, a + "@s2")));
            DestroyResult d = c.destroy(a.value(), List.of(new DestroyTarget(first, firstGuid)));
            assertEquals(List.of(first), d.destroyed(), d::toString);
        }
        assertTrue(late.waitFor(60, TimeUnit.SECONDS));
        assertEquals(0, late.exitValue(), log("late.err"));

        // The documented step: box revoke (the line back first, as it was before the admin touched it).
        Files.writeString(authorizedKeys, "# the admin's own key stays\n" + line);
        String boxBefore = e.snapshotsWithGuids(e.jail);
        assertTrue(boxBefore.contains("@s2\t" + Long.toUnsignedString(s2)), boxBefore);
        long revokedAt = System.nanoTime();
        EndToEnd.Run revoke = e.zreplj(
                List.of(
                        "--config",
                        e.sinkConfigPath(),
                        "box",
                        "revoke",
                        "laptop",
                        "--authorized-keys",
                        authorizedKeys.toString()),
                null);
        assertEquals(0, revoke.exit(), revoke::toString);
        assertEquals("# the admin's own key stays\n", Files.readString(authorizedKeys));
        String key = Files.readString(Path.of(e.sshd.clientKey() + ".pub")).strip();
        assertTrue(
                revoke.stdout()
                        .startsWith("removed from " + authorizedKeys + ": " + key + "\nrevoked laptop: SSH"
                                + " connections of laptop opened before "),
                revoke::toString);

        // A new channel on the thief's connection: refused after the handshake, one line saying why.
        Process after = channel(e, "after");
        FrameWriter w = new FrameWriter(after.getOutputStream(), Wire.MAX_CONTROL_FROM_CLIENT);
        w.writeMagic();
        w.control(FrameType.HELLO, new Hello(Wire.PROTOCOL_VERSION, "thief", List.of()));
        w.flush();
        FrameReader r = new FrameReader(after.getInputStream(), "server", Wire.MAX_CONTROL_FROM_SERVER);
        r.readMagic();
        assertEquals(FrameType.HELLO, r.next());
        assertEquals(FrameType.ERROR, r.next());
        ErrorReply refused = r.json(ErrorReply.class);
        assertEquals("forbidden", refused.code());
        String at = Files.readString(e.dir.resolve("box-state/revoked/laptop"))
                .lines()
                .filter(l -> l.startsWith("at "))
                .findFirst()
                .orElseThrow()
                .substring(3);
        String reason = "client 'laptop' was revoked on the box at " + at
                + " (zreplj box revoke) and this SSH connection was opened before that; connect again with a key the"
                + " box's authorized_keys still holds";
        assertEquals(reason, refused.message());
        assertTrue(after.waitFor(60, TimeUnit.SECONDS));
        assertEquals(1, after.exitValue());
        assertEquals("zreplj stdinserver: " + reason + " (refused the channel)\n", log("after.err"));

        // The channel opened before and left waiting: its next request is refused, and it ends.
        RemoteException destroy = assertThrows(
                RemoteException.class, () -> idleClient.destroy(a.value(), List.of(new DestroyTarget("s2", s2))));
        assertEquals("forbidden", destroy.code());
        assertEquals(reason, destroy.getMessage());
        assertTrue(idle.waitFor(60, TimeUnit.SECONDS));
        assertEquals(1, idle.exitValue());
        System.out.printf(
                "revoked client cut off within %.1f s of box revoke%n", (System.nanoTime() - revokedAt) / 1e9);
        // ...and so is a RECV on a further channel.
        Process recv = channel(e, "recv");
        try (SinkClient c = new SinkClient(recv.getInputStream(), recv.getOutputStream())) {
            RemoteException refusedRecv = assertThrows(RemoteException.class, () -> {
                c.handshake("laptop_to_box");
                c.receive(
                        new ReceiveCommand(a.value(), "s3", s3, s2, false, false),
                        new ByteArrayInputStream(send(e, "-i", a + "@s2", a + "@s3")));
            });
            assertEquals("forbidden", refusedRecv.code());
        } catch (IOException closedByTheBox) {
            // close() after the box ended the channel
        }
        assertTrue(master.isAlive(), "the connection itself stays open; only its channels are refused");
        assertEquals(boxBefore, e.snapshotsWithGuids(e.jail), "nothing of the client's backups changed");
        assertTrue(Files.readString(e.dir.resolve("box-state/log/stdinserver.log"))
                .contains(reason + " (refused DESTROY)"));

        // The old key at the agent: one line, sshd's refusal.
        EndToEnd.Run old = e.agent("agent", "once");
        assertEquals(1, old.exit(), old::toString);
        assertTrue(old.stdout().contains("the server did not accept the key"), old::toString);

        // The owner's new key, for the same client (the same jail): the restore gets the backups back.
        Path newKey = TestSshd.keygen(tmp.resolve("new"), TestSshd.KeyType.ED25519, "laptop-new");
        EndToEnd.Run add = e.zreplj(
                List.of(
                        "--config",
                        e.sinkConfigPath(),
                        "authorized-keys",
                        "laptop",
                        "--key",
                        newKey + ".pub",
                        "--restore-only"),
                null);
        assertEquals(0, add.exit(), add::toString);
        Files.writeString(authorizedKeys, add.stdout(), StandardOpenOption.APPEND);
        e.replaceInAgentConfig("identity_file: " + e.sshd.clientKey(), "identity_file: " + newKey);
        // The box still shows the client's backups: status on the box, box list through the new key.
        EndToEnd.Run status = e.zreplj(List.of("--config", e.sinkConfigPath(), "status"), null);
        // CRITICAL for the config's other client, which never sent anything; laptop is as it was, now saying why
        // nothing more of it will be received until the new key pushes (a restore-only one here never does).
        assertEquals(2, status.exit(), status::toString);
        assertTrue(
                status.stdout()
                                .contains("sink job backups, client laptop: OK, 2 filesystems -- revoked on the box at "
                                        + at + " (zreplj box revoke); its backups stay; it pushes again only with a"
                                        + " newly authorized key\n")
                        && status.stdout().contains("\n  " + a + ": OK, @s2 received "),
                status::toString);
        EndToEnd.Run listed = e.agent("box", "list", "--job", "laptop_to_box");
        assertEquals(0, listed.exit(), listed::toString);
        assertTrue(listed.stdout().contains("@s2 "), listed::toString);
        DatasetName rst = e.pools.createPool("rst");
        e.pools.zfs("set", "mountpoint=none", rst.value());
        EndToEnd.Run restore = e.agent(
                "restore",
                "--job",
                "laptop_to_box",
                a.value(),
                "--to",
                rst.child("a").value());
        assertEquals(0, restore.exit(), restore::toString);
        assertEquals(s2, e.pools.guid(rst.child("a") + "@s2"));
        assertFalse(Files.readString(authorizedKeys).contains(key), "the stolen key stays out");
        assertEquals(boxBefore, e.snapshotsWithGuids(e.jail));
    }
}
