package dev.zreplj.prune;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.zreplj.protocol.RemoteFilesystem;
import dev.zreplj.protocol.RemoteVersion;
import dev.zreplj.pruning.KeepRule;
import dev.zreplj.pruning.KeepRules;
import dev.zreplj.pruning.PruneCandidate;
import dev.zreplj.zfs.DatasetName;
import dev.zreplj.zfs.VersionType;
import dev.zreplj.zfs.ZfsVersion;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

class PrunePlannerTest {
    private static final DatasetName FS = DatasetName.of("tank/home");
    private static final KeepRule NOT_REPLICATED = new KeepRule.NotReplicated(true);

    private static ZfsVersion snap(int i) {
        return new ZfsVersion(
                FS, VersionType.SNAPSHOT, "zrepl_" + i, 1000 + i, 10L * i, Instant.ofEpochSecond(100L * i));
    }

    private static ZfsVersion bookmarkOf(ZfsVersion s) {
        return new ZfsVersion(FS, VersionType.BOOKMARK, "zrepl_CURSOR_G_x_J_j", s.guid(), s.createtxg(), s.creation());
    }

    private static List<ZfsVersion> snaps(int n) {
        List<ZfsVersion> out = new ArrayList<>();
        for (int i = 1; i <= n; i++) out.add(snap(i));
        return out;
    }

    /** A rule that keeps nothing, so only the planner's guards keep anything (an empty list would keep all). */
    private static final List<KeepRule> KEEP_NONE = List.of(new KeepRule.Regex(Pattern.compile("^keep-none$"), false));

    @Test
    void anEmptyRuleListKeepsEverythingOnBothSidesAsInZrepl() {
        FilesystemPrunePlan sender = PrunePlanner.sender(FS.value(), snaps(4), Optional.of(snap(4)), List.of());
        assertEquals(List.of(), destroyed(sender), "keep_sender: []");
        assertEquals(4, sender.decisions().size());
        assertTrue(sender.decisions().stream()
                .allMatch(d -> d.reason().equals(PrunePlanner.NO_RULES) && !d.overridesRules()));
        FilesystemPrunePlan receiver = PrunePlanner.receiver(receiver(snaps(5)), snaps(5), List.of());
        assertEquals(List.of(), destroyed(receiver), "keep_receiver: []");
        assertEquals(5, receiver.decisions().size());
        assertEquals(PrunePlanner.NO_RULES, reason(receiver, "zrepl_1"));
    }

    /**
     * The box's copy was rolled back to zrepl_1 (or lost zrepl_2 and zrepl_3) while the cursor says zrepl_3: the
     * sender keeps zrepl_1, the only incremental base left, where the box's listing is at hand (the audit's
     * case: without it, last_n 1 destroyed zrepl_1 and zrepl_2 and the next pass needed a full send).
     */
    /**
     * The box's listing only ever adds a keep on the sender: whatever guids a hostile box claims (the sender's own, of
     * snapshots it never got, made up), the sender destroys a subset of what it destroys without the box's listing,
     * which the local cursor and the rules alone decide.
     */
    @Test
    void whateverTheBoxListsTheSenderDestroysNoMoreThanWithoutItsListing() {
        Random random = new Random(42);
        for (int round = 0; round < 2000; round++) {
            int n = 1 + random.nextInt(8);
            List<ZfsVersion> versions = new ArrayList<>(snaps(n));
            if (random.nextBoolean()) versions.add(bookmarkOf(snap(1 + random.nextInt(n))));
            Optional<ZfsVersion> cursor =
                    random.nextInt(4) == 0 ? Optional.empty() : Optional.of(snap(1 + random.nextInt(n)));
            List<KeepRule> rules = switch (random.nextInt(3)) {
                case 0 -> KEEP_NONE;
                case 1 -> List.of(lastN(1 + random.nextInt(3)));
                default -> List.of(NOT_REPLICATED, lastN(1));
            };
            Set<Long> claimed = new java.util.HashSet<>();
            for (int i = 0; i < 4; i++) {
                claimed.add(
                        random.nextBoolean() ? snap(1 + random.nextInt(n + 2)).guid() : random.nextLong());
            }
            List<String> honest = destroyed(PrunePlanner.sender(FS.value(), versions, cursor, rules, Optional.empty()));
            List<String> forged =
                    destroyed(PrunePlanner.sender(FS.value(), versions, cursor, rules, Optional.of(claimed)));
            assertTrue(honest.containsAll(forged), "claimed " + claimed + ": " + forged + " not within " + honest);
        }
    }

