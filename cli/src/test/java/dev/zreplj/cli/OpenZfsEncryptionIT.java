package dev.zreplj.cli;

import static dev.zreplj.cli.EndToEnd.assertContains;
import static dev.zreplj.cli.openzfs.OpenZfsLab.quote;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.zreplj.cli.openzfs.LabPools;
import dev.zreplj.cli.openzfs.OpenZfsLab;
import dev.zreplj.zfs.DatasetName;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Encrypted filesystems on OpenZFS 2.3, in the lab guest: raw sends the box cannot read, the refusal of
 * accidental plaintext, and placeholders by {@code recv.placeholder.encryption}.
 */
@Tag("openzfs")
class OpenZfsEncryptionIT {
    private static final String PASSPHRASE = "correct horse battery staple";
    private static final String PRUNING = EndToEnd.DEFAULT_JOB_TAIL;

    private static String send(String options) {
        return "    send: {" + options + "}\n" + PRUNING;
    }

    @Test
    void encryptedFilesystemReplicatesRawAndOnlyTheOriginalKeyOpensTheCopy() throws Exception {
        try (LabEndToEnd e = new LabEndToEnd(OpenZfsLab.connect(), "\"SRC/secret<\": true", send("encrypted: true"))) {
            LabPools pools = e.pools;
            DatasetName secret = e.src.child("secret");
            String keyFile = pools.createEncrypted(secret, PASSPHRASE);
            DatasetName child = pools.createFilesystem(secret.child("child"));
            pools.writeRandomFile(secret, "a.bin", 2 << 20);
            pools.writeRandomFile(child, "b.bin", 1 << 20);

            EndToEnd.Run first = e.agent("agent", "once", "--snapshot");
            assertEquals(0, first.exit(), first::toString);
            assertContains(first.stdout(), secret.value() + ": replicated 1 step,", first);
            assertContains(first.stdout(), child.value() + ": replicated 1 step,", first);
            pools.writeRandomFile(secret, "c.bin", 512 << 10);
            EndToEnd.Run second = e.agent("agent", "once", "--snapshot");
            assertEquals(0, second.exit(), second::toString);
            assertContains(second.stdout(), secret.value() + ": replicated 1 step,", second);

            String source = pools.snapshotsWithGuids(secret);
            assertEquals(4, source.lines().count(), source);
            assertEquals(
                    PushSuite.expectedOnBox(e, source),
                    pools.snapshotsWithGuids(e.jail.child(e.src.value())),
                    "the sender's snapshots with their guids");
            for (DatasetName fs : List.of(secret, child)) {
                String copy = e.jail.child(fs.value()).value();
                assertEquals("aes-256-gcm", pools.get(copy, "encryption"), copy);
                assertEquals("unavailable", pools.get(copy, "keystatus"), "the box never had the key: " + copy);
                assertEquals(
                        copy,
                        pools.get(copy, "encryptionroot"),
                        "a raw stream of one filesystem arrives as its own encryption root: " + copy);
                assertEquals("no", pools.get(copy, "mounted"), copy);
            }

            // box list on OpenZFS: the copy's encryption and its sizes as the box's zfs reports them (-t snapshot).
            long listStarted = System.nanoTime();
            EndToEnd.Run listed = e.agent("box", "list", "--job", "laptop_to_box", "--json");
            System.out.printf("box list: %.1f s%n", (System.nanoTime() - listStarted) / 1e9);
            assertEquals(0, listed.exit(), listed::toString);
            String secretCopy = e.jail.child(secret.value()).value();
            JsonNode listedSecret = null;
            for (JsonNode f : StatusCommand.JSON
                    .readTree(listed.stdout())
                    .get("jobs")
                    .get(0)
                    .get("filesystems")) {
                if (f.get("path").asText().equals(secret.value())) listedSecret = f;
            }
            assertTrue(listedSecret != null, listed::toString);
            assertEquals("aes-256-gcm", listedSecret.get("encryption").asText(), listed::toString);
            assertEquals(
                    Long.parseLong(pools.zfs("get", "-Hp", "-o", "value", "used", secretCopy)
                            .strip()),
                    listedSecret.get("used").asLong(),
                    listed::toString);
            JsonNode firstVersion = listedSecret.get("versions").get(0);
            assertEquals(
                    Long.parseLong(pools.zfs(
                                    "get",
                                    "-Hp",
                                    "-o",
                                    "value",
                                    "used",
                                    secretCopy + "@" + firstVersion.get("name").asText())
                            .strip()),
                    firstVersion.get("used").asLong());

            DatasetName scratch = pools.createPool("scratch");
            String newest = pools.snapshotNames(secret).get(1);
            for (DatasetName fs : List.of(secret, child)) {
                DatasetName restored = scratch.child(fs.equals(secret) ? "x" : "y");
                e.lab.check("zfs send -w " + quote(e.jail.child(fs.value()).value() + "@" + newest) + " | zfs recv -u "
                        + quote(restored.value()));
                assertEquals("unavailable", pools.get(restored.value(), "keystatus"));
                pools.zfs("load-key", "-L", "file://" + keyFile, restored.value());
                pools.zfs("mount", restored.value());
                assertEquals(checksums(e, fs), checksums(e, restored), "the files, restored with the original key");
            }
            assertEquals(2, checksums(e, secret).lines().count(), "a.bin and c.bin");

            // Issue 15: the same through 'zreplj restore' and the forced command, then a cut restore resumed.
            DatasetName restored = scratch.child("r");
            EndToEnd.Run restore =
                    e.agent("restore", "--job", "laptop_to_box", secret.value(), "--to", restored.value());
            assertEquals(0, restore.exit(), restore::toString);
            assertContains(restore.stdout(), "(full): ", restore);
            assertContains(restore.stdout(), ", raw (still encrypted", restore);
            assertEquals("aes-256-gcm", pools.get(restored.value(), "encryption"));
            assertEquals("unavailable", pools.get(restored.value(), "keystatus"), "arrived raw, still encrypted");
            assertEquals("no", pools.get(restored.value(), "mounted"), "never mounted by the restore");
            assertEquals(pools.guid(secret + "@" + newest), pools.guid(restored + "@" + newest));
            pools.zfs("load-key", "-L", "file://" + keyFile, restored.value());
            pools.zfs("mount", restored.value());
            assertEquals(checksums(e, secret), checksums(e, restored), "the files, restored with the original key");

            pools.writeRandomFile(secret, "big.bin", 16 << 20);
            EndToEnd.Run third = e.agent("agent", "once", "--snapshot");
            assertEquals(0, third.exit(), third::toString);
            String last = pools.snapshotNames(secret).get(2);
            long full = Long.parseLong(
                    e.lab.check("zfs send -w " + quote(e.jail.child(secret.value()) + "@" + last) + " | wc -c")
                            .strip());
            DatasetName cut = scratch.child("cut");
            // Cut once the local zfs recv has read half the stream, so the rerun must prove it skips that half.
            long cutStarted = System.nanoTime();
            long readWhenCut = e.killAgentWhenReceived(
                    cut.value(), full / 2, "restore", "--job", "laptop_to_box", secret.value(), "--to", cut.value());
            System.out.printf("restore cut halfway: %.1f s%n", (System.nanoTime() - cutStarted) / 1e9);
            String token = pools.get(cut.value(), "receive_resume_token");
            assertFalse(token.isEmpty() || token.equals("-"), "the cut restore left a resumable partial receive");
            EndToEnd.Run resumed = e.agent("restore", "--job", "laptop_to_box", secret.value(), "--to", cut.value());
            assertEquals(0, resumed.exit(), resumed::toString);
            assertContains(resumed.stdout(), "(resumed): ", resumed);
            long rest = Long.parseLong(resumed.stdout().replaceAll("(?s).*\\(resumed\\): (\\d+) bytes.*", "$1"));
            System.out.println("restore cut after the local receive read " + readWhenCut + " bytes, resumed: " + rest
                    + " of " + full + " bytes sent after the cut");
            assertTrue(
                    rest > 0 && rest <= full * 6 / 10,
                    "a restore cut halfway sends only about the other half: " + rest + " of " + full);
            assertEquals(pools.guid(secret + "@" + last), pools.guid(cut + "@" + last));
            pools.zfs("load-key", "-L", "file://" + keyFile, cut.value());
            pools.zfs("mount", cut.value());
            assertEquals(checksums(e, secret), checksums(e, cut), "the files after the resumed restore");
        }
    }

