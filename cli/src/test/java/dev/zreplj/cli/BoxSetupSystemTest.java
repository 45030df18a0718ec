package dev.zreplj.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.zreplj.zfs.DatasetName;
import dev.zreplj.zfs.Zfs;
import dev.zreplj.zfs.testing.TestPools;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code box setup} on zfs-fuse, which cannot delegate (no zfs allow, a root-only socket): the box runs as
 * root there, and setup says so for any other user. The non-root box is proven in the OpenZFS lab.
 */
@Tag("system")
class BoxSetupSystemTest {
    @TempDir
    Path dir;

    /**
     * A config that exists but has no sink job (the agent's, on a machine that is not the box yet): the stdinserver
     * would refuse every client, so a ROOT_FS made for it is what docs/cli.md calls a typo's dataset nothing
     * receives into; refused before anything changes, as a ROOT_FS none of the sink jobs names.
     */
    @Test
    void aConfigWithoutASinkJobIsRefusedBeforeAnythingChanges() throws Exception {
        Path config = Files.writeString(
                dir.resolve("agent.yml"),
                TestConfigs.PUSH_AND_SINK.substring(0, TestConfigs.PUSH_AND_SINK.indexOf("  - name: box")));
        Path state = dir.resolve("state");
        CliRun run = CliRun.of(
                "--config",
                config.toString(),
                "box",
                "setup",
                "--user",
                "root",
                "--state-dir",
                state.toString(),
                "backup/zreplj");
        assertEquals(
                "zreplj: box setup: " + config + " has no sink job, so the box would refuse every client; add the"
                        + " sink job with root_fs backup/zreplj first (/etc/zreplj/sink.yml.example)\n",
                run.err(),
                run::toString);
        assertEquals(2, run.exitCode(), run::toString);
        assertEquals("", run.out(), run::toString);
        assertFalse(Files.exists(state), "nothing made");
        // The config's refusal first, whatever the user: a missing one (exit 1) hid it.
        CliRun noUser =
                CliRun.of("--config", config.toString(), "box", "setup", "--user", "nosuchuser", "backup/zreplj");
        assertEquals(2, noUser.exitCode(), noUser::toString);
        assertTrue(noUser.err().contains(" has no sink job, so the box would refuse every client"), noUser::toString);
    }

    @Test
    void createsRootFsOnceAndRefusesANonRootUserOnZfsFuse() throws Exception {
        try (TestPools pools = TestPools.open()) {
            DatasetName root = pools.createPool("setup").child("zreplj");
            String config = dir.resolve("zreplj.yml").toString();
            String state = dir.resolve("state").toString();

            CliRun dry = CliRun.of(
                    "--config",
                    config,
                    "box",
                    "setup",
                    "--user",
                    "root",
                    "--state-dir",
                    state,
                    "--dry-run",
                    root.value());
            assertEquals(0, dry.exitCode(), dry::toString);
            assertTrue(
                    dry.out()
                            .startsWith("would create root_fs " + root + " (canmount=off, mountpoint=none): "
                                    + Zfs.locate().binary() + " create -o canmount=off -o mountpoint=none " + root
                                    + "\n"),
                    dry::toString);
            // Each line reads as a sentence: "would state directory ..." did not.
            assertTrue(
                    dry.out()
                            .contains(
                                    "\nwould set up state directory " + state + " and its metrics/clients: owner root,"
                                            + " mode 0750: install -d -o root -g 0 -m 0750 " + state + " "),
                    dry::toString);
            assertEquals(
                    "",
                    pools.zfs("list", "-H", "-o", "name", "-r", root.pool()).replace(root.pool() + "\n", ""),
                    "--dry-run changed nothing");

            CliRun first =
                    CliRun.of("--config", config, "box", "setup", "--user", "root", "--state-dir", state, root.value());
            assertEquals(0, first.exitCode(), first::toString);
            assertTrue(
                    first.out().startsWith("create root_fs " + root + " (canmount=off, mountpoint=none)\n"),
                    first::toString);
            assertTrue(first.out().contains("\nMatch User root\n"), first::toString);
            assertTrue(
                    first.out()
                            .contains("\nset up state directory " + state
                                    + " and its metrics/clients: owner root, mode 0750\n"),
                    first::toString);
            assertEquals(
                    "rwxr-x---",
                    PosixFilePermissions.toString(Files.getPosixFilePermissions(Path.of(state, "metrics", "clients"))));
            assertTrue(
                    first.out()
                            .contains("zreplj --config " + config + " authorized-keys CLIENT_ID --key"
                                    + " CLIENT.pub >> /root/.ssh/authorized_keys\n"),
                    first::toString);
            assertEquals(
                    "off\tnone\tno",
                    pools.zfs("get", "-H", "-o", "value", "canmount,mountpoint,mounted", root.value())
                            .strip()
                            .replace('\n', '\t'));

            CliRun again =
                    CliRun.of("--config", config, "box", "setup", "--user", "root", "--state-dir", state, root.value());
            assertEquals(0, again.exitCode(), again::toString);
            assertTrue(
                    again.out().startsWith("nothing to change: root_fs " + root + " and user root are set up\n"),
                    again::toString);

            // A system user that exists everywhere Debian is: zfs-fuse cannot delegate to it.
            CliRun daemon = CliRun.of("--config", config, "box", "setup", "--user", "daemon", root.value());
            assertEquals(1, daemon.exitCode(), daemon::toString);
            assertEquals(
                    "zreplj: box setup: this zfs cannot delegate permissions (zfs allow; zfs-fuse cannot), so the box"
                            + " must run as root: zreplj box setup --user root " + root + "\n",
                    daemon.err());
        }
    }

