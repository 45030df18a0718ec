package dev.zreplj.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.zreplj.stdinserver.Revocation;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code box revoke} as the admin runs it: what it prints, its exit status, and what it leaves on disk. */
class BoxRevokeCommandTest {
    private static final String KEY =
            "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIPWcwdzW8tpZKITNvFb7aCizOzZclR4n6AtqsD7oYowH";

    @TempDir
    Path dir;

    Path config;
    Path state;
    Path keys;

    @BeforeEach
    void writeConfig() throws Exception {
        state = dir.resolve("state");
        config = dir.resolve("zreplj.yml");
        Files.writeString(
                config,
                TestConfigs.PUSH_AND_SINK.replace("jobs:", "global:\n  zreplj:\n    state_dir: " + state + "\njobs:"));
        keys = dir.resolve("authorized_keys");
    }

    private CliRun revoke(String... args) {
        String[] all = new String[args.length + 4];
        all[0] = "--config";
        all[1] = config.toString();
        all[2] = "box";
        all[3] = "revoke";
        System.arraycopy(args, 0, all, 4, args.length);
        return CliRun.of(all);
    }

    @Test
    void theClientsLinesGoTheRecordIsWrittenAndTheRestStays() throws Exception {
        String other = "command=\"zreplj stdinserver laptop2\",restrict " + KEY + " laptop2\n";
        Files.writeString(keys, "command=\"zreplj stdinserver laptop\",restrict " + KEY + " root@laptop\n" + other);
        CliRun run = revoke("laptop", "--authorized-keys", keys.toString());
        Revocation r = Revocation.read(state, "laptop").orElseThrow();
        assertEquals(
                new CliRun(
                        0,
                        "removed from " + keys + ": " + KEY + " root@laptop\n"
                                + "revoked laptop: SSH connections of laptop opened before " + r.at() + " are refused"
                                + " at their next channel or request; its backups on the box are left as they are;"
                                + " give the owner's new key with 'zreplj authorized-keys laptop --key NEW.pub >> "
                                + keys + "'\n",
                        ""),
                run);
        assertEquals(other, Files.readString(keys));
    }

    @Test
    void noLineOfTheClientIsAFailureThatStillCutsOffItsConnections() throws Exception {
        Files.writeString(keys, KEY + " admin\n");
        CliRun run = revoke("laptop", "--authorized-keys", keys.toString());
        assertEquals(1, run.exitCode(), run::toString);
        assertEquals(
                "zreplj: box revoke: no line of " + keys + " runs 'stdinserver laptop', so new connections are not"
                        + " refused by it; is the client's key in another file (--user, --authorized-keys)?\n",
                run.err());
        assertTrue(Revocation.read(state, "laptop").isPresent());
        assertEquals(KEY + " admin\n", Files.readString(keys));
    }

    @Test
    void aMissingFileOrABadIdChangesNothing() throws Exception {
        CliRun missing = revoke("laptop", "--authorized-keys", keys.toString());
        assertEquals(
                new CliRun(
                        1,
                        "",
                        "zreplj: box revoke: " + keys + " does not exist; give the box user (--user) or the file sshd"
                                + " reads (--authorized-keys); nothing changed\n"),
                missing);
        assertEquals(
                new CliRun(
                        1,
                        "",
                        "zreplj: box revoke: user revoke-nosuchuser does not exist; give the user whose authorized_keys"
                                + " holds the client's key (--user root on a zfs-fuse box) or the file"
                                + " (--authorized-keys); nothing changed\n"),
                revoke("--user", "revoke-nosuchuser", "laptop"));
        CliRun bad = revoke("../laptop", "--authorized-keys", keys.toString());
        assertEquals(2, bad.exitCode(), bad::toString);
        assertTrue(bad.err().startsWith("zreplj: box revoke: client identity '../laptop' contains '/'"), bad::toString);
        assertTrue(Files.notExists(state.resolve("revoked")));
    }

    /** A local push job's client has no key: refused before anything changes, not "no line of the client". */
    @Test
    void aLocalSinksClientIsRefusedAndNothingWritten() throws Exception {
        Files.writeString(
                config,
                String.join(
                        "\n",
                        "global: {zreplj: {state_dir: " + state + "}}",
                        "jobs:",
                        "  - {name: usb_sink, type: sink, root_fs: usb/zreplj, serve: {type: local,"
                                + " listener_name: usb}}",
                        "  - name: system_to_usb",
                        "    type: push",
                        "    connect: {type: local, listener_name: usb, client_identity: this_machine}",
                        "    filesystems: {\"rpool<\": true}",
                        "    snapshotting: {type: manual}",
                        "    pruning: {keep_sender: [{type: not_replicated}], keep_receiver: [{type: last_n,"
                                + " count: 1}]}",
                        ""));
        Files.writeString(keys, KEY + " admin\n");
        assertEquals(
                new CliRun(
                        2,
                        "",
                        "zreplj: box revoke: client 'this_machine' is the client_identity of a local push job to"
                                + " sink job 'usb_sink' (local listener 'usb'), which the agent reaches without SSH:"
                                + " it has no key to revoke; to stop its backups, remove or change that push job;"
                                + " nothing changed\n"),
                revoke("this_machine", "--authorized-keys", keys.toString()));
        assertTrue(Files.notExists(state.resolve("revoked")));
        assertEquals(KEY + " admin\n", Files.readString(keys));
    }
}
