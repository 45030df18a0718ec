package dev.zreplj.cli;

import static dev.zreplj.cli.EndToEnd.assertContains;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.zreplj.zfs.DatasetName;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The source's admin changes what zreplj already replicates: renames, destroys and creates again, rolls back.
 * As in zrepl, filesystems are matched by name and snapshots by guid, and the box's copies are never destroyed to
 * resolve a conflict: what the source lost stays on the box, and a pass that cannot go on says what to do.
 * zfs-fuse pools and the real sshd, as {@link EndToEndIT}.
 */
@Tag("system")
class SourceChangesIT {
    private static final String CURSOR_HOLD = "zrepl_CURSOR_J_laptop_to_box";

    /** Two snapshots kept on each side, so a rollback leaves an older one both sides share. */
    private static final String KEEP_TWO_TAIL = String.join(
            "\n",
            "    pruning:",
            "      keep_sender:",
            "        - type: not_replicated",
            "        - type: last_n",
            "          count: 2",
            "      keep_receiver:",
            "        - type: last_n",
            "          count: 2",
            "");

    @TempDir
    Path tmp;

    private static EndToEnd.Run pass(EndToEnd e, int exit, String... args) {
        EndToEnd.Run run = e.agent(args);
        assertEquals(exit, run.exit(), run::toString);
        return run;
    }

    /** A second pass within the same second would take a snapshot of the same name. */
    private static EndToEnd.Run snapshotPass(EndToEnd e, int exit) throws InterruptedException {
        Thread.sleep(1100);
        return pass(e, exit, "agent", "once", "--snapshot");
    }

    /** The agent's cursor hold off every snapshot below fs, as the admin must on zfs-fuse before changing it. */
    private static void releaseCursor(EndToEnd e, DatasetName fs) {
        for (String line : e.snapshotsWithGuids(fs).lines().toList()) {
            String snapshot = line.substring(0, line.indexOf('\t'));
            if (!"0".equals(e.get(snapshot, "userrefs"))) {
                e.zfs("release", CURSOR_HOLD, snapshot);
            }
        }
    }

    /**
     * zfs rename as an admin does it on zfs-fuse: the cursor's hold released first (zfs-fuse renames no filesystem
     * with a held snapshot), and unmounted for the rename (zfs-fuse now and then says "dataset is busy" to renaming a
     * mounted filesystem, even one never held).
     */
    private static void rename(EndToEnd e, DatasetName from, DatasetName to) {
        releaseCursor(e, from);
        e.zfs("set", "mountpoint=none", from.value());
        e.zfs("rename", from.value(), to.value());
        e.zfs("inherit", "mountpoint", to.value());
    }

    /**
     * zfs destroy -r as an admin does it on zfs-fuse, after the cursor's hold is released: unmounted by
     * mountpoint=none (zfs-fuse now and then calls a mounted filesystem "busy", as for a rename), and tried again
     * for a while, as an admin would, while zfs-fuse still says "dataset is busy" after the pass's last zfs call.
     */
    private static void destroy(EndToEnd e, DatasetName fs) throws InterruptedException {
        e.zfs("set", "mountpoint=none", fs.value());
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (true) {
            try {
                e.zfs("destroy", "-r", fs.value());
                return;
            } catch (IllegalStateException busy) {
                if (!busy.getMessage().contains("dataset is busy") || System.nanoTime() > deadline) {
                    throw busy;
                }
                Thread.sleep(500);
            }
        }
    }

    /** "name\tguid" of fs's own snapshots (not its children's) in a listing. */
    private static String own(String listing, DatasetName fs) {
        return listing.lines()
                .filter(l -> l.startsWith(fs.value() + "@"))
                .map(l -> l + "\n")
                .collect(java.util.stream.Collectors.joining());
    }

    /** The box's copy of fs: its snapshots with their guids. */
    private static String onBox(EndToEnd e, DatasetName fs) {
        DatasetName copy = e.jail().child(fs.value());
        return own(e.snapshotsWithGuids(e.jail()), copy);
    }