    /**
     * The state directory and ~/.ssh are the box user's: a link it plants there (metrics -> /etc, .ssh -> /root)
     * must not make root's next box setup give the link's target to that user. Refused, nothing changed.
     */
    @Test
    void aLinkPlantedInTheBoxUsersDirectoriesIsNotFollowed() throws Exception {
        try (TestPools pools = TestPools.open()) {
            DatasetName root = pools.createPool("setuplink").child("zreplj");
            Path state = dir.resolve("linked-state");
            Path target = dir.resolve("not-the-box-users");
            Files.createDirectories(state);
            Files.createDirectories(target);
            Files.setPosixFilePermissions(target, PosixFilePermissions.fromString("rwxr-xr-x"));
            Files.createSymbolicLink(state.resolve("metrics"), target);
            CliRun run = CliRun.of(
                    "--config",
                    dir.resolve("none.yml").toString(),
                    "box",
                    "setup",
                    "--user",
                    "root",
                    "--state-dir",
                    state.toString(),
                    root.value());
            assertEquals(1, run.exitCode(), run::toString);
            assertEquals(
                    "zreplj: box setup: " + state.resolve("metrics") + " is a symbolic link; box"
                            + " setup does not follow links in the box user's directories (remove it and run"
                            + " box setup again)\n",
                    run.err());
            assertEquals(
                    "rwxr-xr-x", PosixFilePermissions.toString(Files.getPosixFilePermissions(target)), "untouched");
            assertTrue(Files.notExists(target.resolve("clients")), "nothing made through the link");
        }
    }