    @Test
    void theNewestSnapshotTheBoxStillHasStaysOnTheSender() {
        List<ZfsVersion> versions = snaps(3);
        FilesystemPrunePlan known = PrunePlanner.sender(
                FS.value(), versions, Optional.of(snap(3)), List.of(lastN(1)), Optional.of(Set.of(snap(1).guid())));
        assertEquals(List.of("zrepl_2"), destroyed(known));
        assertEquals(PrunePlanner.BOX_BASE, reason(known, "zrepl_1"));
        FilesystemPrunePlan unknown =
                PrunePlanner.sender(FS.value(), versions, Optional.of(snap(3)), List.of(lastN(1)), Optional.empty());
        assertEquals(List.of("zrepl_1", "zrepl_2"), destroyed(unknown), "no listing of the box: the cursor decides");
        // A bookmark of that guid is the base as well: the snapshot may go.
        List<ZfsVersion> marked = new ArrayList<>(versions);
        marked.add(bookmarkOf(snap(1)));
        assertEquals(
                List.of("zrepl_1", "zrepl_2"),
                destroyed(PrunePlanner.sender(
                        FS.value(),
                        marked,
                        Optional.of(snap(3)),
                        List.of(lastN(1)),
                        Optional.of(Set.of(snap(1).guid())))));
        // The usual case, the box at the cursor: nothing more is kept than without the listing.
        assertEquals(
                destroyed(unknown),
                destroyed(PrunePlanner.sender(
                        FS.value(),
                        versions,
                        Optional.of(snap(3)),
                        List.of(lastN(1)),
                        Optional.of(Set.of(snap(3).guid(), snap(1).guid())))));
    }

    private static KeepRule lastN(int n) {
        return new KeepRule.LastN(n, Pattern.compile("^zrepl_"));
    }

    private static List<String> destroyed(FilesystemPrunePlan plan) {
        return plan.toDestroy().stream().map(Decision::name).toList();
    }

    private static String reason(FilesystemPrunePlan plan, String name) {
        return plan.decisions().stream()
                .filter(d -> d.name().equals(name))
                .findFirst()
                .orElseThrow()
                .reason();
    }

    @Test
    void senderDestroysWhatNoRuleKeepsAtOrBeforeTheCursor() {
        FilesystemPrunePlan plan =
                PrunePlanner.sender(FS.value(), snaps(6), Optional.of(snap(5)), List.of(NOT_REPLICATED, lastN(2)));
        assertEquals(List.of("zrepl_1", "zrepl_2", "zrepl_3", "zrepl_4"), destroyed(plan));
        assertEquals("rule 1 not_replicated", reason(plan, "zrepl_5"), "the cursor snapshot is kept by the rule");
        assertEquals("rule 1 not_replicated", reason(plan, "zrepl_6"));
        FilesystemPrunePlan second =
                PrunePlanner.sender(FS.value(), snaps(6), Optional.of(snap(5)), List.of(lastN(3), NOT_REPLICATED));
        assertEquals(List.of("zrepl_1", "zrepl_2", "zrepl_3"), destroyed(second));
        assertEquals("rule 1 last_n(count=3, regex=^zrepl_)", reason(second, "zrepl_4"));
        assertEquals("rule 1 last_n(count=3, regex=^zrepl_)", reason(second, "zrepl_6"), "the first keeping rule");
        assertTrue(plan.decisions().stream().noneMatch(Decision::overridesRules));
        assertNull(plan.skipped());
    }