    /** The source's snapshots of fs as the box must list them below its jail. */
    private static String asOnBox(EndToEnd e, DatasetName fs) {
        return PushSuite.expectedOnBox(e, own(e.snapshotsWithGuids(fs), fs));
    }

    /** The source's newest snapshot of fs as the box lists it after a full send (initial_replication most_recent). */
    private static String newestAsOnBox(EndToEnd e, DatasetName fs) {
        List<String> names = e.snapshotNames(fs);
        String newest = "@" + names.get(names.size() - 1) + "\t";
        return asOnBox(e, fs)
                        .lines()
                        .filter(l -> l.contains(newest))
                        .findFirst()
                        .orElseThrow() + "\n";
    }

    /**
     * A filesystem renamed within the filter, a child moved under another replicated parent, and one renamed out of
     * the filter: each pass succeeds; the new names are sent in full (filesystems are matched by name, as in zrepl),
     * and the box keeps every copy under the old names as it was, same snapshots and guids.
     */
    @Test
    void renamedAndMovedFilesystemsAreSentAnewAndTheBoxKeepsItsCopiesUnderTheOldNames() throws Exception {
        try (EndToEnd e = new EndToEnd(tmp, "\"SRC/home<\": true")) {
            DatasetName home = e.createFilesystem(e.src().child("home"));
            DatasetName a = e.createFilesystem(home.child("a"));
            DatasetName c = e.createFilesystem(a.child("c"));
            DatasetName b = e.createFilesystem(home.child("b"));
            e.writeRandomFile(a, "x.bin", 64 << 10);
            pass(e, 0, "agent", "once", "--snapshot");
            snapshotPass(e, 0);
            String cOnBox = onBox(e, c);
            assertEquals(asOnBox(e, c), cOnBox);
            assertEquals(2, cOnBox.lines().count(), cOnBox);

            DatasetName movedC = b.child("c");
            rename(e, c, movedC);
            EndToEnd.Run moved = snapshotPass(e, 0);
            assertContains(moved.stdout(), movedC + ": replicated 1 step,", moved);
            assertContains(moved.stderr(), movedC + ": sending full @", moved);
            assertEquals(newestAsOnBox(e, movedC), onBox(e, movedC), "the moved child arrives in full, same guid");
            assertEquals(cOnBox, onBox(e, c), "the box keeps the copy under the old parent");

            String aOnBox = onBox(e, a);
            DatasetName a2 = home.child("a2");
            rename(e, a, a2);
            EndToEnd.Run renamed = snapshotPass(e, 0);
            assertContains(renamed.stderr(), a2 + ": sending full @", renamed);
            assertEquals(newestAsOnBox(e, a2), onBox(e, a2), "the renamed filesystem arrives in full, same guid");
            assertEquals(aOnBox, onBox(e, a), "the box keeps the copy under the old name");

            String a2OnBox = onBox(e, a2);
            DatasetName out = e.src().child("out");
            rename(e, a2, out);
            EndToEnd.Run gone = snapshotPass(e, 0);
            assertTrue(!gone.stdout().contains(out.value()) && !gone.stdout().contains(a2.value()), gone::toString);
            assertEquals(a2OnBox, onBox(e, a2), "a filesystem renamed out of the filter stays on the box as it was");
            assertEquals(cOnBox, onBox(e, c));
            assertEquals(aOnBox, onBox(e, a));
            EndToEnd.Run status = e.agent("status");
            assertEquals(0, status.exit(), status::toString);
        }
    }

