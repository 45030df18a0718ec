package dev.zreplj.cli;

import static dev.zreplj.cli.EndToEnd.assertContains;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.zreplj.cli.openzfs.LabPools;
import dev.zreplj.cli.openzfs.OpenZfsLab;
import dev.zreplj.zfs.DatasetName;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * A client-requested rollback ({@code zfs recv -F}) on OpenZFS 2.3, in the lab guest (issue 12): zfs would
 * destroy the box's snapshots newer than the stream's base; the box refuses when its keep_floor keeps one.
 */
@Tag("openzfs")
class OpenZfsRollbackIT {
    private static final String JOB = "laptop_to_box";
    private static final String FLOOR = String.join(
            "\n", "    policy:", "      keep_floor:", "        - type: regex", "          regex: \"^zrepl_\"", "");

    @Test
    void aRollbackThatWouldDestroyAFloorKeptSnapshotIsRefusedAndTheSnapshotStays() {
        String filter = "\"SRC/home\": true";
        String tail = EndToEnd.DEFAULT_JOB_TAIL + "    conflict_resolution:\n      allow_rollback: true\n";
        try (LabEndToEnd e = new LabEndToEnd(OpenZfsLab.connect(), filter, tail)) {
            e.writeSinkConfig(e.sinkRoot, FLOOR);
            LabPools pools = e.pools;
            DatasetName home = pools.createFilesystem(e.src.child("home"));
            String onBox = e.jail.child(home.value()).value();
            pools.writeRandomFile(home, "one.bin", 1 << 20);
            EndToEnd.Run first = e.agent("agent", "once", "--snapshot");
            assertEquals(0, first.exit(), first::toString);
            pools.writeRandomFile(home, "two.bin", 1 << 20);
            EndToEnd.Run second = e.agent("agent", "once", "--snapshot");
            assertEquals(0, second.exit(), second::toString);
            List<String> received = pools.snapshotNames(DatasetName.of(onBox));
            assertEquals(2, received.size(), received::toString);
            String a = received.get(0);
            String b = received.get(1);
            long guidB = pools.guid(onBox + "@" + b);

            // The hold on the last received snapshot alone would make zfs refuse to roll it back; the floor must
            // hold without it (a snapshot can lack the hold: received before the switch, or released by hand).
            pools.zfs("release", "zrepl_last_received_J_" + JOB, onBox + "@" + b);
            // The laptop diverges: back to @a, new data, a new snapshot; the agent may roll the box back.
            pools.zfs("rollback", "-r", home + "@" + a);
            pools.writeRandomFile(home, "three.bin", 1 << 20);
            EndToEnd.Run third = e.agent("agent", "once", "--snapshot");
            assertNotEquals(0, third.exit(), third::toString);
            assertContains(
                    third.stdout() + third.stderr(),
                    "the rollback (zfs recv -F) would destroy " + onBox + "@" + b
                            + ", kept by the box's keep_floor; refused",
                    third);

            assertEquals(List.of(a, b), pools.snapshotNames(DatasetName.of(onBox)), "the floor-kept snapshot stays");
            assertEquals(guidB, pools.guid(onBox + "@" + b));
            String log = e.lab.read(e.dir + "/box-state/log/stdinserver.log");
            assertTrue(
                    log.lines()
                            .anyMatch(l -> l.contains(" WARN client 'laptop' [pid ")
                                    && l.contains("refused RECV into " + onBox
                                            + ": the rollback (zfs recv -F) would destroy")),
                    log);
        }
    }
}