    @Test
    void encryptedFilesystemIsRefusedUnlessTheConfigSaysHowAndPlainOnesAreRefusedForRawOnly() {
        String both = "\"SRC/plain\": true\n\"SRC/secret\": true";
        try (LabEndToEnd e = new LabEndToEnd(OpenZfsLab.connect(), both, PRUNING)) {
            LabPools pools = e.pools;
            DatasetName plain = pools.createFilesystem(e.src.child("plain"));
            DatasetName secret = e.src.child("secret");
            pools.createEncrypted(secret, PASSPHRASE);
            pools.writeRandomFile(secret, "s.bin", 256 << 10);
            String secretOnBox = e.jail.child(secret.value()).value();
            String plainOnBox = e.jail.child(plain.value()).value();

            EndToEnd.Run refused = e.agent("agent", "once", "--snapshot");
            assertEquals(1, refused.exit(), refused::toString);
            assertContains(
                    refused.stdout(),
                    secret.value() + ": failed after 0 steps: not sent: it is encrypted"
                            + " (encryption=aes-256-gcm) and send.encrypted is not set; set send.encrypted: true to send it"
                            + " raw",
                    refused);
            assertContains(refused.stdout(), "or send.decrypt: true to send it decrypted", refused);
            assertContains(refused.stdout(), plain.value() + ": replicated 1 step,", refused);
            assertEquals(
                    List.of(e.jail.value(), e.jail.child(e.src.value()).value(), plainOnBox),
                    pools.datasets(e.jail),
                    "nothing of the encrypted filesystem reached the box");

            e.writeAgentConfig(both, send("encrypted: true"));
            EndToEnd.Run rawOnly = e.agent("agent", "once", "--snapshot");
            assertEquals(1, rawOnly.exit(), rawOnly::toString);
            assertContains(
                    rawOnly.stdout(),
                    plain.value() + ": failed after 0 steps: not sent: send.encrypted is"
                            + " true but this filesystem is not encrypted; remove it from the filesystems filter",
                    rawOnly);
            assertContains(rawOnly.stdout(), secret.value() + ": replicated 1 step,", rawOnly);
            assertEquals(1, pools.snapshotNames(DatasetName.of(plainOnBox)).size(), "the plain one got nothing new");
            assertEquals(2, pools.snapshotNames(plain).size());
            assertEquals("unavailable", pools.get(secretOnBox, "keystatus"));

            DatasetName vault = e.src.child("vault");
            pools.createEncrypted(vault, PASSPHRASE);
            pools.writeRandomFile(vault, "v.bin", 256 << 10);
            e.writeAgentConfig("\"SRC/plain\": true\n\"SRC/vault\": true", send("decrypt: true"));
            EndToEnd.Run decrypted = e.agent("agent", "once", "--snapshot");
            assertEquals(0, decrypted.exit(), decrypted::toString);
            assertContains(decrypted.stdout(), vault.value() + ": replicated 1 step,", decrypted);
            assertContains(decrypted.stdout(), plain.value() + ": replicated 2 steps,", decrypted);
            String vaultOnBox = e.jail.child(vault.value()).value();
            assertEquals("off", pools.get(vaultOnBox, "encryption"), "sent decrypted: plaintext on the box");
            assertEquals("-", pools.get(vaultOnBox, "keystatus"));
            assertEquals(
                    pools.guid(vault.value() + "@" + pools.snapshotNames(vault).get(0)),
                    pools.guid(vaultOnBox + "@" + pools.snapshotNames(vault).get(0)));
        }
    }