    /**
     * sshd reads a box user's authorized_keys as that user, and the documented {@code authorized-keys ... >>}
     * runs as root: under a hardened umask (027) the file it creates is root's 0640 and every client gets
     * "Permission denied (publickey)". Setup makes the file the user's 0600, keeping its lines, and never
     * through a link.
     */
    @Test
    void theBoxUsersAuthorizedKeysIsMadeItsOwnAndNeverThroughALink() throws Exception {
        Path home = dir.resolve("home");
        Files.createDirectories(home.resolve(".ssh"));
        BoxSetupPlan.User nobody = new BoxSetupPlan.User("nobody", 65534, 65534, home, "/bin/sh");
        Path keys = home.resolve(".ssh/authorized_keys");
        Files.writeString(keys, "command=\"zreplj stdinserver laptop\",restrict ssh-ed25519 AAAA laptop\n");
        Files.setPosixFilePermissions(keys, PosixFilePermissions.fromString("rw-r-----"));

        BoxUserFiles.authorizedKeys(nobody);
        assertEquals(65534, Files.getAttribute(keys, "unix:uid"));
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(keys)));
        assertEquals(
                "command=\"zreplj stdinserver laptop\",restrict ssh-ed25519 AAAA laptop\n", Files.readString(keys));

        Files.delete(keys);
        BoxUserFiles.authorizedKeys(nobody);
        assertEquals("", Files.readString(keys), "created empty when missing");

        Path target = dir.resolve("shadow");
        Files.writeString(target, "x");
        Files.delete(keys);
        Files.createSymbolicLink(keys, target);
        CliException refused = org.junit.jupiter.api.Assertions.assertThrows(
                CliException.class, () -> BoxUserFiles.authorizedKeys(nobody));
        assertTrue(refused.getMessage().startsWith("box setup: cannot make " + keys), refused::getMessage);
        assertEquals(0, Files.getAttribute(target, "unix:uid"), "the link's target stays root's");
    }

    /** What the stdinserver will use is what setup prepares: the config's state_dir and zfs_binary. */
    /**
     * docs/cli.md: box setup makes the state directory (with metrics/clients) the box user's with mode 0750, and
     * its ~/.ssh 0700. Directories that exist with a looser mode (the first receive made metrics/clients, an
     * admin's chmod) are set again, not taken as they are.
     */
    @Test
    void looserModesOfExistingDirectoriesAreSetAgain() throws Exception {
        try (TestPools pools = TestPools.open()) {
            DatasetName root = pools.createPool("setupmode").child("zreplj");
            Path state = dir.resolve("loose-state");
            Files.createDirectories(state.resolve("metrics/clients"));
            for (Path d : List.of(state, state.resolve("metrics"), state.resolve("metrics/clients"))) {
                Files.setPosixFilePermissions(d, PosixFilePermissions.fromString("rwxrwxr-x"));
            }
            CliRun run = CliRun.of(
                    "--config",
                    dir.resolve("none.yml").toString(),
                    "box",
                    "setup",
                    "--user",
                    "root",
                    "--state-dir",
                    state.toString(),
                    root.value());
            assertEquals(0, run.exitCode(), run::toString);
            assertTrue(
                    run.out()
                            .contains("set up state directory " + state
                                    + " and its metrics/clients: owner root, mode 0750\n"),
                    run::toString);
            for (Path d : List.of(state, state.resolve("metrics"), state.resolve("metrics/clients"))) {
                assertEquals(
                        "rwxr-x---", PosixFilePermissions.toString(Files.getPosixFilePermissions(d)), d.toString());
            }
        }
    }

    /**
     * A local sink's root_fs (a USB disk): the agent runs its stdinserver, so setup creates root_fs and nothing of a
     * box user's; before, it looked up the user zreplj (refused where there is none) and printed sshd lines.
     */
    @Test
    void aLocalSinksRootFsIsCreatedWithoutABoxUser() throws Exception {
        try (TestPools pools = TestPools.open()) {
            DatasetName root = pools.createPool("setuplocal").child("zreplj");
            Path state = dir.resolve("local-state");
            Path config = Files.writeString(
                    dir.resolve("local.yml"),
                    String.join(
                            "\n",
                            "global: {zreplj: {state_dir: " + state + "}}",
                            "jobs:",
                            "  - {name: usb_sink, type: sink, root_fs: " + root + ",",
                            "     serve: {type: local, listener_name: usb}}",
                            "  - name: system_to_usb",
                            "    type: push",
                            "    connect: {type: local, listener_name: usb, client_identity: this_machine}",
                            "    filesystems: {\"rpool<\": true}",
                            "    snapshotting: {type: manual}",
                            "    pruning: {keep_sender: [{type: not_replicated}], keep_receiver: [{type: last_n,"
                                    + " count: 1}]}",
                            ""));
            String note = "note: sink job 'usb_sink' serves local listener 'usb': the agent starts its stdinserver"
                    + " itself, as the agent's user, so it needs no box user, zfs allow, authorized_keys line or sshd"
                    + " block\n";
            CliRun setup = CliRun.of("--config", config.toString(), "box", "setup", root.value());
            assertEquals(
                    new CliRun(0, "create root_fs " + root + " (canmount=off, mountpoint=none)\n" + note, ""), setup);
            assertEquals(
                    "off\tnone",
                    pools.zfs("get", "-H", "-o", "value", "canmount,mountpoint", root.value())
                            .strip()
                            .replace("\n", "\t"));
            assertFalse(Files.exists(state), "the agent makes its own state directory");
            CliRun again = CliRun.of("--config", config.toString(), "box", "setup", root.value());
            assertEquals(new CliRun(0, "nothing to change: root_fs " + root + " is set up\n" + note, ""), again);

            // A USB disk's whole pool as root_fs, which configcheck takes (zrepl's configs do so): refused before,
            // as for a box user's grant, though a local sink delegates nothing.
            DatasetName pool = DatasetName.of(root.pool());
            Files.writeString(config, Files.readString(config).replace("root_fs: " + root, "root_fs: " + pool));
            CliRun whole = CliRun.of("--config", config.toString(), "box", "setup", pool.value());
            assertEquals(new CliRun(0, "nothing to change: root_fs " + pool + " is set up\n" + note, ""), whole);
        }
    }

    @Test
    void takesStateDirAndZfsBinaryFromTheConfig() throws Exception {
        try (TestPools pools = TestPools.open()) {
            DatasetName root = pools.createPool("setupcfg").child("zreplj");
            Path state = dir.resolve("configured-state");
            Path calls = dir.resolve("zfs-calls");
            Path wrapper = dir.resolve("zfs-wrapper");
            Files.writeString(
                    wrapper,
                    "#!/bin/sh\necho \"$*\" >> " + calls + "\nexec "
                            + Zfs.locate().binary() + " \"$@\"\n");
            Files.setPosixFilePermissions(wrapper, PosixFilePermissions.fromString("rwxr-xr-x"));
            Path config = dir.resolve("zreplj.yml");
            Files.writeString(
                    config,
                    String.join(
                            "\n",
                            "global:",
                            "  zreplj:",
                            "    state_dir: " + state,
                            "    zfs_binary: " + wrapper,
                            "jobs:",
                            "  - name: backups",
                            "    type: sink",
                            "    root_fs: " + root,
                            "    serve:",
                            "      type: stdinserver",
                            "      client_identities: [laptop]",
                            ""));

            // A ROOT_FS no sink job of the config receives into (a typo) is refused before anything changes.
            DatasetName typo = root.parent().orElseThrow().child("zrepl");
            CliRun wrong = CliRun.of("--config", config.toString(), "box", "setup", "--user", "root", typo.value());
            assertEquals(
                    "zreplj: box setup: " + typo + " is not the root_fs of a sink job in " + config + " (" + root
                            + "); give that, or change the config first\n",
                    wrong.err(),
                    wrong::toString);
            assertEquals(2, wrong.exitCode(), wrong::toString);
            assertFalse(pools.zfs("list", "-H", "-o", "name", "-r", root.pool()).contains(typo.value()));
            assertFalse(Files.exists(state), "nothing made for a refused ROOT_FS");

            // --dry-run names the zfs the real run runs (docs/cli.md: the config's zfs_binary).
            CliRun dry = CliRun.of(
                    "--config", config.toString(), "box", "setup", "--user", "root", "--dry-run", root.value());
            assertTrue(
                    dry.out()
                            .startsWith("would create root_fs " + root + " (canmount=off, mountpoint=none): " + wrapper
                                    + " create "),
                    dry::toString);

            CliRun setup = CliRun.of("--config", config.toString(), "box", "setup", "--user", "root", root.value());
            assertEquals(0, setup.exitCode(), setup::toString);
            assertTrue(
                    setup.out()
                            .contains("\nset up state directory " + state
                                    + " and its metrics/clients: owner root, mode 0750\n"),
                    setup::toString);
            assertTrue(Files.isDirectory(state.resolve("metrics/clients")), setup::toString);
            assertTrue(
                    Files.readAllLines(calls).stream().anyMatch(l -> l.startsWith("create ") && l.endsWith(" " + root)),
                    "the configured zfs_binary created root_fs: " + Files.readString(calls));

            // The flag still wins over the config.
            Path flagged = dir.resolve("flagged-state");
            CliRun flag = CliRun.of(
                    "--config",
                    config.toString(),
                    "box",
                    "setup",
                    "--user",
                    "root",
                    "--state-dir",
                    flagged.toString(),
                    root.value());
            assertEquals(0, flag.exitCode(), flag::toString);
            assertTrue(Files.isDirectory(flagged.resolve("metrics/clients")), flag::toString);

            // A config it cannot read is what the stdinserver would refuse too: said before anything changes.
            Files.writeString(config, "jobs: [\n");
            CliRun broken = CliRun.of("--config", config.toString(), "box", "setup", "--user", "root", root.value());
            assertEquals(2, broken.exitCode(), broken::toString);
            assertTrue(broken.err().startsWith("zreplj: " + config), broken::toString);
        }
    }

    /**
     * A history copied here with zfs send -R but without the old box's receive times (its state directory not
     * copied, or its received/ files not renamed to this root_fs): setup takes its marks over, once, leaves those of a
     * filesystem the box has received into alone, and says the floor would go by creation.
     */
    @Test
    void aCopiedHistoryIsTakenOverOnceAndOneWithoutReceiveTimesIsNamed() throws Exception {
        try (TestPools pools = TestPools.open()) {
            DatasetName pool = pools.createPool("copied");
            DatasetName old = pools.createFilesystem(pool.child("old"), "mountpoint=none");
            DatasetName fs = pools.createFilesystem(old.child("laptop"));
            pools.snapshot(fs, "s1");
            pools.zfs("set", "zreplj:last_received_j_push=s1", fs.value());
            pools.zfs("hold", "zrepl_last_received_J_push", fs + "@s1");
            DatasetName received = pools.createFilesystem(fs.child("received"));
            pools.snapshot(received, "r1");
            pools.zfs("set", "zreplj:last_received_j_push=r1", received.value());
            DatasetName root = pool.child("new");
            Process copy = new ProcessBuilder(
                            "bash",
                            "-c",
                            "set -e; Z=" + pools.zfsBinary() + "; $Z snapshot -r " + old + "@move; $Z send -R " + old
                                    + "@move | $Z recv " + root + "; $Z destroy -r " + root + "@move")
                    .redirectErrorStream(true)
                    .start();
            String copied = new String(copy.getInputStream().readAllBytes());
            assertEquals(0, copy.waitFor(), copied);
            Path state = dir.resolve("new-state");
            DatasetName copiedFs = root.child("laptop");
            // The box received into this one since (its own flag is set locally): a received value there is a
            // client's, from a property stream, and not the box's to take over.
            DatasetName receivedSince = copiedFs.child("received");
            pools.zfs("set", "zrepl:placeholder=off", receivedSince.value());

            CliRun setup = CliRun.of(
                    "--config",
                    dir.resolve("none.yml").toString(),
                    "box",
                    "setup",
                    "--user",
                    "root",
                    "--state-dir",
                    state.toString(),
                    root.value());
            assertEquals(0, setup.exitCode(), setup::toString);
            assertTrue(
                    setup.out()
                            .contains("took over the copied history's mark: set zreplj:last_received_j_push=s1 on "
                                    + copiedFs + " and hold zrepl_last_received_J_push on " + copiedFs + "@s1\n"
                                    + "note: " + state.resolve("received") + " has no receive times for 1 copied"
                                    + " filesystem (" + copiedFs + "): the keep floor times them by their creation,"
                                    + " which the client chose; copy the old box's state directory here and rename"
                                    + " its received/ files to this root_fs (docs/box.md, \"Moving the backups to a"
                                    + " new box\")\n"),
                    setup::toString);
            assertEquals("1", pools.getParsable(copiedFs + "@s1", "userrefs"));
            assertFalse(setup.out().contains(receivedSince.value() + " "), setup::toString);
            assertEquals("0", pools.getParsable(receivedSince + "@r1", "userrefs"));

            CliRun again = CliRun.of(
                    "--config",
                    dir.resolve("none.yml").toString(),
                    "box",
                    "setup",
                    "--user",
                    "root",
                    "--state-dir",
                    state.toString(),
                    root.value());
            assertEquals(0, again.exitCode(), again::toString);
            assertTrue(
                    again.out().startsWith("nothing to change: root_fs " + root + " and user root are set up\n"),
                    again::toString);
            assertFalse(again.out().contains("has no receive times"), again::toString);
        }
    }
}
