package dev.zreplj.replication;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.zreplj.config.ConflictResolution.InitialReplication;
import dev.zreplj.protocol.RemoteFilesystem;
import dev.zreplj.protocol.RemoteVersion;
import dev.zreplj.zfs.DatasetName;
import dev.zreplj.zfs.ResumeToken;
import dev.zreplj.zfs.VersionType;
import dev.zreplj.zfs.ZfsVersion;
import dev.zreplj.zfs.testing.ResumeTokens;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class PlannerTest {
    private static final DatasetName FS = DatasetName.of("tank/home");
    private static final ReplicationPolicy RECENT = new ReplicationPolicy(InitialReplication.MOST_RECENT, false);
    private static final ReplicationPolicy ALL = new ReplicationPolicy(InitialReplication.ALL, false);

    private static ZfsVersion snap(String name, long guid, long txg) {
        return new ZfsVersion(FS, VersionType.SNAPSHOT, name, guid, txg, Instant.ofEpochSecond(1000 + txg));
    }

    private static ZfsVersion bookmark(String name, long guid, long txg) {
        return new ZfsVersion(FS, VersionType.BOOKMARK, name, guid, txg, Instant.ofEpochSecond(1000 + txg));
    }

    private static RemoteVersion remote(ZfsVersion v) {
        return new RemoteVersion(v.name(), VersionType.SNAPSHOT, v.guid(), v.createtxg() + 500, 0);
    }

    private static RemoteFilesystem receiver(ZfsVersion... versions) {
        return new RemoteFilesystem(
                FS.value(),
                false,
                List.of(versions).stream().map(PlannerTest::remote).toList(),
                null);
    }

    private static List<String> steps(FilesystemPlan plan) {
        return assertInstanceOf(FilesystemPlan.Replicate.class, plan).steps().stream()
                .map(Step::toString)
                .toList();
    }

    private final ZfsVersion a = snap("a", 11, 10);
    private final ZfsVersion b = snap("b", 22, 20);
    private final ZfsVersion c = snap("c", 33, 30);
    private final ZfsVersion d = snap("d", 44, 40);

    @Test
    void noSenderSnapshotsMeansNothingToSend() {
        assertInstanceOf(FilesystemPlan.NoSnapshots.class, Planner.plan(FS, List.of(), null, RECENT));
        assertInstanceOf(
                FilesystemPlan.NoSnapshots.class, Planner.plan(FS, List.of(bookmark("x", 1, 1)), null, RECENT));
    }

    @Test
    void initialMostRecentSendsNewestInFull() {
        assertEquals(List.of("full @c"), steps(Planner.plan(FS, List.of(c, a, b), null, RECENT)));
    }

    @Test
    void initialAllSendsOldestInFullThenEachIncrement() {
        assertEquals(List.of("full @a", "@a -> @b", "@b -> @c"), steps(Planner.plan(FS, List.of(b, c, a), null, ALL)));
    }

    @Test
    void initialFailIsAConflict() {
        FilesystemPlan plan = Planner.plan(FS, List.of(a), null, new ReplicationPolicy(InitialReplication.FAIL, false));
        assertTrue(
                assertInstanceOf(FilesystemPlan.Conflict.class, plan).reason().contains("'fail'"));
    }

    @Test
    void initialOverPlaceholderReceivesWithRollbackFlag() {
        RemoteFilesystem placeholder = new RemoteFilesystem(FS.value(), true, List.of(), null);
        FilesystemPlan.Replicate plan =
                assertInstanceOf(FilesystemPlan.Replicate.class, Planner.plan(FS, List.of(a, b), placeholder, RECENT));
        assertEquals(List.of(new Step(null, b, true)), plan.steps());
    }

    @Test
    void existingNonPlaceholderWithoutSnapshotsIsNotOverwritten() {
        RemoteFilesystem foreign = new RemoteFilesystem(FS.value(), false, List.of(), null);
        assertInstanceOf(FilesystemPlan.Conflict.class, Planner.plan(FS, List.of(a), foreign, RECENT));
    }

    @Test
    void incrementalFromNewestCommonSnapshot() {
        assertEquals(
                List.of("@b -> @c", "@c -> @d"), steps(Planner.plan(FS, List.of(a, b, c, d), receiver(a, b), RECENT)));
    }

    @Test
    void upToDateWhenReceiverHasNewest() {
        FilesystemPlan plan = Planner.plan(FS, List.of(a, b), receiver(a, b), RECENT);
        assertEquals("b", assertInstanceOf(FilesystemPlan.UpToDate.class, plan).newest());
    }

    @Test
    void receiverMissingOlderSnapshotsIsFine() {
        // The receiver pruned @a; @b is still common.
        assertEquals(List.of("@b -> @c"), steps(Planner.plan(FS, List.of(a, b, c), receiver(b), RECENT)));
    }

    @Test
    void matchesByGuidNotByName() {
        ZfsVersion impostor = snap("b", 999, 20);
        FilesystemPlan plan = Planner.plan(FS, List.of(a, b, c), receiver(a, impostor), RECENT);
        // @b on the receiver is a different snapshot: it is newer than the common @a, so the receiver diverged.
        FilesystemPlan.Conflict conflict = assertInstanceOf(FilesystemPlan.Conflict.class, plan);
        assertTrue(conflict.reason().contains("diverged"), conflict.reason());
        assertTrue(conflict.reason().contains("@b"), conflict.reason());
    }

    @Test
    void divergedReceiverIsAConflictUnlessRollbackAllowed() {
        ZfsVersion x = snap("x", 77, 25);
        FilesystemPlan plan = Planner.plan(FS, List.of(a, b, c), receiver(a, b, x), RECENT);
        String reason = assertInstanceOf(FilesystemPlan.Conflict.class, plan).reason();
        assertEquals(
                "receiver has diverged: the sender no longer has @x, which the box got after the common snapshot @b"
                        + " (the sender was rolled back, or it was destroyed there); to send on from @b, set"
                        + " conflict_resolution.allow_rollback: true, which destroys it on the box",
                reason);

        FilesystemPlan.Replicate allowed = assertInstanceOf(
                FilesystemPlan.Replicate.class,
                Planner.plan(
                        FS,
                        List.of(a, b, c),
                        receiver(a, b, x),
                        new ReplicationPolicy(InitialReplication.MOST_RECENT, true)));
        assertEquals(List.of(new Step(b, c, true)), allowed.steps());
    }

    @Test
    void noCommonSnapshotIsAConflictEvenWithRollback() {
        ZfsVersion foreign = snap("z", 555, 5);
        for (boolean rollback : new boolean[] {false, true}) {
            FilesystemPlan plan = Planner.plan(
                    FS,
                    List.of(a, b),
                    receiver(foreign),
                    new ReplicationPolicy(InitialReplication.MOST_RECENT, rollback));
            assertTrue(assertInstanceOf(FilesystemPlan.Conflict.class, plan)
                    .reason()
                    .startsWith("no common snapshot"));
        }
    }

    @Test
    void incrementalFromBookmarkWhenSnapshotWasPruned() {
        ZfsVersion bm = bookmark("b", 22, 20);
        // The sender destroyed @b but kept #b; the receiver has @b.
        assertEquals(List.of("#b -> @c"), steps(Planner.plan(FS, List.of(a, bm, c), receiver(a, b), RECENT)));
    }

    /**
     * @b was replicated, pruned down to the cursor bookmark, and a new @b taken: the step #b -> @b would be
     * refused by zfs recv on every pass ("already exists"); it is a conflict that says what to do.
     */
    @Test
    void aNameTheBoxGivesAnotherSnapshotIsAConflict() {
        ZfsVersion cursor = bookmark("zrepl_CURSOR_G_16_J_j", 22, 20);
        ZfsVersion again = snap("b", 99, 40);
        String reason = assertInstanceOf(
                        FilesystemPlan.Conflict.class, Planner.plan(FS, List.of(cursor, again), receiver(a, b), RECENT))
                .reason();
        assertEquals(
                "the receiver's @b is another snapshot than the sender's (a snapshot of that name was taken again"
                        + " after the box got the first), so it cannot be sent; rename the sender's (zfs rename"
                        + " tank/home@b tank/home@NEWNAME)",
                reason);
        // One the rollback destroys on the box is no obstacle.
        ZfsVersion x = snap("x", 77, 25);
        ZfsVersion newX = snap("x", 78, 50);
        assertEquals(
                List.of(new Step(b, newX, true)),
                assertInstanceOf(
                                FilesystemPlan.Replicate.class,
                                Planner.plan(
                                        FS,
                                        List.of(a, b, newX),
                                        receiver(a, b, x),
                                        new ReplicationPolicy(InitialReplication.MOST_RECENT, true)))
                        .steps());
    }

    @Test
    void snapshotPreferredOverBookmarkOfSameGuid() {
        ZfsVersion bm = bookmark("b", 22, 20);
        assertEquals(List.of("@b -> @c"), steps(Planner.plan(FS, List.of(bm, b, c), receiver(b), RECENT)));
        assertEquals(List.of("@b -> @c"), steps(Planner.plan(FS, List.of(b, bm, c), receiver(b), RECENT)));
    }

    @Test
    void describesManyDivergedSnapshotsBriefly() {
        List<ZfsVersion> extra = new ArrayList<>(List.of(a));
        for (int i = 0; i < 6; i++) extra.add(snap("n" + i, 1000 + i, 100 + i));
        String reason = assertInstanceOf(
                        FilesystemPlan.Conflict.class,
                        Planner.plan(FS, List.of(a, b), receiver(extra.toArray(ZfsVersion[]::new)), RECENT))
                .reason();
        assertTrue(reason.contains("@n0, @n1, @n2 and 3 more"), reason);
        assertTrue(
                reason.contains("or they were destroyed there") && reason.endsWith("destroys them on the box"), reason);
    }

    /** Randomized: whatever prefix the receiver has, the steps form a chain ending at the sender's newest. */
    @Test
    void stepsAlwaysChainFromCommonBaseToNewest() {
        Random random = new Random(42);
        for (int round = 0; round < 500; round++) {
            int n = 1 + random.nextInt(12);
            List<ZfsVersion> sender = new ArrayList<>();
            for (int i = 0; i < n; i++) sender.add(snap("s" + i, 100 + i, 10L * (i + 1)));
            int have = random.nextInt(n + 1);
            List<ZfsVersion> shuffled = new ArrayList<>(sender);
            Collections.shuffle(shuffled, random);
            RemoteFilesystem recv = have == 0
                    ? null
                    : receiver(sender.subList(random.nextInt(have), have).toArray(ZfsVersion[]::new));
            FilesystemPlan plan = Planner.plan(FS, shuffled, recv, ALL);
            if (have == n) {
                assertInstanceOf(FilesystemPlan.UpToDate.class, plan);
                continue;
            }
            List<Step> steps =
                    assertInstanceOf(FilesystemPlan.Replicate.class, plan).steps();
            assertEquals(sender.get(n - 1), steps.get(steps.size() - 1).to());
            assertEquals(have == 0 ? null : sender.get(have - 1), steps.get(0).from());
            for (int i = 1; i < steps.size(); i++)
                assertEquals(steps.get(i - 1).to(), steps.get(i).from());
            assertEquals(have == 0 ? n : n - have, steps.size());
        }
    }

    @Test
    void newestCommonIsTheNewestSenderVersionTheReceiverHas() {
        assertEquals(java.util.Optional.empty(), Planner.newestCommon(List.of(a, b), null));
        assertEquals(java.util.Optional.empty(), Planner.newestCommon(List.of(a, b), receiver()));
        assertEquals(java.util.Optional.of(b), Planner.newestCommon(List.of(d, a, b, c), receiver(a, b)));
        ZfsVersion cursorOfC = bookmark("zrepl_CURSOR_G_0000000000000021_J_j", 33, 30);
        assertEquals(
                java.util.Optional.of(cursorOfC),
                Planner.newestCommon(List.of(a, cursorOfC, d), receiver(a, c)),
                "a bookmark of a snapshot the receiver has counts when the snapshot itself is gone");
        assertEquals(
                java.util.Optional.of(c),
                Planner.newestCommon(List.of(a, cursorOfC, c, d), receiver(a, c)),
                "the snapshot wins over its bookmark");
    }

    // --- a partial receive on the box ------------------------------------------------------------------

    private static RemoteFilesystem partial(boolean placeholder, String token, ZfsVersion... versions) {
        return new RemoteFilesystem(
                FS.value(),
                placeholder,
                List.of(versions).stream().map(PlannerTest::remote).toList(),
                token);
    }

    private static String token(ZfsVersion from, ZfsVersion to, long bytes) {
        return ResumeTokens.of(to.guid(), from == null ? 0 : from.guid(), to.fullName(), bytes);
    }

    private static FilesystemPlan.Replicate replicate(FilesystemPlan plan) {
        return assertInstanceOf(FilesystemPlan.Replicate.class, plan);
    }

    @Test
    void cutFullReceiveIsResumedThenTheRestFollows() throws Exception {
        // The box created the filesystem with the cut receive; it need not say placeholder.
        for (boolean placeholder : List.of(true, false)) {
            String t = token(null, b, 104857600);
            FilesystemPlan.Replicate plan =
                    replicate(Planner.plan(FS, List.of(a, b, c), partial(placeholder, t), RECENT));
            assertEquals(
                    List.of(new Step(null, b, false, ResumeToken.decode(t), false), new Step(b, c, false)),
                    plan.steps());
            assertEquals(List.of("full @b (resumed at 104857600 bytes)", "@b -> @c"), steps(plan));
            assertEquals(List.of(), plan.events());
        }
        String newest = token(null, c, 5);
        assertEquals(
                List.of("full @c (resumed at 5 bytes)"),
                steps(Planner.plan(FS, List.of(a, b, c), partial(true, newest), RECENT)));
        assertEquals(
                List.of("full @c (resumed at 5 bytes)"),
                steps(Planner.plan(FS, List.of(a, b, c), partial(true, newest), ALL)),
                "ALL resumes the cut full stream, not the oldest snapshot");
    }

    /**
     * A first receive cut at @b, then initial_replication switched from all to most_recent: the resumed @b is the
     * filesystem's first snapshot on the box, and what follows it goes as any incremental replication does, every
     * snapshot (zrepl resumes first, then replicates incrementally). Only the plan's own targets after it sent @b
     * -> @d, and @c was never replicated (once the cursor passed it, the sender's keep rules could destroy it).
     */
    @Test
    void afterAResumedFullStreamEverySnapshotFollows() throws Exception {
        String t = token(null, b, 7);
        assertEquals(
                List.of("full @b (resumed at 7 bytes)", "@b -> @c", "@c -> @d"),
                steps(Planner.plan(FS, List.of(a, b, c, d), partial(true, t), RECENT)));
    }

    @Test
    void cutIncrementalReceiveIsResumedThenTheRestFollows() throws Exception {
        String t = token(b, c, 7);
        FilesystemPlan.Replicate plan =
                replicate(Planner.plan(FS, List.of(a, b, c, d), partial(false, t, a, b), RECENT));
        assertEquals(List.of(new Step(b, c, false, ResumeToken.decode(t), false), new Step(c, d, false)), plan.steps());
        assertEquals(List.of(), plan.events());
        // incremental over several snapshots at once (planned by an older pass)
        assertEquals(
                List.of("@b -> @d (resumed at 9 bytes)"),
                steps(Planner.plan(FS, List.of(a, b, c, d), partial(false, token(b, d, 9), a, b), RECENT)));
    }

    @Test
    void tokenForASnapshotTheSenderLostIsDiscarded() {
        ZfsVersion lost = snap("lost", 99, 25);
        FilesystemPlan.Replicate plan =
                replicate(Planner.plan(FS, List.of(a, b, c), partial(false, token(b, lost, 3), a, b), RECENT));
        assertEquals(List.of(new Step(b, c, false, null, true)), plan.steps());
        assertEquals(List.of("discarded a stale partial receive of @lost: the sender no longer has it"), plan.events());

        FilesystemPlan.Replicate full =
                replicate(Planner.plan(FS, List.of(a, c), partial(true, token(null, b, 3)), RECENT));
        assertEquals(List.of(new Step(null, c, true, null, true)), full.steps(), "over the partial filesystem: -F");
        assertEquals(List.of("discarded a stale partial receive of @b: the sender no longer has it"), full.events());

        // The token is the box's: the name in it is printed as safely as the box's other words.
        String forged = ResumeTokens.of(99, b.guid(), FS.value() + "@x\n\u001b[2J", 3);
        assertEquals(
                List.of("discarded a stale partial receive of @x\\x0a\\x1b[2J: the sender no longer has it"),
                replicate(Planner.plan(FS, List.of(a, b, c), partial(false, forged, a, b), RECENT))
                        .events());
    }

    @Test
    void tokenFromAnotherBaseIsDiscarded() {
        FilesystemPlan.Replicate plan =
                replicate(Planner.plan(FS, List.of(a, b, c), partial(false, token(a, c, 3), a, b), RECENT));
        assertEquals(List.of(new Step(b, c, false, null, true)), plan.steps());
        assertEquals(
                List.of("discarded a stale partial receive of @c: it was incremental from another base, the"
                        + " next step is @b -> @c"),
                plan.events());

        FilesystemPlan.Replicate fullToken =
                replicate(Planner.plan(FS, List.of(a, b, c), partial(false, token(null, c, 3), a, b), RECENT));
        assertEquals(List.of(new Step(b, c, false, null, true)), fullToken.steps());
        assertEquals(
                List.of("discarded a stale partial receive of @c: it was a full stream, the next step is"
                        + " @b -> @c"),
                fullToken.events());

        FilesystemPlan.Replicate incrementalOnEmpty =
                replicate(Planner.plan(FS, List.of(a, b, c), partial(true, token(a, b, 3)), RECENT));
        assertEquals(List.of(new Step(null, c, true, null, true)), incrementalOnEmpty.steps());
        assertTrue(
                incrementalOnEmpty
                        .events()
                        .get(0)
                        .startsWith(
                                "discarded a stale partial receive of @b: it was" + " incremental from another base"),
                incrementalOnEmpty.events()::toString);
    }

    @Test
    void tokenOnADivergedReceiverIsDiscardedBeforeTheRollback() {
        ReplicationPolicy rollback = new ReplicationPolicy(InitialReplication.MOST_RECENT, true);
        ZfsVersion foreign = snap("foreign", 77, 25);
        FilesystemPlan.Replicate plan =
                replicate(Planner.plan(FS, List.of(a, b, c), partial(false, token(b, c, 3), a, b, foreign), rollback));
        assertEquals(List.of(new Step(b, c, true, null, true)), plan.steps());
        assertEquals(
                List.of("discarded a stale partial receive of @c: the receiver is rolled back to @b first"),
                plan.events());
    }

    @Test
    void undecodableTokenIsDiscardedWithItsReason() {
        FilesystemPlan.Replicate plan =
                replicate(Planner.plan(FS, List.of(a, b, c), partial(false, "1-zz", a, b), RECENT));
        assertEquals(List.of(new Step(b, c, false, null, true)), plan.steps());
        assertEquals(
                List.of("discarded a partial receive on the box whose token cannot be read (invalid zfs resume"
                        + " token: it is not of the form <version>-<checksum>-<length>-<hex payload>)"),
                plan.events());
    }

    @Test
    void withoutResumeSupportThePartialReceiveIsDiscarded() {
        FilesystemPlan.Replicate plan = replicate(Planner.plan(
                FS,
                List.of(a, b, c),
                partial(false, token(b, c, 3), a, b),
                RECENT,
                StreamAbilities.RESUMABLE.withResume(false)));
        assertEquals(List.of(new Step(b, c, false, null, true)), plan.steps());
        assertEquals(
                List.of("discarded a partial receive of @c: resuming needs 'zfs send -t' on this machine and"
                        + " resumable receives the box can check"),
                plan.events());
    }

    /**
     * zfs send -t takes the stream's flags from the token, which the box writes: a hostile box's token without
     * rawok would make a job that sends raw (send.encrypted) send its encrypted filesystem decrypted, plaintext
     * to a box that must never see it. A token whose raw flag differs from the job's is discarded, not resumed.
     */
    @Test
    void aTokenWhoseRawFlagDiffersFromTheJobsIsDiscarded() throws Exception {
        String plain = token(b, c, 3);
        FilesystemPlan.Replicate forged = replicate(Planner.plan(
                FS, List.of(a, b, c), partial(false, plain, a, b), RECENT, StreamAbilities.RESUMABLE.withRaw(true)));
        assertEquals(List.of(new Step(b, c, false, null, true)), forged.steps(), "never zfs send -t without -w");
        assertEquals(
                List.of(
                        "discarded a partial receive of @c: its stream was not raw, and this job sends this filesystem raw"),
                forged.events());
        String raw = ResumeTokens.of(c.guid(), b.guid(), c.fullName(), 3, true);
        assertEquals(
                List.of(new Step(b, c, false, ResumeToken.decode(raw), false)),
                replicate(Planner.plan(
                                FS,
                                List.of(a, b, c),
                                partial(false, raw, a, b),
                                RECENT,
                                StreamAbilities.RESUMABLE.withRaw(true)))
                        .steps());
        FilesystemPlan.Replicate rawForPlain = replicate(
                Planner.plan(FS, List.of(a, b, c), partial(false, raw, a, b), RECENT, StreamAbilities.RESUMABLE));
        assertEquals(List.of(new Step(b, c, false, null, true)), rawForPlain.steps());
        assertEquals(
                List.of(
                        "discarded a partial receive of @c: its stream was raw, and this job does not send this filesystem raw"),
                rawForPlain.events());
    }

    @Test
    void aTokenChangesNothingWhenThereIsNothingToSend() {
        assertInstanceOf(
                FilesystemPlan.UpToDate.class,
                Planner.plan(FS, List.of(a, b), partial(false, token(b, snap("x", 5, 30), 3), a, b), RECENT));
        assertInstanceOf(
                FilesystemPlan.NoSnapshots.class, Planner.plan(FS, List.of(), partial(true, "garbage"), RECENT));
    }

    /**
     * initial_replication 'fail' refuses to start a first replication, not to finish one the user let start: the
     * partial first receive is resumed, then the snapshots after it follow (as zrepl resumes before it plans).
     */
    @Test
    void aPartialFirstReceiveIsResumedUnderInitialReplicationFail() throws Exception {
        ReplicationPolicy fail = new ReplicationPolicy(InitialReplication.FAIL, false);
        String t = token(null, b, 4096);
        FilesystemPlan.Replicate plan = replicate(Planner.plan(FS, List.of(a, b, c), partial(true, t), fail));
        assertEquals(
                List.of(new Step(null, b, false, ResumeToken.decode(t), false), new Step(b, c, false)), plan.steps());
        assertEquals(
                List.of(new Step(null, a, false, ResumeToken.decode(token(null, a, 3)), false)),
                replicate(Planner.plan(FS, List.of(a), partial(false, token(null, a, 3)), fail))
                        .steps());
    }

    /** What cannot be resumed would need a new initial replication: a conflict that says how to allow it. */
    @Test
    void aPartialFirstReceiveThatCannotBeResumedIsAConflictUnderInitialReplicationFail() {
        ReplicationPolicy fail = new ReplicationPolicy(InitialReplication.FAIL, false);
        String gone = token(null, snap("x", 5, 30), 3);
        FilesystemPlan.Conflict stale = assertInstanceOf(
                FilesystemPlan.Conflict.class, Planner.plan(FS, List.of(a, b), partial(true, gone), fail));
        assertEquals(
                "the receiver holds a partial first receive of @x that cannot be resumed (the sender no longer has"
                        + " it), and conflict_resolution.initial_replication is 'fail': to start over with a new full"
                        + " send, set initial_replication to most_recent or all",
                stale.reason());
        FilesystemPlan.Conflict cannot = assertInstanceOf(
                FilesystemPlan.Conflict.class,
                Planner.plan(
                        FS,
                        List.of(a, b),
                        partial(true, token(null, b, 3)),
                        fail,
                        StreamAbilities.RESUMABLE.withResume(false)));
        assertTrue(cannot.reason().contains("resuming needs 'zfs send -t'"), cannot.reason());
        assertInstanceOf(
                FilesystemPlan.Conflict.class, Planner.plan(FS, List.of(a, b), partial(true, "garbage"), fail));
        // The box wrote the token: one that is not raw for a job that sends raw would send plaintext.
        FilesystemPlan.Conflict notRaw = assertInstanceOf(
                FilesystemPlan.Conflict.class,
                Planner.plan(
                        FS,
                        List.of(a, b),
                        partial(true, token(null, b, 3)),
                        fail,
                        StreamAbilities.RESUMABLE.withRaw(true)));
        assertTrue(notRaw.reason().contains("its stream was not raw, and this job sends raw"), notRaw.reason());
        String raw = ResumeTokens.of(b.guid(), 0, b.fullName(), 3, true);
        assertInstanceOf(
                FilesystemPlan.Replicate.class,
                Planner.plan(FS, List.of(a, b), partial(true, raw), fail, StreamAbilities.RESUMABLE.withRaw(true)));
    }

    @Test
    void aResumedStepNeitherRollsBackNorDiscards() throws Exception {
        ResumeToken t = ResumeToken.decode(token(null, b, 1));
        assertThrows(IllegalArgumentException.class, () -> new Step(null, b, true, t, false));
        assertThrows(IllegalArgumentException.class, () -> new Step(null, b, false, t, true));
    }
}