    /**
     * A replicated filesystem destroyed and created again under its name: without snapshots there is nothing to
     * send; with one it is a conflict that names its way out, and the box's copy stays untouched. Taking it out of
     * the filter, as the line says, makes the next pass succeed.
     */
    @Test
    void aFilesystemCreatedAgainIsAConflictThatKeepsTheBoxsCopy() throws Exception {
        try (EndToEnd e = new EndToEnd(tmp, "\"SRC/home<\": true")) {
            DatasetName home = e.createFilesystem(e.src().child("home"));
            DatasetName a = e.createFilesystem(home.child("a"));
            pass(e, 0, "agent", "once", "--snapshot");
            String aOnBox = onBox(e, a);
            String old = e.snapshotNames(a).get(0);

            releaseCursor(e, a);
            destroy(e, a);
            e.createFilesystem(a);
            EndToEnd.Run empty = pass(e, 0, "agent", "once");
            assertContains(empty.stdout(), a + ": no snapshot to send yet", empty);

            EndToEnd.Run again = snapshotPass(e, 1);
            assertContains(
                    again.stdout(),
                    "  " + a + ": conflict: no common snapshot: the receiver has @" + old
                            + " but the sender has none of them (made anew here, e.g. on a rebuilt machine): restore it"
                            + " from the box (zreplj restore, docs/restore.md) or take it out of the filter; starting"
                            + " over means renaming or destroying the box's copy with every backup below it\n",
                    again);
            EndToEnd.Run status = e.agent("status");
            assertEquals(1, status.exit(), status::toString);
            assertContains(status.stdout(), a + ": WARNING, conflict,", status);
            assertEquals(asOnBox(e, home), onBox(e, home), "home went on, its child's conflict aside");
            assertEquals(aOnBox, onBox(e, a), "the box's copy of the old filesystem is as it was");

            e.replaceInAgentConfig("\"" + home + "<\": true", "\"" + home + "<\": true\n      \"" + a + "\": false");
            EndToEnd.Run excluded = snapshotPass(e, 0);
            assertTrue(!excluded.stdout().contains(a + ":"), excluded::toString);
            assertEquals(aOnBox, onBox(e, a));
        }
    }

    /**
     * Snapshots renamed on the source, the cursor's among them: matched by guid, they are still the common base;
     * the next snapshot goes incrementally from the renamed cursor, and the box keeps its copies under their old
     * names, same guids.
     */
    @Test
    void renamedSnapshotsStayTheIncrementalBase() throws Exception {
        try (EndToEnd e = new EndToEnd(tmp, "\"SRC/home\": true")) {
            DatasetName home = e.createFilesystem(e.src().child("home"));
            pass(e, 0, "agent", "once", "--snapshot");
            snapshotPass(e, 0);
            String box = onBox(e, home);
            List<String> names = e.snapshotNames(home);
            e.zfs("rename", home + "@" + names.get(0), home + "@old");
            e.zfs("rename", home + "@" + names.get(1), home + "@cursor");

            EndToEnd.Run next = snapshotPass(e, 0);
            assertContains(next.stderr(), home + ": sending @cursor -> @zrepl_", next);
            assertContains(next.stdout(), home + ": replicated 1 step,", next);
            String newest = e.snapshotNames(home).get(2);
            String source = e.snapshotsWithGuids(home);
            assertEquals(
                    box
                            + PushSuite.expectedOnBox(
                                    e,
                                    source.lines()
                                                    .filter(l -> l.contains("@" + newest + "\t"))
                                                    .findFirst()
                                                    .orElseThrow()
                                            + "\n"),
                    onBox(e, home),
                    "old names kept on the box, same guids, and the new snapshot with the source's guid");
            assertEquals(0, e.agent("status").exit());
        }
    }

