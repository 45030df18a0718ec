package dev.zreplj.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.zreplj.cli.openzfs.LabPools;
import dev.zreplj.cli.openzfs.OpenZfsLab;
import dev.zreplj.zfs.DatasetName;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Switching from zrepl (docs/migrating.md): zrepl's sink holds the snapshot it last received with a tag named
 * after the <em>sink</em> job; zreplj tags with the push job's name. The first zreplj receive takes zrepl's hold
 * over, so the keep rules can destroy that snapshot once it is no longer the newest.
 */
@Tag("openzfs")
class OpenZfsZreplHoldIT {
    private static final String PUSH_JOB = "laptop_to_box";
    /** EndToEnd.sinkYaml's sink job. */
    private static final String SINK_JOB = "backups";

    @Test
    void theFirstReceiveTakesOverTheHoldZreplsSinkLeft() {
        String filter = "\"SRC/home\": true";
        String pruning = "    pruning:\n      keep_sender:\n        - type: last_n\n          count: 1\n"
                + "      keep_receiver:\n        - type: last_n\n          count: 1\n";
        try (LabEndToEnd e = new LabEndToEnd(OpenZfsLab.connect(), filter, pruning)) {
            LabPools pools = e.pools;
            DatasetName home = pools.createFilesystem(e.src.child("home"));
            pools.writeRandomFile(home, "a.bin", 64 << 10);
            EndToEnd.Run first = e.agent("agent", "once", "--snapshot");
            assertEquals(0, first.exit(), first::toString);
            DatasetName onBox = e.jail.child(home.value());
            List<String> received = pools.snapshotNames(onBox);
            assertEquals(1, received.size(), received::toString);
            String a = onBox + "@" + received.get(0);

            // The box as zrepl left it: its sink's hold on the last received snapshot, none of zreplj's marks.
            pools.zfs("release", "zrepl_last_received_J_" + PUSH_JOB, a);
            pools.zfs("inherit", "zreplj:last_received_j_laptop__to__box", onBox.value());
            pools.zfs("hold", "zrepl_last_received_J_" + SINK_JOB, a);

            pools.writeRandomFile(home, "b.bin", 64 << 10);
            EndToEnd.Run second = e.agent("agent", "once", "--snapshot");
            assertEquals(0, second.exit(), second::toString);
            List<String> kept = pools.snapshotNames(onBox);
            List<String> sent = pools.snapshotNames(home);
            assertEquals(sent, kept, "keep_receiver last_n 1 destroyed the snapshot zrepl last received");
            assertTrue(!kept.contains(a.substring(a.indexOf('@') + 1)), kept::toString);
            String b = onBox + "@" + kept.get(0);
            assertEquals(pools.guid(home + "@" + kept.get(0)), pools.guid(b));
            String holds = pools.zfs("holds", "-H", b);
            assertEquals(1, holds.lines().count(), holds);
            assertTrue(holds.startsWith(b + "\tzrepl_last_received_J_" + PUSH_JOB + "\t"), holds);
        }
    }
}