    @Test
    void senderNeverDestroysTheCursorNorAnythingNewerWhateverTheRules() {
        FilesystemPrunePlan plan = PrunePlanner.sender(FS.value(), snaps(6), Optional.of(snap(3)), List.of(lastN(1)));
        assertEquals(List.of("zrepl_1", "zrepl_2"), destroyed(plan));
        assertEquals(PrunePlanner.CURSOR, reason(plan, "zrepl_3"));
        assertEquals(PrunePlanner.UNREPLICATED, reason(plan, "zrepl_4"));
        assertEquals(PrunePlanner.UNREPLICATED, reason(plan, "zrepl_5"));
        assertEquals("rule 1 last_n(count=1, regex=^zrepl_)", reason(plan, "zrepl_6"));
        assertEquals(
                List.of("zrepl_3", "zrepl_4", "zrepl_5"),
                plan.decisions().stream()
                        .filter(Decision::overridesRules)
                        .map(Decision::name)
                        .toList());

        FilesystemPrunePlan none = PrunePlanner.sender(FS.value(), snaps(4), Optional.of(snap(2)), KEEP_NONE);
        assertEquals(List.of("zrepl_1"), destroyed(none), "a rule keeping nothing still spares the cursor and newer");
    }

    @Test
    void withoutACursorTheSenderDestroysNothing() {
        FilesystemPrunePlan plan = PrunePlanner.sender(FS.value(), snaps(5), Optional.empty(), List.of(lastN(1)));
        assertEquals(List.of(), destroyed(plan));
        assertEquals(PrunePlanner.NO_CURSOR, reason(plan, "zrepl_1"));
        assertEquals("rule 1 last_n(count=1, regex=^zrepl_)", reason(plan, "zrepl_5"));
    }

    @Test
    void aCursorBookmarkWorksWhenItsSnapshotIsGoneAndBookmarksAreNeverCandidates() {
        List<ZfsVersion> versions = new ArrayList<>(snaps(5));
        ZfsVersion mark = bookmarkOf(snap(3));
        versions.remove(2);
        versions.add(mark);
        FilesystemPrunePlan plan = PrunePlanner.sender(FS.value(), versions, Optional.of(mark), KEEP_NONE);
        assertEquals(List.of("zrepl_1", "zrepl_2"), destroyed(plan));
        assertEquals(4, plan.decisions().size(), "four snapshots, the bookmark is not one");
    }

    /**
     * zrepl's not_replicated keeps the snapshot whose guid the cursor names. With the clock set back after
     * zrepl_2 was taken, the cursor's zrepl_3 is older by creation than zrepl_2: keeping the newest
     * replicated by creation destroyed the cursor's snapshot and kept zrepl_2.
     */
    @Test
    void notReplicatedKeepsTheSnapshotTheCursorBookmarkNamesWhenTheClockWentBack() {
        ZfsVersion one = snap(1);
        ZfsVersion two = new ZfsVersion(FS, VersionType.SNAPSHOT, "zrepl_2", 1002, 20, Instant.ofEpochSecond(2000));
        ZfsVersion three = new ZfsVersion(FS, VersionType.SNAPSHOT, "zrepl_3", 1003, 30, Instant.ofEpochSecond(1500));
        ZfsVersion mark = bookmarkOf(three);
        FilesystemPrunePlan plan = PrunePlanner.sender(
                FS.value(), List.of(one, two, three, mark), Optional.of(mark), List.of(NOT_REPLICATED));
        assertEquals(List.of("zrepl_1", "zrepl_2"), destroyed(plan));
        assertEquals("rule 1 not_replicated", reason(plan, "zrepl_3"));
    }

