package dev.zreplj.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.zreplj.zfs.DatasetName;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A local zfs call that hangs (a suspended pool) is stopped at the job's replication.timeout: the pass ends, failed,
 * with a line naming the command, {@code zreplj status} says so, the hanging process is gone, and the next pass
 * (zfs healthy again) does the work. Without the bound {@code agent once} waited for ever, and a timer never
 * started the next pass.
 */
@Tag("system")
class HangingLocalZfsIT {
    @TempDir
    Path tmp;

    @Test
    void aHangingDestroyFailsThePruneAtTheTimeoutAndTheNextPassPrunes() throws Exception {
        String tail = EndToEnd.KEEP_LAST_ONE_TAIL + "    replication:\n      timeout: 5s\n";
        try (EndToEnd e = new EndToEnd(tmp, PushSuite.HOME_FILTER, tail, "")) {
            DatasetName home = e.createFilesystem(e.src().child("home"));
            e.writeRandomFile(home, "a.bin", 1 << 20);
            // The agent's zfs: the real one, except the subcommand named in the file "hang", which sleeps (its pid
            // kept) as a zfs does on a suspended pool.
            Path hang = tmp.resolve("hang");
            Path pid = tmp.resolve("pid");
            Path wrapper = tmp.resolve("zfs");
            Files.writeString(
                    wrapper,
                    "#!/bin/sh\nif [ -f " + hang + " ] && [ \"$1\" = \"$(cat " + hang + ")\" ]; then echo $$ > " + pid
                            + "; exec sleep 600; fi\nexec /usr/sbin/zfs \"$@\"\n");
            Files.setPosixFilePermissions(wrapper, PosixFilePermissions.fromString("rwxr-xr-x"));
            e.replaceInAgentConfig("  zreplj:\n", "  zreplj:\n    zfs_binary: " + wrapper + "\n");

            EndToEnd.Run first = e.agent("agent", "once", "--snapshot");
            assertEquals(0, first.exit(), first::toString);
            List<String> before = e.snapshotNames(home);
            assertEquals(1, before.size(), before::toString);

            Files.writeString(hang, "destroy");
            long started = System.nanoTime();
            EndToEnd.Run stuck = e.zreplj(
                    List.of(
                            "--config",
                            tmp.resolve("agent.yml").toString(),
                            "--summary",
                            "agent",
                            "once",
                            "--snapshot"),
                    null,
                    50);
            long seconds = (System.nanoTime() - started) / 1_000_000_000L;
            assertEquals(1, stuck.exit(), stuck::toString);
            assertTrue(seconds < 30, "took " + seconds + " s: " + stuck);
            String line = "'" + wrapper + " destroy " + home + "@"
                    + before.get(0).substring(before.get(0).indexOf('@') + 1)
                    + "' did not end within 5s (the job's replication.timeout); zreplj stopped it. A zfs command that"
                    + " hangs usually waits on a suspended pool or a failing disk: see 'zpool status -x' and dmesg";
            assertTrue(stuck.stderr().contains(line), stuck::toString);
            long hung = Long.parseLong(Files.readString(pid).strip());
            assertFalse(ProcessHandle.of(hung).map(ProcessHandle::isAlive).orElse(false), "zfs destroy still runs");
            // Replicated all the same: the box holds both snapshots, the sender still the old one.
            assertEquals(2, e.snapshotNames(home).size());

            EndToEnd.Run status = e.agent("status");
            assertEquals(1, status.exit(), status::toString);
            assertTrue(status.stdout().contains(line), status::toString);

            Files.delete(hang);
            EndToEnd.Run next = e.agent("agent", "once");
            assertEquals(0, next.exit(), next::toString);
            assertEquals(
                    1, e.snapshotNames(home).size(), () -> e.snapshotNames(home).toString());
            EndToEnd.Run ok = e.agent("status");
            assertEquals(0, ok.exit(), ok::toString);
        }
    }
}
