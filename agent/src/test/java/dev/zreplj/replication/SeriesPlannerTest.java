package dev.zreplj.replication;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.zreplj.config.ConflictResolution.InitialReplication;
import dev.zreplj.protocol.RemoteFilesystem;
import dev.zreplj.protocol.RemoteVersion;
import dev.zreplj.protocol.Wire;
import dev.zreplj.zfs.DatasetName;
import dev.zreplj.zfs.ResumeToken;
import dev.zreplj.zfs.VersionType;
import dev.zreplj.zfs.ZfsVersion;
import dev.zreplj.zfs.testing.ResumeTokens;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Consecutive snapshots planned as one {@code zfs send -I} step, and where the planner must not. */
class SeriesPlannerTest {
    private static final DatasetName FS = DatasetName.of("tank/home");
    private static final ReplicationPolicy RECENT = new ReplicationPolicy(InitialReplication.MOST_RECENT, false);
    private static final ReplicationPolicy ALL = new ReplicationPolicy(InitialReplication.ALL, false);
    private static final ReplicationPolicy ROLLBACK = new ReplicationPolicy(InitialReplication.MOST_RECENT, true);

    private static ZfsVersion snap(String name, long guid, long txg) {
        return new ZfsVersion(FS, VersionType.SNAPSHOT, name, guid, txg, Instant.ofEpochSecond(1000 + txg));
    }

    private static ZfsVersion bookmark(String name, long guid, long txg) {
        return new ZfsVersion(FS, VersionType.BOOKMARK, name, guid, txg, Instant.ofEpochSecond(1000 + txg));
    }

    private static RemoteFilesystem receiver(String token, ZfsVersion... versions) {
        return new RemoteFilesystem(
                FS.value(),
                false,
                List.of(versions).stream()
                        .map(v -> new RemoteVersion(v.name(), VersionType.SNAPSHOT, v.guid(), v.createtxg() + 500, 0))
                        .toList(),
                token);
    }

    private static FilesystemPlan.Replicate series(
            List<ZfsVersion> sender, RemoteFilesystem receiver, ReplicationPolicy policy) {
        return assertInstanceOf(
                FilesystemPlan.Replicate.class,
                Planner.plan(FS, sender, receiver, policy, StreamAbilities.RESUMABLE.withSeries(true)));
    }

    private static List<String> steps(FilesystemPlan.Replicate plan) {
        return plan.steps().stream().map(Step::toString).toList();
    }

    private final ZfsVersion a = snap("a", 11, 10);
    private final ZfsVersion b = snap("b", 22, 20);
    private final ZfsVersion c = snap("c", 33, 30);
    private final ZfsVersion d = snap("d", 44, 40);
    private final ZfsVersion e = snap("e", 55, 50);

    @Test
    void consecutiveIncrementsBecomeOneStream() {
        FilesystemPlan.Replicate plan = series(List.of(a, b, c, d, e), receiver(null, a), RECENT);
        assertEquals(List.of(new Step(a, e, false, null, false, List.of(b, c, d))), plan.steps());
        assertEquals(List.of("@a => @e (4 snapshots in one stream)"), steps(plan));
        assertEquals(List.of(b, c, d, e), plan.steps().get(0).snapshots());
    }

    /**
     * Thousands of snapshots since the last replication (a sender not pruned for months) go in streams of at most
     * {@link SeriesPlanner#MAX_SNAPSHOTS}, each continuing the one before: RECV_SERIES names every snapshot in
     * one control frame, which must stay within the box's limit even with names of the longest length.
     */
    @Test
    void thousandsOfSnapshotsGoInSeveralStreamsEachWithinTheFrameLimit() {
        List<ZfsVersion> sender = new ArrayList<>();
        for (int i = 0; i <= 2500; i++) {
            sender.add(snap(String.format("zrepl_%05d", i), 1000 + i, 10 + i));
        }
        FilesystemPlan.Replicate plan = series(sender, receiver(null, sender.get(0)), RECENT);
        assertEquals(
                List.of(
                        "@zrepl_00000 => @zrepl_01000 (1000 snapshots in one stream)",
                        "@zrepl_01000 => @zrepl_02000 (1000 snapshots in one stream)",
                        "@zrepl_02000 => @zrepl_02500 (500 snapshots in one stream)"),
                steps(plan));
        List<ZfsVersion> received = new ArrayList<>();
        plan.steps().forEach(s -> received.addAll(s.snapshots()));
        assertEquals(sender.subList(1, sender.size()), received);
        // {"name":"<255 characters>","guid":18446744073709551615}, and a comma: within 1 MiB with room to spare.
        int longestEntry = "{\"name\":\"\",\"guid\":18446744073709551615},".length() + DatasetName.MAX_LENGTH;
        assertTrue((long) SeriesPlanner.MAX_SNAPSHOTS * longestEntry < Wire.MAX_CONTROL_FROM_CLIENT / 2);
    }

    @Test
    void oneIncrementStaysAPlainStep() {
        assertEquals(
                List.of(new Step(a, b, false)),
                series(List.of(a, b), receiver(null, a), RECENT).steps());
    }

