package dev.zreplj.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.zreplj.zfs.CursorProperty;
import dev.zreplj.zfs.DatasetName;
import dev.zreplj.zfs.testing.TestPools;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code zreplj prune} with two push jobs, the first of which cannot list its filesystems (zfs fails): the
 * second is pruned all the same and the report names the first's failure (docs/pruning.md), on zfs-fuse.
 * No box answers, so only the senders are pruned.
 */
@Tag("system")
class PruneSystemTest {
    @TempDir
    Path dir;

    private TestPools pools;
    private DatasetName broken;
    private DatasetName fine;
    private Path config;

    @BeforeEach
    void setUp() throws Exception {
        pools = TestPools.open();
        DatasetName pool = pools.createPool("src");
        broken = pools.createFilesystem(pool.child("broken"));
        fine = pools.createFilesystem(pool.child("fine"));
        for (String s : List.of("zrepl_1", "zrepl_2", "zrepl_3")) {
            pools.snapshot(fine, s);
        }
        // job second replicated @zrepl_3 last: its cursor (zfs-fuse has no bookmarks: a property of guids)
        pools.zfs(
                "set",
                CursorProperty.of("second") + "=" + HexFormat.of().toHexDigits(pools.guid(fine + "@zrepl_3")),
                fine.value());
        // The first job's listing fails as zfs would on a pool in trouble; everything else is the real zfs.
        Path zfs = dir.resolve("zfs");
        Files.writeString(
                zfs,
                "#!/bin/sh\ncase \"$*\" in \"get \"*\" " + broken + "\") echo \"cannot open '" + broken
                        + "': I/O error\" >&2; exit 1;; esac\nexec " + pools.zfsBinary() + " \"$@\"\n");
        Files.setPosixFilePermissions(zfs, PosixFilePermissions.fromString("rwxr-xr-x"));
        config = dir.resolve("zreplj.yml");
        StringBuilder yaml = new StringBuilder("global:\n  zreplj:\n    state_dir: " + dir.resolve("state")
                + "\n    zfs_binary: " + zfs + "\njobs:\n");
        for (String[] job : List.of(new String[] {"first", broken.value()}, new String[] {"second", fine.value()})) {
            yaml.append("  - name: ")
                    .append(job[0])
                    .append("\n    type: push\n    connect: {type: ssh+stdinserver, host: 127.0.0.1, port: 1,"
                            + " user: zreplj, identity_file: ")
                    .append(dir.resolve("identity"))
                    .append("}\n    filesystems: {\"")
                    .append(job[1])
                    .append("\": true}\n    snapshotting: {type: manual}\n    pruning:\n      keep_sender:\n"
                            + "        - {type: last_n, count: 1}\n      keep_receiver:\n"
                            + "        - {type: last_n, count: 1}\n");
        }
        Files.writeString(config, yaml);
    }

    @AfterEach
    void tearDown() {
        pools.close();
    }

    @Test
    void aJobWhoseListingFailsDoesNotStopTheNext() {
        CliRun run = CliRun.of("--config", config.toString(), "prune");

        assertEquals(1, run.exitCode(), run::toString);
        assertEquals(
                "job first: pruned, 0 filesystems, 0 destroyed, with failures",
                run.out().lines().findFirst().orElse(""),
                run::toString);
        assertTrue(
                run.out().contains("the sender could not be listed, so neither side is pruned")
                        && run.out().contains("cannot open '" + broken + "': I/O error"),
                run::toString);
        assertTrue(run.out().contains("job second: pruned, 1 filesystem, 2 destroyed, with failures"), run::toString);
        assertEquals(List.of("zrepl_3"), pools.snapshotNames(fine), "last_n 1 on the sender");
    }
}