    @Test
    void aCursorBookmarkLetsTheRulesDestroyTheSnapshotItMarksButNothingNewer() {
        List<ZfsVersion> versions = new ArrayList<>(snaps(5));
        ZfsVersion mark = bookmarkOf(snap(3));
        versions.add(mark);
        FilesystemPrunePlan plan = PrunePlanner.sender(FS.value(), versions, Optional.of(mark), List.of(lastN(1)));
        assertEquals(
                List.of("zrepl_1", "zrepl_2", "zrepl_3"),
                destroyed(plan),
                "the bookmark, not the snapshot, is the incremental base");
        assertEquals(PrunePlanner.UNREPLICATED, reason(plan, "zrepl_4"));
        assertEquals("rule 1 last_n(count=1, regex=^zrepl_)", reason(plan, "zrepl_5"));
        FilesystemPrunePlan atCursor =
                PrunePlanner.sender(FS.value(), versions, Optional.of(mark), List.of(NOT_REPLICATED));
        assertEquals(List.of("zrepl_1", "zrepl_2"), destroyed(atCursor), "keep_snapshot_at_cursor keeps it");
        assertEquals("rule 1 not_replicated", reason(atCursor, "zrepl_3"));
        FilesystemPrunePlan notAtCursor = PrunePlanner.sender(
                FS.value(), versions, Optional.of(mark), List.of(new KeepRule.NotReplicated(false)));
        assertEquals(List.of("zrepl_1", "zrepl_2", "zrepl_3"), destroyed(notAtCursor));
    }

    @Test
    void senderAgreesWithTestPruneOnTheSameListWithTheCursorAsReplicated() {
        Random r = new Random(7);
        for (int round = 0; round < 300; round++) {
            List<ZfsVersion> all = snaps(1 + r.nextInt(15));
            ZfsVersion cursor = all.get(r.nextInt(all.size()));
            List<KeepRule> rules = new ArrayList<>();
            if (r.nextBoolean()) rules.add(NOT_REPLICATED);
            if (r.nextBoolean()) rules.add(lastN(1 + r.nextInt(5)));
            if (r.nextBoolean()) rules.add(new KeepRule.Regex(Pattern.compile("[27]$"), false));
            List<ZfsVersion> shuffled = new ArrayList<>(all);
            Collections.shuffle(shuffled, r);
            FilesystemPrunePlan plan = PrunePlanner.sender(FS.value(), shuffled, Optional.of(cursor), rules);
            List<PruneCandidate> candidates = all.stream()
                    .map(s -> new PruneCandidate(s.name(), s.creation(), s.createtxg() <= cursor.createtxg()))
                    .toList();
            List<Boolean> keep = KeepRules.keep(rules, candidates);
            List<String> expected = new ArrayList<>();
            for (int i = 0; i < all.size(); i++) {
                if (!keep.get(i) && all.get(i).createtxg() < cursor.createtxg())
                    expected.add(all.get(i).name());
            }
            assertEquals(expected, destroyed(plan), rules + " cursor " + cursor);
        }
    }

    private static RemoteVersion remote(ZfsVersion s) {
        return new RemoteVersion(
                s.name(),
                VersionType.SNAPSHOT,
                s.guid(),
                s.createtxg() + 7,
                s.creation().getEpochSecond());
    }

    private static RemoteFilesystem receiver(List<ZfsVersion> have) {
        return new RemoteFilesystem(
                FS.value(), false, have.stream().map(PrunePlannerTest::remote).toList(), null);
    }

    @Test
    void receiverKeepsTheNewestCommonSnapshotWhateverTheRules() {
        FilesystemPrunePlan plan = PrunePlanner.receiver(receiver(snaps(5)), snaps(3), KEEP_NONE);
        assertEquals(List.of("zrepl_1", "zrepl_2", "zrepl_4", "zrepl_5"), destroyed(plan));
        assertEquals(PrunePlanner.COMMON, reason(plan, "zrepl_3"));

        FilesystemPrunePlan ruled = PrunePlanner.receiver(receiver(snaps(5)), snaps(5), List.of(lastN(2)));
        assertEquals(List.of("zrepl_1", "zrepl_2", "zrepl_3"), destroyed(ruled));
        assertTrue(ruled.decisions().stream().noneMatch(Decision::overridesRules));
    }