    @Test
    void withoutTheCapabilityEverySnapshotIsItsOwnStep() {
        FilesystemPlan plan = Planner.plan(FS, List.of(a, b, c), receiver(null, a), RECENT, StreamAbilities.RESUMABLE);
        assertEquals(
                List.of("@a -> @b", "@b -> @c"),
                assertInstanceOf(FilesystemPlan.Replicate.class, plan).steps().stream()
                        .map(Step::toString)
                        .toList());
    }

    @Test
    void theFullStreamGoesAloneThenTheRestAsOne() {
        assertEquals(
                List.of("full @a", "@a => @d (3 snapshots in one stream)"),
                steps(series(List.of(a, b, c, d), null, ALL)));
        assertEquals(List.of("full @d"), steps(series(List.of(a, b, c, d), null, RECENT)));
    }

    /** zfs sends no -I from a bookmark: the first step from it stays -i, the ones after it join. */
    @Test
    void aBookmarkBaseSendsItsFirstSnapshotAloneThenTheRestAsOne() {
        ZfsVersion mark = bookmark("a", 11, 10);
        FilesystemPlan.Replicate plan = series(List.of(mark, b, c, d), receiver(null, a), RECENT);
        assertEquals(List.of(new Step(mark, b, false), new Step(b, d, false, null, false, List.of(c))), plan.steps());
        assertEquals(List.of("#a -> @b", "@b => @d (2 snapshots in one stream)"), steps(plan));
    }

    @Test
    void aRollbackAppliesToTheWholeStream() {
        ZfsVersion foreign = snap("foreign", 77, 25);
        FilesystemPlan.Replicate plan = series(List.of(a, b, c, d), receiver(null, a, b, foreign), ROLLBACK);
        assertEquals(List.of(new Step(b, d, true, null, false, List.of(c))), plan.steps());
    }

    /** A cut substream of an -I stream left a token: it is resumed alone, then the rest goes as one stream. */
    @Test
    void aResumedStepGoesAloneThenTheRestAsOne() throws Exception {
        String t = ResumeTokens.of(c.guid(), b.guid(), c.fullName(), 7);
        FilesystemPlan.Replicate plan = series(List.of(a, b, c, d, e), receiver(t, a, b), RECENT);
        assertEquals(
                List.of(
                        new Step(b, c, false, ResumeToken.decode(t), false),
                        new Step(c, e, false, null, false, List.of(d))),
                plan.steps());
        String stale = ResumeTokens.of(d.guid(), a.guid(), d.fullName(), 7);
        plan = series(List.of(a, b, c, d, e), receiver(stale, a, b), RECENT);
        assertEquals(
                List.of(new Step(b, e, false, null, true, List.of(c, d))),
                plan.steps(),
                "the discard of a stale partial receive goes with the first stream");
    }

    @Test
    void aSeriesStartsOnlyFromASnapshotAndResumesNothing() throws Exception {
        ZfsVersion mark = bookmark("a", 11, 10);
        assertThrows(IllegalArgumentException.class, () -> new Step(mark, c, false, null, false, List.of(b)));
        assertThrows(IllegalArgumentException.class, () -> new Step(null, c, false, null, false, List.of(b)));
        ResumeToken t = ResumeToken.decode(ResumeTokens.of(c.guid(), a.guid(), c.fullName(), 7));
        assertThrows(IllegalArgumentException.class, () -> new Step(a, c, false, t, false, List.of(b)));
    }

    /** Whatever the sides hold, the joined plan carries exactly the snapshots of the single-step plan, in order. */
    @Test
    void joinedPlansReceiveTheSameSnapshotsAsSingleSteps() {
        Random random = new Random(11);
        for (int round = 0; round < 2000; round++) {
            List<ZfsVersion> sender = new ArrayList<>();
            int n = 1 + random.nextInt(8);
            for (int i = 0; i < n; i++) {
                String name = "s" + i;
                sender.add(random.nextInt(5) == 0 ? bookmark(name, 100 + i, 10L * i) : snap(name, 100 + i, 10L * i));
            }
            List<ZfsVersion> onBox =
                    sender.stream().filter(v -> random.nextBoolean()).toList();
            RemoteFilesystem receiver = random.nextInt(4) == 0
                    ? null
                    : receiver(
                            null,
                            onBox.stream()
                                    .map(v -> snap(v.name(), v.guid(), v.createtxg()))
                                    .toArray(ZfsVersion[]::new));
            ReplicationPolicy policy = random.nextBoolean() ? ALL : ROLLBACK;
            FilesystemPlan single = Planner.plan(FS, sender, receiver, policy, StreamAbilities.RESUMABLE);
            FilesystemPlan joined =
                    Planner.plan(FS, sender, receiver, policy, StreamAbilities.RESUMABLE.withSeries(true));
            if (!(single instanceof FilesystemPlan.Replicate s)) {
                assertEquals(single, joined);
                continue;
            }
            FilesystemPlan.Replicate j = assertInstanceOf(FilesystemPlan.Replicate.class, joined);
            assertEquals(
                    s.steps().stream().map(Step::to).toList(),
                    j.steps().stream().flatMap(st -> st.snapshots().stream()).toList(),
                    "round " + round);
            assertEquals(s.steps().get(0).from(), j.steps().get(0).from());
            assertEquals(s.steps().get(0).rollback(), j.steps().get(0).rollback());
            for (int i = 1; i < j.steps().size(); i++) {
                assertEquals(j.steps().get(i - 1).to(), j.steps().get(i).from(), "each stream continues the last");
            }
        }
    }
}
