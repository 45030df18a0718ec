package dev.zreplj.cli;

import static dev.zreplj.cli.EndToEnd.assertContains;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.zreplj.ssh.testing.TestSshd;
import dev.zreplj.zfs.DatasetName;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * docs/box.md, "Moving the backups to a new box", step by step: the old box's sink root copied with {@code zfs send
 * -R} into a pool of another name, its state directory copied and its receive times renamed, {@code box setup}, the
 * clients' keys, and the laptop pointed at a second sshd with a host key of its own. The next pass is incremental
 * (the guids on the new box are the source's), a filesystem the admin did not copy is sent in full, and the copied
 * history is protected as it was on the old box: its last received snapshots held, its receive times the old box's.
 * zfs-fuse pools and real sshds, as {@link EndToEndIT}.
 */
@Tag("system")
class NewBoxIT {
    private static final String FLOOR = String.join(
            "\n",
            "    policy:",
            "      keep_floor:",
            "        - type: grid",
            "          grid: 1x1h(keep=all) | 24x1h | 7x1d",
            "          regex: \"^zrepl_\"",
            "");
    private static final String HOLD = "zrepl_last_received_J_laptop_to_box";

    @TempDir
    Path tmp;

    @Test
    void theNextPassToTheNewBoxIsIncrementalAndTheCopiedHistoryStaysProtected() throws Exception {
        Path oldDir = Files.createDirectories(tmp.resolve("old"));
        try (EndToEnd e = new EndToEnd(oldDir, "\"SRC<\": true", EndToEnd.DEFAULT_JOB_TAIL, FLOOR)) {
            DatasetName a = e.createFilesystem(e.src().child("a"));
            DatasetName b = e.createFilesystem(e.src().child("b"));
            for (int i = 0; i < 3; i++) {
                e.writeRandomFile(a, "f" + i, 64 << 10);
                EndToEnd.Run run = e.agent("agent", "once", "--snapshot");
                assertEquals(0, run.exit(), run::toString);
            }
            String last = e.snapshotNames(a).get(e.snapshotNames(a).size() - 1);

            // The new box: another pool, root_fs under another name, its own state directory and sshd.
            DatasetName newPool = e.pools.createPool("new");
            DatasetName newRoot = newPool.child("backup");
            Path newState = tmp.resolve("new-state");
            String zfs = e.pools.zfsBinary().toString();
            shell(zfs + " snapshot -r " + e.sinkRoot() + "@move");
            shell(zfs + " send -R " + e.sinkRoot() + "@move | " + zfs + " recv " + newRoot);
            shell(zfs + " destroy -r " + e.sinkRoot() + "@move");
            shell(zfs + " destroy -r " + newRoot + "@move");
            DatasetName newJail = newRoot.child(EndToEnd.CLIENT);
            DatasetName newA = newJail.child(e.src().value()).child("a");
            // A filesystem the admin did not copy: it is sent in full.
            shell(zfs + " destroy -r "
                    + newJail.child(e.src().value())
                            .child(b.value().substring(e.src().value().length() + 1)));
            // The state directory, with the receive times renamed from the old root_fs to the new one.
            shell("mkdir -p " + newState + " && cp -a " + oldDir.resolve("box-state") + "/. " + newState + "/");
            String oldPrefix = e.sinkRoot().value().replace("/", "%2F") + "%2F";
            String newPrefix = newRoot.value().replace("/", "%2F") + "%2F";
            shell("cd " + newState + "/received && for f in " + oldPrefix + "*; do mv -n -- \"$f\" \"" + newPrefix
                    + "${f#" + oldPrefix + "}\"; done");
            String oldTimes = Files.readString(newState.resolve("received").resolve(newPrefix + encoded(e, "a")));

            Path newConfig = tmp.resolve("new-sink.yml");
            Files.writeString(newConfig, EndToEnd.sinkYaml(newState.toString(), newRoot, FLOOR));
            EndToEnd.Run dry = e.zreplj(
                    List.of(
                            "--config",
                            newConfig.toString(),
                            "box",
                            "setup",
                            "--user",
                            "root",
                            "--dry-run",
                            newRoot.value()),
                    null);
            assertEquals(0, dry.exit(), dry::toString);
            assertContains(
                    dry.stdout(),
                    "would take over the copied history's mark: set zreplj:last_received_j_laptop__to__box=" + last
                            + " on " + newA + " and hold " + HOLD + " on " + newA + "@" + last + "\n",
                    dry);
            assertEquals(
                    "0", e.get(newA + "@" + last, "userrefs"), "zfs send -R carries no hold; --dry-run takes none");
            EndToEnd.Run setup = e.zreplj(
                    List.of("--config", newConfig.toString(), "box", "setup", "--user", "root", newRoot.value()), null);
            assertEquals(0, setup.exit(), setup::toString);
            assertFalse(setup.stdout().contains("has no receive times"), "received/ was copied and renamed: " + setup);
            // Protected before any client connects, as on the old box: zfs destroys no held snapshot, and the box's
            // DESTROY reads the hold's property (set locally: a received value is one a client could have set).
            assertEquals("1", e.get(newA + "@" + last, "userrefs"), "the copied last-received snapshot is held");
            assertEquals(
                    last + "\tlocal",
                    e.zfs("get", "-H", "-o", "value,source", "zreplj:last_received_j_laptop__to__box", newA.value())
                            .strip());
            assertContains(
                    setup.stdout(),
                    "took over the copied history's mark: set zreplj:last_received_j_laptop__to__box=" + last + " on "
                            + newA + " and hold " + HOLD + " on " + newA + "@" + last + "\n",
                    setup);

            Path sshdDir = Files.createDirectories(tmp.resolve("new-sshd"));
            try (TestSshd newSshd = TestSshd.start(
                    sshdDir, e.launcher + " --config " + newConfig + " stdinserver " + EndToEnd.CLIENT)) {
                // The same client key as on the old box, its line made by the new box's zreplj.
                EndToEnd.Run line = e.zreplj(
                        List.of(
                                "--config",
                                newConfig.toString(),
                                "authorized-keys",
                                EndToEnd.CLIENT,
                                "--key",
                                e.sshd.clientKey() + ".pub"),
                        null);
                assertEquals(0, line.exit(), line::toString);
                Files.writeString(sshdDir.resolve("authorized_keys"), line.stdout());
                e.replaceInAgentConfig("port: " + e.sshd.port(), "port: " + newSshd.port());

                EndToEnd.Run unknown = e.agent("agent", "once");
                assertEquals(1, unknown.exit(), unknown::toString);
                assertContains(
                        unknown.stdout(),
                        "ssh: host key of 127.0.0.1:" + newSshd.port() + " is not known (ssh-ed25519 SHA256:",
                        unknown);
                Files.writeString(
                        e.sshd.knownHosts(),
                        Files.readString(newSshd.knownHosts()),
                        java.nio.file.StandardOpenOption.APPEND);

                EndToEnd.Run pass = e.agent("agent", "once", "--snapshot");
                assertEquals(0, pass.exit(), pass::toString);
                String next = e.snapshotNames(a).get(e.snapshotNames(a).size() - 1);
                assertContains(pass.stderr(), e.src().child("a") + ": sending @" + last + " -> @" + next + "\n", pass);
                assertContains(pass.stderr(), b + ": sending full @" + next + "\n", pass);
                assertFalse(pass.stderr().contains(e.src().child("a") + ": sending full"), pass::toString);
                // The summary (what cron mails) says it too, without the log lines.
                assertContains(pass.stdout(), ", incremental from @" + last + " to @" + next + "\n", pass);
                assertContains(pass.stdout(), ", full send of @" + next + "\n", pass);
                assertEquals(
                        relative(e, e.src().child("a")),
                        relative(e, newA),
                        "the new box has the source's snapshots with their guids");
                String newLog = Files.readString(newState.resolve("log/stdinserver.log"));
                assertTrue(newLog.contains("received " + newA + "@" + next), newLog);

                // The copied snapshots keep the old box's receive times, not their creation.
                String times = Files.readString(newState.resolve("received").resolve(newPrefix + encoded(e, "a")));
                for (String t : oldTimes.lines().toList()) {
                    assertTrue(times.contains(t + "\n"), () -> "old time " + t + " kept in\n" + times);
                }
                assertEquals("0", e.get(newA + "@" + last, "userrefs"), "the hold moved on");
                assertEquals("1", e.get(newA + "@" + next, "userrefs"), "the hold moved on");

                EndToEnd.Run status = e.zreplj(List.of("--config", newConfig.toString(), "status"), null);
                // The copied clients/laptop.json goes on; "other" (sinkYaml serves it too) never sent anything.
                assertContains(status.stdout(), "sink job backups, client laptop: OK, 3 filesystems\n", status);
            }
        }
    }

    /** The file name part of the jail's copy of {@code SRC/<fs>} below root_fs, as ReceiveTimes names it. */
    private static String encoded(EndToEnd e, String fs) {
        return EndToEnd.CLIENT + "%2F" + e.src().value().replace("/", "%2F") + "%2F" + fs;
    }

    /** "snapshot\tguid" lines of fs, the snapshot named relative to fs, to compare two pools' copies. */
    private static String relative(EndToEnd e, DatasetName fs) {
        return e.snapshotsWithGuids(fs)
                .lines()
                .filter(l -> l.startsWith(fs + "@"))
                .map(l -> l.substring(fs.value().length()))
                .collect(Collectors.joining("\n"));
    }

    private static void shell(String command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder("bash", "-c", "set -e; " + command)
                .redirectErrorStream(true)
                .start();
        String out = new String(p.getInputStream().readAllBytes());
        assertEquals(0, p.waitFor(), () -> command + ": " + out);
    }
}