    /**
     * zfs rollback -r on the source to an older replicated snapshot, then new ones: the box has one the source no
     * longer has. Without allow_rollback every pass is a conflict that says what to do, the box keeps that
     * snapshot, and the sender keeps the older one both share whatever its keep rules say (the base to go on
     * from). With allow_rollback the next pass sends on from it.
     */
    @Test
    void aRolledBackSourceIsAConflictUntilAllowRollbackAndNothingIsLostMeanwhile() throws Exception {
        try (EndToEnd e = new EndToEnd(tmp, "\"SRC/home\": true", KEEP_TWO_TAIL, "")) {
            DatasetName home = e.createFilesystem(e.src().child("home"));
            pass(e, 0, "agent", "once", "--snapshot");
            snapshotPass(e, 0);
            String box = e.snapshotsWithGuids(e.jail());
            List<String> names = e.snapshotNames(home);

            releaseCursor(e, home);
            e.zfs("rollback", "-r", home + "@" + names.get(0));
            String conflict = "  " + home + ": conflict: receiver has diverged: the sender no longer has @"
                    + names.get(1) + ", which the box got after the common snapshot @" + names.get(0)
                    + " (the sender was rolled back, or it was destroyed there); to send on from @" + names.get(0)
                    + ", set conflict_resolution.allow_rollback: true, which destroys it on the box\n";
            for (int i = 0; i < 2; i++) {
                EndToEnd.Run run = snapshotPass(e, 1);
                assertContains(run.stdout(), conflict, run);
                assertEquals(box, e.snapshotsWithGuids(e.jail()), "nothing destroyed on the box");
            }
            assertEquals(names.get(0), e.snapshotNames(home).get(0), "the common base stays beyond last_n 2");
            assertEquals(3, e.snapshotNames(home).size());
            EndToEnd.Run status = e.agent("status");
            assertEquals(1, status.exit(), status::toString);
            // status names the filesystem and the outcome once: "FS: WARNING, conflict, ... -- last attempt conflict:
            // ..."
            assertContains(
                    status.stdout(), "-- last attempt " + conflict.strip().substring((home + ": ").length()), status);

            e.replaceInAgentConfig(
                    "    pruning:\n", "    conflict_resolution:\n      allow_rollback: true\n    pruning:\n");
            EndToEnd.Run allowed = pass(e, 0, "agent", "once");
            assertContains(allowed.stdout(), home + ": replicated 2 steps,", allowed);
            assertEquals(asOnBox(e, home), onBox(e, home), "the box follows the source, guids and all");
            assertEquals(2, e.snapshotNames(home).size());
            assertEquals(0, e.agent("status").exit());
        }
    }

    /**
     * The cursor's snapshot destroyed by hand on the source (zfs-fuse has no bookmark to stand in): with an older
     * common snapshot left it is the same conflict as a rollback; with none left, "no common snapshot". The box
     * keeps all of it either way.
     */
    @Test
    void theCursorDestroyedOnTheSourceIsAConflictThatKeepsTheBoxsSnapshots() throws Exception {
        try (EndToEnd e = new EndToEnd(tmp, "\"SRC/home\": true")) {
            DatasetName home = e.createFilesystem(e.src().child("home"));
            pass(e, 0, "agent", "once", "--snapshot");
            snapshotPass(e, 0);
            String box = e.snapshotsWithGuids(e.jail());
            List<String> names = e.snapshotNames(home);

            releaseCursor(e, home);
            e.zfs("destroy", home + "@" + names.get(1));
            EndToEnd.Run older = snapshotPass(e, 1);
            assertContains(
                    older.stdout(),
                    home + ": conflict: receiver has diverged: the sender no longer has @" + names.get(1)
                            + ", which the box got after the common snapshot @" + names.get(0),
                    older);
            assertEquals(box, e.snapshotsWithGuids(e.jail()));

            for (String name : e.snapshotNames(home)) {
                e.zfs("destroy", home + "@" + name);
            }
            EndToEnd.Run none = snapshotPass(e, 1);
            assertContains(
                    none.stdout(),
                    home + ": conflict: no common snapshot: the receiver has @" + names.get(0) + ", @" + names.get(1)
                            + " but the sender has none of them",
                    none);
            assertEquals(box, e.snapshotsWithGuids(e.jail()), "nothing destroyed on the box");
        }
    }
}