    @Test
    void placeholdersBelowAnEncryptedSinkFollowRecvPlaceholderEncryption() {
        String deep = "\"SRC/a/b\": true";
        try (LabEndToEnd e = new LabEndToEnd(OpenZfsLab.connect(), deep, PRUNING)) {
            LabPools pools = e.pools;
            // zrepl's documented case: encrypt-on-receive below an encrypted root_fs whose key the box has.
            DatasetName root = e.dst.child("esink");
            pools.createEncrypted(root, "the box's own passphrase");
            e.writeSinkConfig(root, "");
            DatasetName jail = root.child(EndToEnd.CLIENT);
            DatasetName b = pools.createFilesystem(
                    pools.createFilesystem(e.src.child("a")).child("b"));
            pools.writeRandomFile(b, "b.bin", 128 << 10);

            EndToEnd.Run unspecified = e.agent("agent", "once", "--snapshot");
            assertEquals(1, unspecified.exit(), unspecified::toString);
            assertContains(
                    unspecified.stdout(),
                    "cannot create the placeholder " + jail.child(e.src.value())
                            + ": its parent " + jail + " is encrypted (encryption=aes-256-gcm) and the sink job's"
                            + " recv.placeholder.encryption is unspecified; set it to 'inherit'",
                    unspecified);
            assertEquals(List.of(root.value(), jail.value()), pools.datasets(root), "no placeholder, nothing received");
            assertEquals(root.value(), pools.get(jail.value(), "encryptionroot"), "the jail itself inherits");

            e.writeSinkConfig(root, "    recv:\n      placeholder:\n        encryption: inherit\n");
            EndToEnd.Run inherit = e.agent("agent", "once");
            assertEquals(0, inherit.exit(), inherit::toString);
            for (DatasetName fs : List.of(e.src, e.src.child("a"), b)) {
                String onBox = jail.child(fs.value()).value();
                assertEquals("aes-256-gcm", pools.get(onBox, "encryption"), onBox);
                assertEquals(
                        root.value(), pools.get(onBox, "encryptionroot"), "encrypted with the box's key: " + onBox);
                assertEquals("no", pools.get(onBox, "mounted"), onBox);
                assertEquals(fs.equals(b) ? "off" : "on", pools.get(onBox, "zrepl:placeholder"), onBox);
            }
            String source = pools.snapshotsWithGuids(e.src);
            assertEquals(1, source.lines().count(), source);
            assertEquals(
                    jail + "/" + source,
                    pools.snapshotsWithGuids(jail.child(e.src.value())),
                    "the sender's snapshot with its guid");

            // Restored, b comes back as it was sent: plain, not under the box's key, which the client lacks.
            DatasetName restored = pools.createPool("scratch").child("b");
            EndToEnd.Run restore = e.agent("restore", "--job", "laptop_to_box", b.value(), "--to", restored.value());
            assertEquals(0, restore.exit(), restore::toString);
            assertFalse(restore.stdout().contains("raw"), restore::toString);
            assertEquals("off", pools.get(restored.value(), "encryption"), "arrived plain, as it was sent");
            String snapshot = pools.snapshotNames(b).get(0);
            assertEquals(pools.guid(b + "@" + snapshot), pools.guid(restored + "@" + snapshot));
            pools.zfs("mount", restored.value());
            assertEquals(checksums(e, b), checksums(e, restored), "the files, restored without any key");

            DatasetName c = pools.createFilesystem(
                    pools.createFilesystem(e.src.child("x")).child("c"));
            e.writeSinkConfig(root, "    recv:\n      placeholder:\n        encryption: \"off\"\n");
            e.writeAgentConfig(deep + "\n\"SRC/x/c\": true", PRUNING);
            EndToEnd.Run off = e.agent("agent", "once", "--snapshot");
            assertEquals(0, off.exit(), off::toString);
            assertContains(off.stdout(), c.value() + ": replicated 1 step,", off);
            assertEquals("off", pools.get(jail.child(e.src.child("x").value()).value(), "encryption"));
            assertEquals("on", pools.get(jail.child(e.src.child("x").value()).value(), "zrepl:placeholder"));
            assertEquals(
                    "off", pools.get(jail.child(c.value()).value(), "encryption"), "received below an off placeholder");
            assertEquals("aes-256-gcm", pools.get(jail.child(e.src.value()).value(), "encryption"), "left as it was");
        }
    }

    /** "sha256  name" per file of a mounted filesystem, sorted by name. */
    private static String checksums(LabEndToEnd e, DatasetName fs) {
        String mountpoint = e.pools.get(fs.value(), "mountpoint");
        assertFalse(
                mountpoint.isEmpty() || mountpoint.equals("none") || mountpoint.equals("-"), fs + " has no mountpoint");
        assertEquals("yes", e.pools.get(fs.value(), "mounted"), fs + " is not mounted");
        return e.lab.check("cd " + quote(mountpoint) + " && find . -maxdepth 1 -type f -printf '%P\\n' | sort"
                + " | xargs -r sha256sum");
    }
}
