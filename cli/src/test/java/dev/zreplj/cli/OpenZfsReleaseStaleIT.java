package dev.zreplj.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.zreplj.cli.openzfs.LabPools;
import dev.zreplj.cli.openzfs.OpenZfsLab;
import dev.zreplj.zfs.DatasetName;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.parallel.Isolated;

/**
 * {@code release-stale} after a job rename on OpenZFS, where the old job's cursor bookmark has outlived its
 * snapshot: destroyed before the new job's first pass, it took the only incremental base the box shared,
 * and the next pass found no common snapshot.
 */
@Tag("openzfs")
// release-stale looks at every pool on the machine: beside another lab test it released that test's cursor
// bookmark (job laptop_to_box is not in this test's config once renamed). So nothing else runs meanwhile.
@Isolated
class OpenZfsReleaseStaleIT {

    private static final String TAIL = String.join(
            "\n",
            "    pruning:",
            "      keep_sender:",
            "        - type: last_n",
            "          count: 1",
            "      keep_receiver:",
            "        - type: last_n",
            "          count: 10",
            "");

    private static List<String> bookmarks(LabPools pools, DatasetName fs) {
        return pools.zfs("list", "-H", "-t", "bookmark", "-o", "name", "-r", fs.value())
                .strip()
                .lines()
                .toList();
    }

    @Test
    void aRenamedJobsCursorStaysWhileItIsTheOnlyBaseAndGoesAfterTheNewJobsPass() {
        try (LabEndToEnd e = new LabEndToEnd(OpenZfsLab.connect(), "\"SRC/data\": true", TAIL)) {
            LabPools pools = e.pools;
            DatasetName data = pools.createFilesystem(e.src.child("data"));
            pools.writeRandomFile(data, "a", 64 << 10);
            EndToEnd.Run first = e.agent("agent", "once", "--snapshot");
            assertEquals(0, first.exit(), first::toString);
            pools.writeRandomFile(data, "b", 64 << 10);
            EndToEnd.Run second = e.agent("agent", "once", "--snapshot");
            assertEquals(0, second.exit(), second::toString);
            // A snapshot the job has not sent, and a prune: last_n 1 lets the cursor's snapshot go, its bookmark stays.
            pools.snapshot(data, "manual");
            EndToEnd.Run prune = e.zreplj(List.of("--config", e.agentConfig, "prune"), null);
            assertEquals(0, prune.exit(), prune::toString);
            assertEquals(List.of("manual"), pools.snapshotNames(data));
            List<String> cursor = bookmarks(pools, data);
            assertEquals(1, cursor.size(), cursor::toString);
            assertTrue(cursor.get(0).endsWith("_J_laptop_to_box"), cursor::toString);

            e.replaceInAgentConfig("name: laptop_to_box", "name: renamed");
            // What zrepl leaves after a step it did not finish, under a job name zreplj now runs (docs/migrating.md
            // keeps the names): zreplj takes no step holds and zrepl no longer runs to release it.
            pools.zfs("hold", "zrepl_STEP_J_renamed", data + "@manual");
            EndToEnd.Run kept = e.zreplj(List.of("--config", e.agentConfig, "release-stale"), null);
            assertEquals(0, kept.exit(), kept::toString);
            // Only the agent's marks: the box's last-received hold on this machine (its own config) stays.
            assertEquals(2, kept.stdout().lines().count(), kept::toString);
            assertTrue(
                    kept.stdout()
                            .startsWith("kept\tbookmark " + cursor.get(0) + " (job 'laptop_to_box'): the newest"
                                    + " incremental base of " + data),
                    kept::toString);
            assertTrue(
                    kept.stdout()
                            .contains("\nreleased\thold zrepl_STEP_J_renamed on " + data + "@manual (job 'renamed')\n"),
                    kept::toString);
            assertEquals("", pools.zfs("holds", "-H", data + "@manual").strip(), "the step hold is gone");
            assertEquals(cursor, bookmarks(pools, data), "the old job's cursor is still there");

            long manual = pools.guid(data + "@manual");
            EndToEnd.Run renamed = e.agent("agent", "once");
            assertEquals(0, renamed.exit(), renamed::toString);
            String copy = e.jail.child(data.value()).value();
            assertEquals(manual, pools.guid(copy + "@manual"), "sent from the old cursor");

            EndToEnd.Run released = e.zreplj(List.of("--config", e.agentConfig, "release-stale"), null);
            assertEquals(0, released.exit(), released::toString);
            assertEquals("released\tbookmark " + cursor.get(0) + " (job 'laptop_to_box')\n", released.stdout());
            assertTrue(
                    bookmarks(pools, data).stream().allMatch(b -> b.endsWith("_J_renamed")),
                    () -> bookmarks(pools, data).toString());
        }
    }
}
