package dev.zreplj.cli;

import static dev.zreplj.cli.EndToEnd.assertContains;
import static dev.zreplj.cli.openzfs.OpenZfsLab.quote;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.zreplj.cli.openzfs.LabPools;
import dev.zreplj.cli.openzfs.LabSshd;
import dev.zreplj.cli.openzfs.OpenZfsLab;
import dev.zreplj.protocol.DestroyResult;
import dev.zreplj.protocol.DestroyTarget;
import dev.zreplj.protocol.SinkClient;
import dev.zreplj.zfs.DatasetName;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * docs/box.md, "Moving the backups to a new box", on OpenZFS 2.3 in the lab guest, with the commands the docs give
 * for it: {@code zfs send -R -w -h | zfs recv -u}. The copy mixes the box's plain jail and placeholders with a
 * client's raw (encrypted) filesystems sent with their properties, the sink overrides {@code canmount}, and the old
 * box has a partial receive (a resume token) left by a cut pass.
 * {@link NewBoxIT} is the same move on zfs-fuse, which has no raw send, no {@code -u} and no holds in streams.
 */
@Tag("openzfs")
class OpenZfsNewBoxIT {
    private static final String PASSPHRASE = "correct horse battery staple";
    private static final String HOLD = "zrepl_last_received_J_laptop_to_box";
    private static final String MARK = "zreplj:last_received_j_laptop__to__box";
    private static final String RECV = "    recv:\n      properties:\n        override:\n          canmount: \"off\"\n";

