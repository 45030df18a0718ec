package dev.zreplj.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.zreplj.zfs.DatasetName;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A snap job beside a push job in one config, one {@code agent once}: the push job replicates its filesystem to the
 * box (real sshd, the built launcher), the snap job snapshots and prunes its own, and both say so; zfs-fuse.
 */
@Tag("system")
@Timeout(180)
class SnapAndPushJobsIT {
    @TempDir
    Path dir;

    @Test
    void bothJobsWorkInOneAgentOnce() throws Exception {
        try (EndToEnd e = new EndToEnd(dir, "{\"SRC/home\": true}")) {
            DatasetName home = e.pools.createFilesystem(e.src.child("home"));
            DatasetName scratch = e.pools.createFilesystem(e.src.child("scratch"));
            e.pools.snapshot(scratch, "snap_old");
            Files.writeString(
                    e.agentConfig,
                    Files.readString(e.agentConfig)
                            + "  - name: scratch\n"
                            + "    type: snap\n"
                            + "    filesystems: {\"" + scratch + "\": true}\n"
                            + "    snapshotting: {type: periodic, prefix: snap_, interval: 1h}\n"
                            + "    pruning:\n"
                            + "      keep: [{type: last_n, count: 1, regex: '^snap_'}]\n");
            Thread.sleep(1100);

            EndToEnd.Run run = e.agent("agent", "once", "--snapshot");

            assertEquals(0, run.exit(), run::toString);
            List<String> lines = run.stdout().lines().toList();
            String pushed = e.pools.snapshotNames(home).get(0);
            assertTrue(
                    lines.get(0).startsWith("job laptop_to_box: 1 filesystem, all ok; took snapshot @" + pushed),
                    run::toString);
            assertEquals(List.of(pushed), e.pools.snapshotNames(e.jail.child(home.value())), run::toString);
            List<String> mine = e.pools.snapshotNames(scratch);
            assertEquals(1, mine.size(), run::toString);
            assertTrue(mine.get(0).startsWith("snap_2"), run::toString);
            assertTrue(
                    run.stdout()
                            .contains("job scratch: 1 filesystem, all ok; took snapshot @" + mine.get(0)
                                    + "; pruned 1 snapshot\n  prune local " + scratch + ": destroyed @snap_old\n"),
                    run::toString);
            // The push job's filesystem got no snapshot of the snap job's, and the box none of scratch.
            assertEquals(1, e.pools.snapshotNames(home).size(), run::toString);
        }
    }
}