    @Test
    void aSenderBookmarkMakesItsSnapshotTheCommonOne() {
        FilesystemPrunePlan plan =
                PrunePlanner.receiver(receiver(snaps(4)), List.of(snap(1), bookmarkOf(snap(3))), KEEP_NONE);
        assertEquals(List.of("zrepl_1", "zrepl_2", "zrepl_4"), destroyed(plan));
    }

    @Test
    void receiverWithoutCommonSnapshotIsLeftAlone() {
        FilesystemPrunePlan plan = PrunePlanner.receiver(receiver(snaps(3)), List.of(snap(9)), KEEP_NONE);
        assertEquals(List.of(), plan.decisions());
        assertTrue(plan.skipped().contains("no snapshot in common"), plan.skipped());
        assertNull(
                PrunePlanner.receiver(receiver(List.of()), snaps(1), KEEP_NONE).skipped(), "nothing to prune");
    }

    @Test
    void receiverDecisionsMatchTestPruneWithoutReplicationState() {
        FilesystemPrunePlan plan = PrunePlanner.receiver(
                receiver(snaps(8)), snaps(8), List.of(lastN(3), new KeepRule.Regex(Pattern.compile("_2$"), false)));
        List<PruneCandidate> candidates = snaps(8).stream()
                .map(s -> new PruneCandidate(s.name(), s.creation(), null))
                .toList();
        List<Boolean> keep =
                KeepRules.keep(List.of(lastN(3), new KeepRule.Regex(Pattern.compile("_2$"), false)), candidates);
        List<String> expected = new ArrayList<>();
        for (int i = 0; i < candidates.size(); i++) {
            if (!keep.get(i)) expected.add(candidates.get(i).name());
        }
        assertEquals(expected, destroyed(plan));
        assertEquals(List.of("zrepl_1", "zrepl_3", "zrepl_4", "zrepl_5"), expected);
    }

    @Test
    void aSnapJobsRulesAloneDecideTheNewestSnapshotTooButAPushJobsHeldCursorStays() {
        // zrepl's local pruner counts every snapshot as replicated: no cursor guards anything, the newest included.
        FilesystemPrunePlan plan = PrunePlanner.local(FS.value(), snaps(4), KEEP_NONE, Map.of());
        assertEquals(Side.LOCAL, plan.side());
        assertEquals(List.of("zrepl_1", "zrepl_2", "zrepl_3", "zrepl_4"), destroyed(plan));
        plan = PrunePlanner.local(
                FS.value(), snaps(4), KEEP_NONE, Map.of(snap(2).guid(), "push job 'p''s replication cursor"));
        assertEquals(List.of("zrepl_1", "zrepl_3", "zrepl_4"), destroyed(plan));
        assertEquals("push job 'p''s replication cursor", reason(plan, "zrepl_2"));
        plan = PrunePlanner.local(
                FS.value(), snaps(4), List.of(new KeepRule.LastN(2, null)), Map.of(snap(4).guid(), "cursor"));
        assertEquals(List.of("zrepl_1", "zrepl_2"), destroyed(plan));
        assertEquals("rule 1 last_n(count=2)", reason(plan, "zrepl_4"));
        // A bookmark is no snapshot: nothing to keep or destroy for it.
        List<ZfsVersion> withBookmark = new ArrayList<>(snaps(2));
        withBookmark.add(bookmarkOf(snap(2)));
        assertEquals(
                List.of("zrepl_1", "zrepl_2"),
                destroyed(PrunePlanner.local(FS.value(), withBookmark, KEEP_NONE, Map.of())));
        assertEquals(List.of(), destroyed(PrunePlanner.local(FS.value(), snaps(3), List.of(), Map.of())), "keep: []");
    }
}
