package dev.zreplj.restore;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.zreplj.protocol.RemoteFilesystem;
import dev.zreplj.protocol.RemoteVersion;
import dev.zreplj.restore.RestoreStep.Kind;
import dev.zreplj.zfs.DatasetName;
import dev.zreplj.zfs.VersionType;
import dev.zreplj.zfs.ZfsVersion;
import dev.zreplj.zfs.testing.ResumeTokens;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RestorePlannerTest {
    private static final DatasetName TO = DatasetName.of("new/home");
    private final Map<DatasetName, LocalTarget> local = new HashMap<>();

    private static RemoteVersion snap(String name, long guid, long txg) {
        return new RemoteVersion(name, VersionType.SNAPSHOT, guid, txg, 1_700_000_000L + txg);
    }

    private static ZfsVersion localSnap(DatasetName fs, String name, long guid, long txg) {
        return new ZfsVersion(fs, VersionType.SNAPSHOT, name, guid, txg, Instant.EPOCH);
    }

    private static final List<RemoteFilesystem> BOX = List.of(
            new RemoteFilesystem("tank", true, List.of(), null),
            new RemoteFilesystem(
                    "tank/home", false, List.of(snap("a", 11, 10), snap("b", 12, 20), snap("c", 13, 30)), null),
            new RemoteFilesystem("tank/home/ann", false, List.of(snap("b", 21, 20), snap("c", 22, 30)), null),
            new RemoteFilesystem("tank/homework", false, List.of(snap("c", 31, 30)), null));

    private boolean boxResumes = true;

    private List<RestoreStep> plan(
            String source, String snapshot, boolean recursive, boolean force, String mountRefusal)
            throws RestoreRefused {
        return RestorePlanner.plan(
                new RestoreRequest(source, snapshot, TO, recursive, force),
                BOX,
                t -> local.getOrDefault(t, LocalTarget.absent()),
                t -> mountRefusal,
                boxResumes);
    }

    private String refused(String source, String snapshot, boolean recursive, boolean force, String mountRefusal) {
        return assertThrows(RestoreRefused.class, () -> plan(source, snapshot, recursive, force, mountRefusal))
                .getMessage();
    }

    @Test
    void aNewTargetGetsTheNewestOrTheNamedSnapshotInFull() throws RestoreRefused {
        assertEquals(
                List.of(new RestoreStep("tank/home", TO, Kind.FULL, "c", 13, null, 0, null, false)),
                plan("tank/home", null, false, false, null));
        assertEquals(
                List.of(new RestoreStep("tank/home", TO, Kind.FULL, "a", 11, null, 0, null, false)),
                plan("tank/home", "a", false, false, null));
    }

    @Test
    void recursiveTakesChildrenButNotSiblingsWithACommonPrefix() throws RestoreRefused {
        List<RestoreStep> steps = plan("tank/home", null, true, false, null);
        assertEquals(
                List.of(TO, TO.child("ann")),
                steps.stream().map(RestoreStep::target).toList());
        List<RestoreStep> fromPool = plan("tank", null, true, false, null);
        assertEquals(Kind.CREATE, fromPool.get(0).kind());
        assertEquals(
                List.of("tank", "tank/home", "tank/home/ann", "tank/homework"),
                fromPool.stream().map(RestoreStep::path).toList());
    }

    /**
     * The box chooses the names below SOURCE_FS (each a valid ZFS name, or its listing is refused): one whose
     * restored name below a longer --to would pass zfs's 255 characters is refused in one line saying what to do,
     * before anything is created, not an unexpected error.
     */
    @Test
    void aChildWhoseRestoredNameWouldBeTooLongIsRefusedWithWhatToDo() {
        String child = "tank/" + "c".repeat(250);
        List<RemoteFilesystem> box = List.of(
                new RemoteFilesystem("tank", false, List.of(snap("a", 1, 10)), null),
                new RemoteFilesystem(child, false, List.of(snap("a", 2, 10)), null));
        RestoreRefused e = assertThrows(
                RestoreRefused.class,
                () -> RestorePlanner.plan(
                        new RestoreRequest("tank", null, TO, true, false),
                        box,
                        t -> LocalTarget.absent(),
                        t -> null,
                        true));
        assertEquals(
                "the box's " + child + " would be restored below new/home as a dataset name of 259 characters, over"
                        + " zfs's 255: restore it on its own into a shorter --to",
                e.getMessage());
    }

    @Test
    void aPlaceholderAFailedRestoreLeftIsKeptAndTheRetryReceivesItsChildren() throws RestoreRefused {
        // The first -r run created the empty placeholder (canmount=off) and failed on a child.
        local.put(TO, new LocalTarget(true, List.of(), null));
        List<RestoreStep> retry = plan("tank", null, true, false, null);
        assertEquals(
                List.of("tank", "tank/home", "tank/home/ann", "tank/homework"),
                retry.stream().map(RestoreStep::path).toList());
        // Kept as it is, and said so: one line per filesystem (docs/restore.md), not a silent gap.
        assertEquals(new RestoreStep("tank", TO, Kind.KEPT, null, 0, null, 0, null, false), retry.get(0));
        assertEquals(
                "new/home: exists (tank has no snapshots on the box)",
                retry.get(0).describe());
        assertEquals(Kind.FULL, retry.get(1).kind());
    }

    @Test
    void anExistingRestoreContinuesFromItsNewestSnapshotTheBoxHolds() throws RestoreRefused {
        local.put(TO, new LocalTarget(true, List.of(localSnap(TO, "a", 11, 5), localSnap(TO, "b", 12, 6)), null));
        assertEquals(
                List.of(new RestoreStep("tank/home", TO, Kind.INCREMENTAL, "c", 13, "@b", 12, null, false)),
                plan("tank/home", null, false, false, null));
        local.put(TO, new LocalTarget(true, List.of(localSnap(TO, "c", 13, 7)), null));
        assertEquals(
                Kind.UP_TO_DATE,
                plan("tank/home", null, false, false, null).get(0).kind());
    }

    @Test
    void aLocalBookmarkIsNeverTheBaseSinceZfsRecvNeedsTheSnapshot() throws RestoreRefused {
        // Restoring onto the original dataset: its cursor bookmark #b outlived snapshot @b.
        ZfsVersion bookmark = new ZfsVersion(TO, VersionType.BOOKMARK, "b", 12, 6, Instant.EPOCH);
        local.put(TO, new LocalTarget(true, List.of(localSnap(TO, "a", 11, 5), bookmark), null));
        assertEquals(
                List.of(new RestoreStep("tank/home", TO, Kind.INCREMENTAL, "c", 13, "@a", 11, null, false)),
                plan("tank/home", null, false, false, null));
        local.put(TO, new LocalTarget(true, List.of(bookmark), null));
        assertEquals(
                "new/home exists and shares no snapshot with the box's tank/home: restore into a new dataset"
                        + " (--to), or add --force to receive over it",
                refused("tank/home", null, false, false, null));
    }

    @Test
    void anExistingTargetThatIsNotARestoreIsRefusedUnlessForced() throws RestoreRefused {
        local.put(TO, new LocalTarget(true, List.of(), null));
        assertEquals(
                "new/home exists and shares no snapshot with the box's tank/home: restore into a new dataset"
                        + " (--to), or add --force to receive over it",
                refused("tank/home", null, false, false, null));
        assertEquals(
                List.of(new RestoreStep("tank/home", TO, Kind.FULL, "c", 13, null, 0, null, true)),
                plan("tank/home", null, false, true, null));
    }

    /**
     * zfs recv -F does not replace a dataset that has snapshots by a full stream ("destination has snapshots"), so
     * --force is no advice there, and no plan: it would only fail in zfs.
     */
    @Test
    void anExistingTargetWithSnapshotsOfItsOwnIsRefusedEvenWithForce() {
        local.put(
                TO,
                new LocalTarget(
                        true,
                        List.of(
                                localSnap(TO, "m1", 91, 5),
                                localSnap(TO, "m2", 92, 6),
                                localSnap(TO, "m3", 93, 7),
                                localSnap(TO, "m4", 94, 8)),
                        null));
        String expected = "new/home exists with snapshots of its own (@m1, @m2, @m3, ...) and shares none with the"
                + " box's tank/home: zfs receives a full stream over no dataset that has snapshots, not even with"
                + " --force; restore into a new dataset (--to)";
        assertEquals(expected, refused("tank/home", null, false, false, null));
        assertEquals(expected, refused("tank/home", null, false, true, null));
    }

    @Test
    void anOlderSnapshotIsRefusedOverANewerRestoreEvenWithForce() {
        // An earlier restore of @c, and then @a asked for: the target shares @c with the box, only newer.
        local.put(TO, new LocalTarget(true, List.of(localSnap(TO, "c", 13, 5)), null));
        String expected = "new/home already has @c of the box's tank/home, newer than @a: zfs receives no older"
                + " snapshot into it (not even with --force); restore @a into a new dataset (--to)";
        assertEquals(expected, refused("tank/home", "a", false, false, null));
        assertEquals(expected, refused("tank/home", "a", false, true, null));
    }

    @Test
    void localSnapshotsAfterTheBaseAreNeverDestroyedWithoutForce() throws RestoreRefused {
        local.put(TO, new LocalTarget(true, List.of(localSnap(TO, "a", 11, 5), localSnap(TO, "mine", 99, 6)), null));
        assertEquals(
                "new/home has snapshots after @a that the restore would destroy (@mine): restore into a new"
                        + " dataset, or add --force",
                refused("tank/home", null, false, false, null));
        RestoreStep forced = plan("tank/home", null, false, true, null).get(0);
        assertEquals(Kind.INCREMENTAL, forced.kind());
        assertEquals(true, forced.rollback());
    }

    @Test
    void aTargetThatAlreadyHasTheSnapshotUnderNewerOnesIsRolledBackOnlyWithForce() throws RestoreRefused {
        // An earlier restore of @b, then snapshots of its own; @b is what the box calls "b", guid 12.
        local.put(
                TO,
                new LocalTarget(
                        true,
                        List.of(
                                localSnap(TO, "b", 12, 5),
                                localSnap(TO, "mine1", 98, 6),
                                localSnap(TO, "mine2", 99, 7)),
                        null));
        assertEquals(
                "new/home already has @b; 2 newer local snapshots (@mine1, @mine2): restore into a new dataset, or"
                        + " add --force to roll new/home back to @b (destroying them)",
                refused("tank/home", "b", false, false, null));
        assertEquals(
                List.of(new RestoreStep("tank/home", TO, Kind.ROLLBACK, "b", 12, null, 0, null, true)),
                plan("tank/home", "b", false, true, null));
    }

    @Test
    void anInterruptedRestoreResumesFromItsToken() throws RestoreRefused {
        String token = ResumeTokens.of(13, 0, "box/sink/laptop/tank/home@c", 4096);
        local.put(TO, new LocalTarget(false, List.of(), token));
        assertEquals(
                List.of(new RestoreStep("tank/home", TO, Kind.RESUME, "c", 13, null, 0, token, false)),
                plan("tank/home", null, false, false, null));
        assertEquals(
                "new/home holds an interrupted restore of @c, not @a: run the restore again without @SNAPSHOT to"
                        + " finish it, or discard it with 'zfs recv -A new/home'",
                refused("tank/home", "a", false, false, null));
        local.put(TO, new LocalTarget(false, List.of(), ResumeTokens.of(77, 0, "box/sink/laptop/tank/home@c", 4096)));
        assertEquals(
                "new/home holds an interrupted restore of @c, which the box no longer holds: discard it with"
                        + " 'zfs recv -A new/home' and restore again",
                refused("tank/home", null, false, false, null));
    }

    @Test
    void anInterruptedRestoreFromABoxThatCannotResumeIsToBeDiscarded() {
        // Cut by an older zreplj that received with -s from a zfs-fuse box: every rerun would plan a resume
        // the box refuses.
        boxResumes = false;
        local.put(TO, new LocalTarget(false, List.of(), ResumeTokens.of(13, 0, "box/sink/laptop/tank/home@c", 4096)));
        assertEquals(
                "new/home holds an interrupted restore, and the box cannot resume sending it (its zfs has no"
                        + " resumable receive): discard it with 'zfs recv -A new/home' and restore again",
                refused("tank/home", null, false, false, null));
    }

    @Test
    void whatTheBoxDoesNotHoldIsRefused() {
        assertEquals(
                "the box holds no filesystem 'tank/nope' for this client; 'zreplj box list' shows what it holds",
                refused("tank/nope", null, false, false, null));
        assertEquals(
                "the box holds no snapshot 'tank/home@zz'; 'zreplj box list' shows what it holds",
                refused("tank/home", "zz", false, false, null));
        assertEquals(
                "the box holds no snapshot 'tank/home/ann@a' (a child of tank/home; restore it on its own with"
                        + " another snapshot); 'zreplj box list' shows what it holds",
                refused("tank/home", "a", true, false, null));
        assertEquals(
                "the box holds no snapshot of 'tank' (it only holds filesystems below it): restore with -r, or"
                        + " name one of those",
                refused("tank", null, false, false, null));
    }

    @Test
    void aNewTopLevelTargetThatWouldBeMountedIsRefused() {
        assertEquals("would mount", refused("tank/home", null, false, false, "would mount"));
    }

    /** A child new below a restored filesystem the user gave a mountpoint: asked too (it was only the top). */
    @Test
    void aNewChildThatWouldBeMountedIsRefusedToo() {
        local.put(TO, new LocalTarget(true, List.of(localSnap(TO, "c", 13, 5)), null));
        DatasetName ann = TO.child("ann");
        RestoreRefused e = assertThrows(
                RestoreRefused.class,
                () -> RestorePlanner.plan(
                        new RestoreRequest("tank/home", null, TO, true, false),
                        BOX,
                        t -> local.getOrDefault(t, LocalTarget.absent()),
                        t -> t.equals(ann) ? ann + " would be mounted at once" : null,
                        boxResumes));
        assertEquals(ann + " would be mounted at once", e.getMessage());
    }
}
