package dev.zreplj.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The commands outside a pass, on a zfs whose every call but the capability probe hangs (a suspended pool): each
 * ends at the config's bound with the line naming the call, instead of waiting for ever.
 */
class HangingZfsCommandsTest {
    @TempDir
    Path dir;

    private Path fake;

    @BeforeEach
    void hangingZfs() throws Exception {
        fake = dir.resolve("zfs");
        Files.writeString(
                fake,
                "#!/bin/sh\ncase \"$1\" in\n"
                        + "'') printf 'usage: zfs command args ...\\n\\tholds [-r] <snapshot> ...\\n' >&2; exit 2;;\n"
                        + "holds|version) exit 1;;\nesac\nexec sleep 600\n");
        Files.setPosixFilePermissions(fake, PosixFilePermissions.fromString("rwxr-xr-x"));
    }

    private Path agentConfig() throws Exception {
        Path config = dir.resolve("agent.yml");
        Files.writeString(
                config,
                "global:\n  zreplj:\n    state_dir: " + dir.resolve("state") + "\n    zfs_binary: " + fake
                        + "\njobs:\n  - name: laptop\n    type: push\n    connect: {type: ssh+stdinserver,"
                        + " host: 127.0.0.1, port: 1, user: zreplj, identity_file: " + dir.resolve("identity")
                        + "}\n    filesystems: {\"tank/home\": true}\n    snapshotting: {type: manual}\n"
                        + "    replication: {timeout: 1s}\n    pruning:\n      keep_sender:\n"
                        + "        - {type: last_n, count: 1}\n      keep_receiver:\n"
                        + "        - {type: last_n, count: 1}\n");
        return config;
    }

    private Path boxConfig() throws Exception {
        Path config = dir.resolve("box.yml");
        Files.writeString(
                config,
                "global:\n  zreplj:\n    state_dir: " + dir.resolve("state") + "\n    zfs_binary: " + fake
                        + "\njobs:\n  - name: box\n    type: sink\n    root_fs: backup/clients\n"
                        + "    serve: {type: stdinserver, client_identities: [laptop],"
                        + " zreplj: {stream_timeout: 1s}}\n");
        return config;
    }

    private static CliRun run(String... args) {
        return assertTimeoutPreemptively(Duration.ofSeconds(20), () -> CliRun.of(args));
    }

    private String stopped(String bound) {
        return " did not end within " + bound + "; zreplj stopped it. A zfs command that hangs usually waits on a"
                + " suspended pool or a failing disk: see 'zpool status -x' and dmesg";
    }

    @Test
    void prune() throws Exception {
        CliRun run = run("--config", agentConfig().toString(), "prune");
        assertEquals(1, run.exitCode(), run::toString);
        assertTrue(run.out().contains(stopped("1s (replication.timeout of push job 'laptop')")), run::toString);
    }

    @Test
    void releaseStaleOnTheAgent() throws Exception {
        CliRun run = run("--config", agentConfig().toString(), "release-stale");
        assertEquals(1, run.exitCode(), run::toString);
        assertTrue(run.err().contains(stopped("1s (replication.timeout of push job 'laptop')")), run::toString);
    }

    @Test
    void statusOnTheAgent() throws Exception {
        // It asks zfs which filesystems the job selects: that call ends at the bound, and the job's word stands.
        CliRun run = run("--config", agentConfig().toString(), "status");
        assertEquals(2, run.exitCode(), run::toString);
        assertTrue(run.out().contains("push job laptop: CRITICAL -- never run: no backup exists"), run::toString);
    }

    @Test
    void releaseStaleOnTheBox() throws Exception {
        CliRun run = run("--config", boxConfig().toString(), "release-stale");
        assertEquals(1, run.exitCode(), run::toString);
        assertTrue(run.err().contains(stopped("1s (serve.zreplj.stream_timeout of sink job 'box')")), run::toString);
    }

    @Test
    void boxSetup() throws Exception {
        CliRun run = run("--config", boxConfig().toString(), "box", "setup", "--user", "root", "backup/clients");
        assertEquals(1, run.exitCode(), run::toString);
        assertTrue(run.err().contains(stopped("1s (serve.zreplj.stream_timeout of sink job 'box')")), run::toString);
    }
}
