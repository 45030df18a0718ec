package dev.zreplj.cli;

import static dev.zreplj.cli.EndToEnd.assertContains;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.zreplj.cli.openzfs.LabPools;
import dev.zreplj.cli.openzfs.OpenZfsLab;
import dev.zreplj.replication.ReplicationCursor;
import dev.zreplj.zfs.DatasetName;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The replication cursor as zrepl's bookmark on OpenZFS 2.3, in the lab guest: the sender prunes the
 * replicated snapshot, and the next step goes incrementally from the bookmark; later, a plain step from the
 * bookmark and then one {@code zfs send -I} stream of the snapshots after it.
 */
@Tag("openzfs")
class OpenZfsBookmarkIT {
    private static final String JOB = "laptop_to_box";
    private static final String KEEP_RECEIVER =
            String.join("\n", "      keep_receiver:", "        - type: last_n", "          count: 100", "");
    private static final Pattern REPLICATED = Pattern.compile(": replicated (\\d+) steps?, ([0-9.]+) (B|KiB|MiB|GiB)");

    @Test
    void senderPrunesTheReplicatedSnapshotAndTheNextStepGoesFromTheCursorBookmark() {
        String filter = "\"SRC/home\": true";
        try (LabEndToEnd e = new LabEndToEnd(
                OpenZfsLab.connect(),
                filter,
                "    pruning:\n      keep_sender:\n        - type: regex\n          regex: \"^keep-none$\"\n"
                        + KEEP_RECEIVER)) {
            LabPools pools = e.pools;
            DatasetName home = pools.createFilesystem(e.src.child("home"));
            pools.writeRandomFile(home, "big.bin", 16 << 20);
            String onBox = e.jail.child(home.value()).value();

            EndToEnd.Run first = e.agent("agent", "once", "--snapshot");
            assertEquals(0, first.exit(), first::toString);
            long full = replicatedBytes(first, home, 1);
            List<String> boxSnapshots = pools.snapshotNames(DatasetName.of(onBox));
            assertEquals(1, boxSnapshots.size(), boxSnapshots::toString);
            String a = boxSnapshots.get(0);
            long guidA = pools.guid(onBox + "@" + a);
            assertEquals(
                    List.of(),
                    pools.snapshotNames(home),
                    "a keep_sender rule matching nothing destroyed @" + a + " on the sender");
            String cursorA = ReplicationCursor.bookmarkName(guidA, JOB);
            assertEquals(
                    home + "#" + cursorA + "\t" + Long.toUnsignedString(guidA) + "\n",
                    bookmarks(pools, home),
                    "the cursor bookmark stays, with the guid the box has");

            pools.writeRandomFile(home, "small.bin", 64 << 10);
            // From now on the sender keeps its newest snapshot, so its holds can be checked as well.
            e.writeAgentConfig(
                    filter,
                    "    pruning:\n      keep_sender:\n        - type: last_n\n          count: 1\n" + KEEP_RECEIVER);
            EndToEnd.Run second = e.agent("agent", "once", "--snapshot");
            assertEquals(0, second.exit(), second::toString);
            long increment = replicatedBytes(second, home, 1);
            List<String> senderSnapshots = pools.snapshotNames(home);
            assertEquals(1, senderSnapshots.size(), senderSnapshots::toString);
            String b = senderSnapshots.get(0);
            assertContains(second.stderr(), home + ": sending #" + cursorA + " -> @" + b, second);
            assertTrue(
                    increment < 1 << 20 && full >= 16 << 20,
                    "the step from the bookmark sent " + increment + " bytes, the full send " + full);
            System.out.printf(Locale.ROOT, "bookmark step: %d bytes; full send: %d bytes%n", increment, full);

            long guidB = pools.guid(home + "@" + b);
            assertEquals(List.of(a, b), pools.snapshotNames(DatasetName.of(onBox)));
            assertEquals(guidB, pools.guid(onBox + "@" + b), "the box has @" + b + " with the sender's guid");
            assertEquals(guidA, pools.guid(onBox + "@" + a));
            assertEquals(
                    home + "#" + ReplicationCursor.bookmarkName(guidB, JOB) + "\t" + Long.toUnsignedString(guidB)
                            + "\n",
                    bookmarks(pools, home),
                    "exactly the new cursor: the old one is gone");
            assertEquals("", pools.zfs("holds", "-H", home + "@" + b), "the sender holds nothing with bookmarks");
            String holds = pools.zfs("holds", "-H", onBox + "@" + a, onBox + "@" + b);
            assertEquals(1, holds.lines().count(), holds);
            assertTrue(
                    holds.startsWith(onBox + "@" + b + "\tzrepl_last_received_J_" + JOB + "\t"),
                    "the box's last-received hold moved to the newest snapshot: " + holds);

            // zfs sends no -I from a bookmark: with @b gone on the sender, its cursor bookmark is the base of
            // a plain -i to the first new snapshot, and the ones after it (the pass's own snapshot last) go as
            // one zfs send -I stream.
            pools.zfs("destroy", home + "@" + b);
            for (String s : List.of("s1", "s2", "s3")) {
                pools.writeRandomFile(home, s + ".bin", 32 << 10);
                pools.zfs("snapshot", home + "@" + s);
            }
            e.writeAgentConfig(
                    filter,
                    "    pruning:\n      keep_sender:\n        - type: last_n\n          count: 3\n" + KEEP_RECEIVER);
            EndToEnd.Run third = e.agent("agent", "once", "--snapshot");
            assertEquals(0, third.exit(), third::toString);
            List<String> kept = pools.snapshotNames(home);
            String newest = kept.get(kept.size() - 1);
            assertEquals(List.of("s2", "s3", newest), kept, "last_n 3 on the sender");
            String cursorB = ReplicationCursor.bookmarkName(guidB, JOB);
            assertContains(third.stderr(), home + ": sending #" + cursorB + " -> @s1", third);
            assertContains(
                    third.stderr(), home + ": sending @s1 => @" + newest + " (3 snapshots in one stream)", third);
            replicatedBytes(third, home, 4);
            for (String s : List.of("s2", "s3", newest)) {
                assertEquals(
                        pools.guid(home + "@" + s), pools.guid(onBox + "@" + s), "@" + s + " with the sender's guid");
            }
            assertEquals(List.of(a, b, "s1", "s2", "s3", newest), pools.snapshotNames(DatasetName.of(onBox)));
            long guidNewest = pools.guid(home + "@" + newest);
            assertEquals(
                    home + "#" + ReplicationCursor.bookmarkName(guidNewest, JOB) + "\t"
                            + Long.toUnsignedString(guidNewest) + "\n",
                    bookmarks(pools, home),
                    "the cursor moved to the newest snapshot of the -I stream");
            String moved = pools.zfs("holds", "-H", onBox + "@s3", onBox + "@" + newest);
            assertEquals(1, moved.lines().count(), moved);
            assertTrue(moved.startsWith(onBox + "@" + newest + "\tzrepl_last_received_J_" + JOB + "\t"), moved);
        }
    }

    private static String bookmarks(LabPools pools, DatasetName fs) {
        return pools.zfs("list", "-Hp", "-t", "bookmark", "-o", "name,guid", "-s", "createtxg", fs.value());
    }

    /** The exact-enough byte count of the report line "FS: replicated N steps, X.Y UNIT". */
    private static long replicatedBytes(EndToEnd.Run run, DatasetName fs, int steps) {
        Matcher m = REPLICATED.matcher(run.stdout()
                .lines()
                .filter(l -> l.strip().startsWith(fs.value() + ": replicated"))
                .findFirst()
                .orElseThrow(() -> new AssertionError("no 'replicated' line for " + fs + ":\n" + run))
                .strip());
        assertTrue(m.find(), run::toString);
        assertEquals(steps, Integer.parseInt(m.group(1)), run::toString);
        int shift = switch (m.group(3)) {
            case "B" -> 0;
            case "KiB" -> 10;
            case "MiB" -> 20;
            default -> 30;
        };
        return (long) (Double.parseDouble(m.group(2)) * (1L << shift));
    }
}