    @Test
    void rawCopyWithHoldsKeepsTheHistoryEncryptedUnmountedAndHeldAndTheNextPassIsIncremental() throws Exception {
        String job = "    send: {encrypted: true, send_properties: true}\n" + EndToEnd.DEFAULT_JOB_TAIL;
        try (LabEndToEnd e = new LabEndToEnd(OpenZfsLab.connect(), "\"SRC/secret<\": true", job)) {
            LabPools pools = e.pools;
            // The box's recv override (-o, local on the old box) and its -x of the client's mountpoint (whose value
            // the old box keeps as a received one, hidden): neither may turn into a mount on the new box.
            e.writeSinkConfig(e.sinkRoot, RECV);
            DatasetName secret = e.src.child("secret");
            pools.createEncrypted(secret, PASSPHRASE);
            pools.zfs("set", "mountpoint=" + e.dir + "/client-mnt", secret.value());
            DatasetName child = pools.createFilesystem(secret.child("child"));
            for (int i = 0; i < 2; i++) {
                pools.writeRandomFile(secret, "f" + i, 256 << 10);
                EndToEnd.Run run = e.agent("agent", "once", "--snapshot");
                assertEquals(0, run.exit(), run::toString);
            }
            String last = pools.snapshotNames(secret).get(1);
            DatasetName oldSecret = e.jail.child(secret.value());
            // A pass cut mid-stream leaves a partial receive on the old box, which no zfs send -R carries.
            pools.writeRandomFile(secret, "big", 8 << 20);
            e.killAgentWhenReceived(oldSecret.value(), 2 << 20, "agent", "once", "--snapshot");
            String token = pools.get(oldSecret.value(), "receive_resume_token");
            assertTrue(token.startsWith("1-"), "the cut pass left a resume token on the old box: " + token);

            DatasetName newRoot = pools.createPool("new").child("zreplj");
            String move = e.sinkRoot + "@move";
            pools.zfs("snapshot", "-r", move);
            // Without -w OpenZFS refuses the whole stream: a raw-received filesystem whose key the box never had.
            OpenZfsLab.Result plain = e.lab.sh("zfs send -R " + quote(move), null, OpenZfsLab.DEFAULT_TIMEOUT);
            assertEquals(1, plain.exit(), plain::toString);
            assertContains(
                    plain.stderr(),
                    "cannot send " + move + ": encrypted dataset " + oldSecret
                            + " may not be sent with properties without the raw flag\n",
                    new EndToEnd.Run(plain.exit(), "", plain.stderr()));
            e.lab.check(
                    "set -o pipefail; zfs send -R -w -h " + quote(move) + " | zfs recv -u " + quote(newRoot.value()));
            pools.zfs("destroy", "-r", move);
            pools.zfs("destroy", "-r", newRoot + "@move");
            DatasetName newJail = newRoot.child(EndToEnd.CLIENT);
            DatasetName newSecret = newJail.child(secret.value());
            assertEquals(
                    "-", pools.get(newSecret.value(), "receive_resume_token"), "the partial receive stayed behind");
            assertEquals(
                    e.dir + "/client-mnt",
                    pools.zfs("get", "-H", "-o", "received", "mountpoint", oldSecret.value())
                            .strip(),
                    "the old box kept the client's mountpoint (-x) as a received value");
            assertEquals("off\treceived", valueAndSource(pools, "canmount", newSecret), "the old box's override");
            assertTrue(
                    valueAndSource(pools, "mountpoint", newSecret).startsWith("none\tinherited from "),
                    "the client's mountpoint did not come along: " + valueAndSource(pools, "mountpoint", newSecret));
            assertEquals("1", pools.get(newSecret + "@" + last, "userrefs"), "zfs send -h carried the hold");
            assertEquals(
                    last + "\treceived",
                    pools.zfs("get", "-H", "-o", "value,source", MARK, newSecret.value())
                            .strip(),
                    "zfs send -R carries the box's marks as received values");

            String dir = e.dir;
            e.lab.check("set -e; mkdir -p " + quote(dir + "/new-state") + " && cp -a " + quote(dir + "/box-state")
                    + "/. " + quote(dir + "/new-state") + "/");
            String oldPrefix = e.sinkRoot.value().replace("/", "%2F") + "%2F";
            String newPrefix = newRoot.value().replace("/", "%2F") + "%2F";
            e.lab.check("cd " + quote(dir + "/new-state/received") + " && for f in " + oldPrefix
                    + "*; do mv -n -- \"$f\" \"" + newPrefix + "${f#" + oldPrefix + "}\"; done");
            String newConfig = dir + "/new-sink.yml";
            e.lab.write(newConfig, EndToEnd.sinkYaml(dir + "/new-state", newRoot, RECV));
            // Where zfs lists holds the box refuses to destroy a snapshot with its last-received hold: the hold
            // zfs send -h brought protects the copy from the moment it arrives, box setup or not.
            assertRefused(e, newConfig, secret, last, pools.guid(newSecret + "@" + last));
            EndToEnd.Run setup =
                    e.zreplj(List.of("--config", newConfig, "box", "setup", "--user", "root", newRoot.value()), null);
            assertEquals(0, setup.exit(), setup::toString);
            System.out.println("box setup on the new box:\n" + setup.stdout());
            assertFalse(setup.stdout().contains("has no receive times"), setup::toString);
            // The hold zfs send -h brought counts as done; the property is set locally all the same.
            assertContains(
                    setup.stdout(),
                    "took over the copied history's mark: set " + MARK + "=" + last + " on " + newSecret + " and hold "
                            + HOLD + " on " + newSecret + "@" + last + "\n",
                    setup);
            assertEquals(
                    last + "\tlocal",
                    pools.zfs("get", "-H", "-o", "value,source", MARK, newSecret.value())
                            .strip());
            assertEquals("1", pools.get(newSecret + "@" + last, "userrefs"));
            OpenZfsLab.Result destroy =
                    e.lab.sh("zfs destroy " + quote(newSecret + "@" + last), null, OpenZfsLab.DEFAULT_TIMEOUT);
            assertEquals(1, destroy.exit(), destroy::toString);
            assertContains(destroy.stderr(), "it's being held", new EndToEnd.Run(1, "", destroy.stderr()));
            // A client's DESTROY of it, through the new box's forced command, before its first pass there.
            assertRefused(e, newConfig, secret, last, pools.guid(newSecret + "@" + last));
            assertTrue(pools.snapshotNames(newSecret).contains(last), "still there");

            try (LabSshd newSshd = LabSshd.start(
                    e.lab,
                    dir + "/new-sshd",
                    e.launcher + " --config " + newConfig + " stdinserver " + EndToEnd.CLIENT,
                    List.of(LabEndToEnd.JAVA_OPTS))) {
                EndToEnd.Run line = e.zreplj(
                        List.of(
                                "--config",
                                newConfig,
                                "authorized-keys",
                                EndToEnd.CLIENT,
                                "--key",
                                e.sshd.clientKey() + ".pub"),
                        null);
                assertEquals(0, line.exit(), line::toString);
                e.lab.write(dir + "/new-sshd/authorized_keys", line.stdout());
                e.lab.check("cat " + quote(newSshd.knownHosts()) + " >> " + quote(e.sshd.knownHosts()));
                e.replaceInAgentConfig("port: " + e.sshd.port(), "port: " + newSshd.port());

                EndToEnd.Run pass = e.agent("agent", "once", "--snapshot");
                assertEquals(0, pass.exit(), pass::toString);
                System.out.println("first pass to the new box:\n" + pass.stdout() + pass.stderr());
                assertContains(pass.stderr(), secret + ": sending @" + last + " ", pass);
                assertFalse(pass.stderr().contains(": sending full"), pass::toString);
                for (DatasetName fs : List.of(secret, child)) {
                    DatasetName copy = newJail.child(fs.value());
                    assertEquals(relative(pools, fs), relative(pools, copy), "the source's guids on the new box");
                    assertEquals("aes-256-gcm", pools.get(copy.value(), "encryption"), copy.value());
                    assertEquals("unavailable", pools.get(copy.value(), "keystatus"), copy.value());
                    assertEquals(copy.value(), pools.get(copy.value(), "encryptionroot"), copy.value());
                }
                String next = pools.snapshotNames(secret)
                        .get(pools.snapshotNames(secret).size() - 1);
                assertEquals("0", pools.get(newSecret + "@" + last, "userrefs"), "the hold moved on");
                assertEquals("1", pools.get(newSecret + "@" + next, "userrefs"), "the hold moved on");
                assertEquals(
                        next + "\tlocal",
                        pools.zfs("get", "-H", "-o", "value,source", MARK, newSecret.value())
                                .strip());
                String mounted = pools.zfs(
                                "get", "-H", "-r", "-t", "filesystem", "-o", "value", "mounted", newRoot.value())
                        .strip();
                assertEquals(List.of("no"), mounted.lines().distinct().toList(), "nothing mounted on the new box");
                assertEquals("off\tlocal", valueAndSource(pools, "canmount", newSecret), "the new box's override");
                assertTrue(valueAndSource(pools, "mountpoint", newSecret).startsWith("none\tinherited from "));
            }
        }
    }

