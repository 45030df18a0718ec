package dev.zreplj.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.zreplj.config.ConfigLoader;
import dev.zreplj.zfs.Zfs;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LocalZfsTest {

    /** Every pass and every stdinserver process gets its zfs here: the probe is kept in the configured state dir. */
    @Test
    void theConfiguredZfsKeepsItsProbeInTheStateDirectory(@TempDir Path dir) throws Exception {
        Path calls = dir.resolve("calls");
        Path fake = dir.resolve("zfs");
        Files.writeString(
                fake,
                "#!/bin/sh\necho \"$*\" >> " + calls + "\n"
                        + "[ -z \"$1\" ] && { printf 'usage: zfs command args ...\\n\\tholds [-r] <snapshot> ...\\n' >&2;"
                        + " exit 2; }\nexit 1\n");
        Files.setPosixFilePermissions(fake, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path state = Files.createDirectory(dir.resolve("state"));
        Path config = dir.resolve("zreplj.yml");
        Files.writeString(
                config,
                "global:\n  zreplj:\n    state_dir: " + state + "\n    zfs_binary: " + fake + "\n"
                        + "jobs:\n  - {name: box, type: sink, root_fs: backup/clients,"
                        + " serve: {type: stdinserver, client_identities: [laptop]}}\n");

        Zfs first = LocalZfs.of(new ConfigLoader().load(config));
        assertEquals(fake, first.binary());
        first.capabilities();
        assertEquals(3, Files.readAllLines(calls).size());
        assertTrue(Files.isRegularFile(state.resolve("zfs-probe")));

        LocalZfs.of(new ConfigLoader().load(config)).capabilities();
        assertEquals(3, Files.readAllLines(calls).size(), "the next process asks zfs nothing to learn what it can do");
    }

    /**
     * Root's agent in a state directory the box user owns (the package's, on every machine) reads the probe's
     * answers only from a directory of its own, so it keeps them in its own jobs/, not beside the box's.
     */
    @Test
    void rootKeepsItsProbeInItsOwnJobsDirectoryWhenTheStateDirectoryIsAnotherUsers(@TempDir Path dir) throws Exception {
        Path state = Files.createDirectory(dir.resolve("state"));
        assertEquals(state.resolve("zfs-probe"), LocalZfs.probeCache(state));
        Files.setOwner(
                state, state.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName("nobody"));
        assertEquals(state.resolve("jobs/zfs-probe"), LocalZfs.probeCache(state));
    }

    /** A command outside a pass waits on a zfs call no longer than the slowest of the config's jobs would. */
    @Test
    void theBoundIsTheLongestOfTheJobsNamedByItsSetting(@TempDir Path dir) throws Exception {
        Path config = dir.resolve("zreplj.yml");
        String push = "  - {name: laptop, type: push, connect: {type: ssh+stdinserver, host: box, user: z,"
                + " identity_file: /k}, filesystems: {\"tank\": true}, snapshotting: {type: manual},"
                + " pruning: {keep_sender: [{type: last_n, count: 1}], keep_receiver: [{type: last_n, count: 1}]},"
                + " replication: {timeout: 2m}}\n";
        String sink = "  - {name: box, type: sink, root_fs: backup/clients,"
                + " serve: {type: stdinserver, client_identities: [laptop], zreplj: {stream_timeout: %s}}}\n";
        Files.writeString(
                config, "global:\n  zreplj:\n    state_dir: " + dir + "\njobs:\n" + push + sink.formatted("90s"));
        assertEquals(
                Optional.of(new LocalZfs.CallBound(
                        Duration.ofMinutes(2), "2m0s (replication.timeout of push job 'laptop')")),
                LocalZfs.callBound(new ConfigLoader().load(config)));
        Files.writeString(
                config, "global:\n  zreplj:\n    state_dir: " + dir + "\njobs:\n" + push + sink.formatted("3m"));
        assertEquals(
                Optional.of(new LocalZfs.CallBound(
                        Duration.ofMinutes(3), "3m (serve.zreplj.stream_timeout of sink job 'box')")),
                LocalZfs.callBound(new ConfigLoader().load(config)));
    }
}
