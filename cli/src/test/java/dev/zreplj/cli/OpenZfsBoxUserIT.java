package dev.zreplj.cli;

import static dev.zreplj.cli.openzfs.OpenZfsLab.quote;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.zreplj.cli.openzfs.LabPools;
import dev.zreplj.cli.openzfs.OpenZfsLab;
import dev.zreplj.zfs.DatasetName;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The backup box as a non-root user on OpenZFS 2.3 (zfs-fuse cannot delegate): {@code zreplj box setup}
 * makes root_fs and grants the user what the stdinserver needs, and sshd then runs every stdinserver as that
 * user through a full push, an incremental one, the box's pruning (destroy, hold moved) and a restore.
 */
@Tag("openzfs")
class OpenZfsBoxUserIT {
    private static final String TAIL = EndToEnd.KEEP_LAST_ONE_TAIL;

    @Test
    void aDelegatedUserReceivesPrunesAndHoldsAfterBoxSetup() {
        try (LabEndToEnd e = new LabEndToEnd(OpenZfsLab.connect(), "\"SRC/home\": true", TAIL)) {
            LabPools pools = e.pools;
            String user = e.dir.substring(e.dir.lastIndexOf('/') + 1) + "box";
            String home = e.dir + "/home-" + user;
            String state = e.dir + "/box-state-user";
            DatasetName root = e.dst.child("boxes");
            // The user reads its authorized_keys (sshd reads it as the user), the config and the launcher.
            e.lab.check(
                    "useradd -r -M -d " + quote(home) + " -s /bin/sh -p '*' " + user + " && chmod 755 " + quote(e.dir)
                            + " " + quote(e.dir + "/sshd") + " && chmod 644 " + quote(e.dir + "/sshd/authorized_keys"));
            try {
                // The sink's config first, as the README has it: box setup refuses a ROOT_FS no sink job names.
                e.lab.write(e.sinkConfig, EndToEnd.sinkYaml(state, root, ""));
                e.lab.check("chmod 644 " + quote(e.sinkConfig));
                EndToEnd.Run setup = e.zreplj(
                        List.of(
                                "--config",
                                e.sinkConfig,
                                "box",
                                "setup",
                                "--user",
                                user,
                                "--state-dir",
                                state,
                                root.value()),
                        null);
                assertEquals(0, setup.exit(), setup::toString);
                assertTrue(
                        setup.stdout()
                                .startsWith(String.join(
                                        "\n",
                                        "create root_fs " + root + " (canmount=off, mountpoint=none)",
                                        "allow " + user + " on " + root
                                                + ": create,receive,send,destroy,rollback,mount,hold,release,userprop,"
                                                + "mountpoint,canmount,sharenfs,sharesmb,volmode",
                                        "set up state directory " + state + " and its metrics/clients: owner " + user
                                                + ", mode 0750",
                                        "set up " + home + "/.ssh: owner " + user
                                                + ", mode 0700; its authorized_keys (created"
                                                + " empty when missing): owner " + user + ", mode 0600",
                                        "")),
                        setup::toString);
                assertTrue(setup.stdout().contains("\nMatch User " + user + "\n"), setup::toString);
                EndToEnd.Run again = e.zreplj(
                        List.of(
                                "--config",
                                e.sinkConfig,
                                "box",
                                "setup",
                                "--user",
                                user,
                                "--state-dir",
                                state,
                                root.value()),
                        null);
                assertEquals(0, again.exit(), again::toString);
                assertTrue(again.stdout().startsWith("allow " + user + " on " + root + ": "), again::toString);

                e.replaceInAgentConfig("      user: root\n", "      user: " + user + "\n");
                DatasetName fs = pools.createFilesystem(e.src.child("home"));
                DatasetName onBox = root.child(EndToEnd.CLIENT).child(fs.value());
                pools.writeRandomFile(fs, "one.bin", 256 << 10);
                EndToEnd.Run full = e.agent("agent", "once", "--snapshot");
                assertEquals(0, full.exit(), full::toString);
                pools.writeRandomFile(fs, "two.bin", 256 << 10);
                EndToEnd.Run incremental = e.agent("agent", "once", "--snapshot");
                assertEquals(0, incremental.exit(), incremental::toString);

                List<String> sent = pools.snapshotNames(fs);
                assertEquals(1, sent.size(), sent::toString);
                assertEquals(
                        pools.guid(fs + "@" + sent.get(0)),
                        pools.guid(onBox + "@" + sent.get(0)),
                        "the newest snapshot arrived with its guid");
                assertEquals(List.of(sent.get(0)), pools.snapshotNames(onBox), "the box pruned the older one");
                assertEquals("no", pools.get(onBox.value(), "mounted"));
                assertEquals(
                        user + "\n",
                        e.lab.check("stat -c %U " + quote(state + "/clients/" + EndToEnd.CLIENT + ".json")),
                        "the stdinserver ran as the box user");
                assertTrue(
                        pools.zfs("holds", "-H", onBox + "@" + sent.get(0)).contains("zrepl_last_received_J_"),
                        "the last-received hold moved to the newest snapshot");

                // The way back: the box user sends what it holds (zfs allow's 'send').
                DatasetName restored = e.src.child("restored");
                EndToEnd.Run restore =
                        e.agent("restore", "--job", "laptop_to_box", fs.value(), "--to", restored.value());
                assertEquals(0, restore.exit(), restore::toString);
                assertEquals(
                        pools.guid(fs + "@" + sent.get(0)),
                        pools.guid(restored + "@" + sent.get(0)),
                        "restored from the box, which sent it as the box user");
            } finally {
                // the last stdinserver may still be exiting after the agent returned
                e.lab.check("i=0; until userdel " + user + " 2>/dev/null; do i=$((i+1)); [ $i -lt 100 ] || exit 1;"
                        + " sleep 0.1; done");
            }
        }
    }
}