    /** A client's DESTROY of {@code fs@snapshot} through a stdinserver of the new box is refused. */
    private static void assertRefused(LabEndToEnd e, String config, DatasetName fs, String snapshot, long guid)
            throws Exception {
        Process server = e.lab.spawn("cd " + quote(e.dir) + " && export " + LabEndToEnd.JAVA_OPTS + " && "
                + OpenZfsLab.command(List.of(e.launcher, "--config", config, "stdinserver", EndToEnd.CLIENT)));
        try (SinkClient client = new SinkClient(server.getInputStream(), server.getOutputStream())) {
            client.handshake("laptop_to_box");
            DestroyResult r = client.destroy(fs.value(), List.of(new DestroyTarget(snapshot, guid)));
            assertEquals(List.of(), r.destroyed(), r::toString);
            assertEquals(
                    List.of(new DestroyResult.Refusal(snapshot, "it is the last received snapshot (incremental base)")),
                    r.refused());
        }
        assertTrue(server.waitFor(60, TimeUnit.SECONDS), "the stdinserver ends with its channel");
    }

    private static String valueAndSource(LabPools pools, String property, DatasetName fs) {
        return pools.zfs("get", "-H", "-o", "value,source", property, fs.value())
                .strip();
    }

    /** "@snapshot\tguid" lines of fs, named relative to fs, to compare two pools' copies. */
    private static String relative(LabPools pools, DatasetName fs) {
        return pools.snapshotsWithGuids(fs)
                .lines()
                .filter(l -> l.startsWith(fs + "@"))
                .map(l -> l.substring(fs.value().length()))
                .collect(Collectors.joining("\n"));
    }
}
