package dev.zreplj.pruning;

import static dev.zreplj.pruning.Snaps.at;
import static dev.zreplj.pruning.Snaps.grid;
import static dev.zreplj.pruning.Snaps.kept;
import static dev.zreplj.pruning.Snaps.lastN;
import static dev.zreplj.pruning.Snaps.regex;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

class KeepRulesTest {
    private static final long M = 60;
    private static final long H = 3600;

    @Nested
    class Combination {
        // zrepl pruning_test.go: foo_123, foo_456, bar_123
        private final List<PruneCandidate> s1 = List.of(at("foo_123", 0), at("foo_456", 1), at("bar_123", 2));

        // zrepl pruning_test.go "noRulesKeepsAll"; PruneSnapshots returns nothing to destroy without rules
        @Test
        void emptyRuleListKeepsEverything() {
            assertEquals(List.of(true, true, true), KeepRules.keep(List.of(), s1));
            assertEquals(List.of(), KeepRules.keep(List.of(), List.of()));
        }

        @Test
        void aRuleMatchingNothingKeepsNothing() {
            assertEquals(List.of(false, false, false), KeepRules.keep(List.of(regex("^nothing$", false)), s1));
        }

        @Test
        void noSnapshotsNoFlags() {
            assertEquals(List.of(), KeepRules.keep(List.of(regex("foo_", false)), List.of()));
        }

        @Test
        void singleRule() {
            assertEquals(List.of("foo_123", "foo_456"), kept(regex("foo_", false), s1));
        }

        @Test
        void keptIfAnyRuleKeeps() {
            assertEquals(
                    List.of("foo_123", "foo_456", "bar_123"),
                    kept(List.of(regex("foo_", false), regex("bar_", false)), s1));
        }

        @Test
        void onlyWhatNoRuleKeepsIsDestroyed() {
            assertEquals(List.of("bar_123"), kept(List.of(regex("notInS1", false), regex("bar_", false)), s1));
        }

        @Test
        void flagsAreInInputOrder() {
            List<PruneCandidate> in = List.of(at("c", 3 * H), at("a", H), at("b", 2 * H));
            assertEquals(List.of(true, false, true), KeepRules.keep(List.of(lastN(2, null)), in));
        }

        @Test
        void lastNPlusGridPlusNotReplicated() {
            List<PruneCandidate> in = List.of(
                    at("zrepl_1", 0, true),
                    at("zrepl_2", H, true),
                    at("zrepl_3", 2 * H, true),
                    at("zrepl_4", 3 * H, false),
                    at("manual_x", 30 * M, true),
                    at("other", 4 * H, true));
            List<KeepRule> rules = List.of(
                    grid("^zrepl_", "2x1h"),
                    regex("^manual_", false),
                    new KeepRule.NotReplicated(true),
                    lastN(1, "^other$"));
            // grid: now = 3h; (2h,3h] holds zrepl_4, (1h,2h] holds zrepl_3; zrepl_2 at 1h is older
            assertEquals(List.of("zrepl_3", "zrepl_4", "manual_x", "other"), kept(rules, in));
        }

        @Test
        void duplicateNamesAreRefused() {
            List<PruneCandidate> in = List.of(at("a", 0), at("b", 1), at("a", 2));
            IllegalArgumentException e =
                    assertThrows(IllegalArgumentException.class, () -> KeepRules.keep(List.of(lastN(1, null)), in));
            assertEquals("snapshot 'a' appears twice (candidates 0 and 2)", e.getMessage());
        }
    }

    @Nested
    class LastN {
        // zrepl keep_last_n_test.go, minutes after an origin
        private final List<PruneCandidate> s1 =
                List.of(at("1", 10 * M), at("2", 20 * M), at("3", 15 * M), at("4", 30 * M), at("5", 30 * M));

        @Test
        void keepsTheNNewest() {
            assertEquals(List.of("4", "5"), kept(lastN(2, null), s1));
        }

        @Test
        void tieInCreationIsDecidedByNameDescending() {
            assertEquals(List.of("5"), kept(lastN(1, null), s1));
        }

        @Test
        void countAboveSizeKeepsAll() {
            assertEquals(List.of("1", "2", "3", "4", "5"), kept(lastN(100, null), s1));
        }

        @Test
        void emptyInput() {
            assertEquals(List.of(), kept(lastN(100, null), List.of()));
        }

        @Test
        void fourOfFive() {
            assertEquals(List.of("2", "3", "4", "5"), kept(lastN(4, null), s1));
        }

        @Test
        void emptyRegexMatchesAll() {
            assertEquals(List.of("2", "3", "4", "5"), kept(lastN(4, ""), s1));
        }

        @Test
        void regexCountsOnlyMatching() {
            List<PruneCandidate> in = List.of(
                    at("a1", 10 * M),
                    at("b1", 11 * M),
                    at("a2", 20 * M),
                    at("b2", 21 * M),
                    at("a3", 30 * M),
                    at("b3", 31 * M));
            assertEquals(List.of("a2", "b2", "a3", "b3"), kept(List.of(lastN(2, "^a"), lastN(2, "^b")), in));
            assertEquals(List.of("a3"), kept(lastN(1, "^a"), in));
        }

        @Test
        void countAboveMatchingNeverKeepsNonMatching() {
            // zrepl issue 691 (fixed): with fewer snapshots than count, non-matching ones were kept too
            List<PruneCandidate> in = List.of(at("a1", 10 * M), at("b1", 11 * M), at("a2", 12 * M));
            assertEquals(List.of("a1", "a2"), kept(lastN(3, "a"), in));
            assertEquals(List.of("a1", "a2"), kept(lastN(4, "a"), in));
        }

        @Test
        void regexMatchesAnywhereInTheName() {
            List<PruneCandidate> in = List.of(at("x_daily_1", 0), at("daily_2", 1), at("weekly", 2));
            assertEquals(List.of("x_daily_1", "daily_2"), kept(lastN(5, "daily"), in));
            assertEquals(List.of("daily_2"), kept(lastN(5, "^daily"), in));
        }

        @Test
        void countMustBePositive() {
            assertThrows(IllegalArgumentException.class, () -> lastN(0, null));
            assertThrows(IllegalArgumentException.class, () -> lastN(-5, "foo"));
        }
    }

    @Nested
    class Regex {
        // zrepl keep_regex_test.go
        private final List<PruneCandidate> snaps = List.of(at("zrepl_foobar", 0), at("zrepl", 1), at("barfoo", 2));

        @Test
        void keepsMatching() {
            assertEquals(List.of("zrepl_foobar"), kept(regex("^zrepl_", false), snaps));
        }

        @Test
        void negateKeepsNonMatching() {
            assertEquals(List.of("zrepl", "barfoo"), kept(regex("^zrepl_", true), snaps));
        }

        @Test
        void unanchoredMatchesAnywhere() {
            assertEquals(List.of("zrepl_foobar", "barfoo"), kept(regex("foo", false), snaps));
            assertEquals(List.of("zrepl"), kept(regex("foo", true), snaps));
        }
    }

    @Nested
    class NotReplicated {
        @Test
        void withoutCursorKeepsOnlyUnreplicated() {
            // zrepl keep_not_replicated_test.go
            List<PruneCandidate> in = List.of(at("1", 0, true), at("2", 1, false), at("3", 2, true));
            assertEquals(List.of("2"), kept(new KeepRule.NotReplicated(false), in));
        }

        @Test
        void withCursorAlsoKeepsNewestReplicated() {
            List<PruneCandidate> in =
                    List.of(at("1", 0, true), at("2", 10, false), at("3", 5, true), at("4", 20, false));
            assertEquals(List.of("2", "3", "4"), kept(new KeepRule.NotReplicated(true), in));
        }

        @Test
        void cursorIsNewestByCreationNotByInputOrder() {
            List<PruneCandidate> in = List.of(at("new", 50, true), at("old", 5, true), at("mid", 20, true));
            assertEquals(List.of("new"), kept(new KeepRule.NotReplicated(true), in));
        }

        @Test
        void allReplicatedTiedAtNewestAreKept() {
            List<PruneCandidate> in = List.of(at("a", 50, true), at("b", 50, true), at("c", 5, true));
            assertEquals(List.of("a", "b"), kept(new KeepRule.NotReplicated(true), in));
        }

        @Test
        void unknownCountsAsNotReplicated() {
            List<PruneCandidate> in = List.of(at("u1", 0), at("r", 1, true), at("r2", 2, true), at("u2", 3));
            assertEquals(List.of("u1", "u2"), kept(new KeepRule.NotReplicated(false), in));
            // unknown ones are not candidates for the cursor
            assertEquals(List.of("u1", "r2", "u2"), kept(new KeepRule.NotReplicated(true), in));
        }

        /**
         * zrepl (pruner.go) keeps the snapshot whose guid the cursor names. With the clock set back between
         * two snapshots, the newest by creation is another one: that one went, the cursor's stayed.
         */
        @Test
        void theCursorsSnapshotIsTheOneItNamesNotTheNewestByCreation() {
            PruneCandidate earlierTxgLaterClock = at("a", 2000, true);
            PruneCandidate cursor = new PruneCandidate("b", at("b", 1500, true).creation(), true, true);
            List<PruneCandidate> in = List.of(earlierTxgLaterClock, cursor, at("c", 1600, false));
            assertEquals(List.of("b", "c"), kept(new KeepRule.NotReplicated(true), in));
            assertEquals(List.of("c"), kept(new KeepRule.NotReplicated(false), in));
        }

        /**
         * docs/pruning.md: "keep_snapshot_at_cursor: false applies to the rule that says it; in zrepl one such rule
         * makes the cursor's snapshot count as replicated for every rule. zreplj keeps more." zrepl's pruner would
         * destroy "cur" here (both rules see it replicated); zreplj's second rule keeps it.
         */
        @Test
        void keepSnapshotAtCursorFalseAppliesOnlyToTheRuleThatSaysIt() {
            List<PruneCandidate> in = List.of(
                    at("old", 0, true),
                    new PruneCandidate("cur", at("cur", 10, true).creation(), true, true),
                    at("new", 20, false));
            assertEquals(List.of("new"), kept(new KeepRule.NotReplicated(false), in));
            assertEquals(
                    List.of("cur", "new"),
                    kept(List.of(new KeepRule.NotReplicated(false), new KeepRule.NotReplicated(true)), in));
            assertEquals(
                    List.of("cur", "new"),
                    kept(List.of(new KeepRule.NotReplicated(true), new KeepRule.NotReplicated(false)), in));
        }

        @Test
        void nothingReplicatedKeepsAll() {
            List<PruneCandidate> in = List.of(at("a", 0, false), at("b", 1, false));
            assertEquals(List.of("a", "b"), kept(new KeepRule.NotReplicated(true), in));
        }
    }

    @Nested
    class Grid {
        @Test
        void zreplDocumentationExample() {
            // docs/configuration/prune.rst: 1x1h(keep=all) | 2x2h | 1x3h, a newest ... D oldest;
            // buckets (0,1h], (1h,3h], (3h,5h], (5h,8h] by age; result a b c j p z
            List<PruneCandidate> in = new ArrayList<>();
            in.add(at("a", 0));
            in.add(at("b", -20 * M));
            in.add(at("c", -40 * M));
            addAges(in, "defghij", 1 * H);
            addAges(in, "klmnop", 3 * H);
            addAges(in, "qrstuvwxyz", 5 * H);
            addAges(in, "ABCD", 8 * H);
            assertEquals(List.of("a", "b", "c", "j", "p", "z"), kept(grid("", "1x1h(keep=all) | 2x2h | 1x3h"), in));
        }

        @Test
        void workedExampleEdgesAreTheOnesDocsPruningMdNames() {
            // docs/pruning.md: "A snapshot exactly 1h old is in interval 2, one exactly 8h old is outside the grid."
            // at1h in the keep=all first interval would be kept, in interval 2 it loses to the older at2h;
            // at8h inside interval 4 would be its oldest and push out at7h.
            List<PruneCandidate> in = List.of(
                    at("now", 0), at("at1h", -1 * H), at("at2h", -2 * H), at("at7h", -7 * H), at("at8h", -8 * H));
            assertEquals(List.of("now", "at2h", "at7h"), kept(grid("", "1x1h(keep=all) | 2x2h | 1x3h"), in));
        }

        private void addAges(List<PruneCandidate> in, String names, long bucketStartAge) {
            for (int i = 0; i < names.length(); i++) {
                in.add(at(names.substring(i, i + 1), -(bucketStartAge + (i + 1) * 15L * M)));
            }
        }

        @Test
        void intervalsIncludeTheirNewerEdgeOnly() {
            // 3x10m from now: (-10m,0], (-20m,-10m], (-30m,-20m]; e30 lies on the last interval's older
            // edge, so outside the grid
            List<PruneCandidate> in = List.of(
                    at("now", 0), at("e10", -10 * M), at("e20", -20 * M), at("e30", -30 * M), at("e29", -29 * M - 59));
            assertEquals(List.of("now", "e10", "e29"), kept(grid(".", "3x10m"), in));
        }

        @Test
        void edgeSnapshotFallsIntoTheOlderInterval() {
            // e10 sits on the edge: it belongs to (-20m,-10m], so the first interval holds only "now"
            List<PruneCandidate> in = List.of(at("now", 0), at("e10", -10 * M), at("in2", -15 * M));
            assertEquals(List.of("now", "in2"), kept(grid(".", "2x10m"), in));
        }

        @Test
        void eachIntervalKeepsItsOldest() {
            List<PruneCandidate> in = List.of(
                    at("n", 0),
                    at("n1", -1 * M),
                    at("n2", -2 * M),
                    at("o1", -11 * M),
                    at("o2", -12 * M),
                    at("o3", -19 * M));
            assertEquals(List.of("n2", "o3"), kept(grid(".", "2x10m"), in));
            assertEquals(List.of("n1", "n2", "o2", "o3"), kept(grid(".", "2x10m(keep=2)"), in));
            assertEquals(List.of("n", "n1", "n2", "o1", "o2", "o3"), kept(grid(".", "2x10m(keep=all)"), in));
        }

        @Test
        void newestIsDestroyedWhenItsIntervalKeepsAnOlderOne() {
            // zrepl's grid does not protect the newest snapshot; a last_n or keep=all first interval does
            List<PruneCandidate> in = List.of(at("newest", 0), at("older", -5 * M));
            assertEquals(List.of("older"), kept(grid(".", "1x1h"), in));
        }

        @Test
        void tieInCreationKeepsTheSmallerName() {
            List<PruneCandidate> in = List.of(at("b", -30 * M), at("a", -30 * M), at("c", 0));
            assertEquals(List.of("a"), kept(grid(".", "1x1h"), in));
        }

        @Test
        void onlyMatchingSnapshotsTakePartAndDefineNow() {
            // "manual" is newer than every zrepl_ one but does not move the grid's now
            List<PruneCandidate> in =
                    List.of(at("manual", 10 * H), at("zrepl_new", 0), at("zrepl_b", -30 * M), at("zrepl_old", -90 * M));
            assertEquals(List.of("zrepl_b", "zrepl_old"), kept(grid("^zrepl_", "2x1h"), in));
        }

        @Test
        void noMatchingKeepsNothing() {
            assertEquals(List.of(), kept(grid("^zrepl_", "1x1h(keep=all)"), List.of(at("a", 0), at("b", 1))));
        }

        @Test
        void singleSnapshotIsKept() {
            assertEquals(List.of("only"), kept(grid("", "1x1s"), List.of(at("only", 0))));
        }

        @Test
        void olderThanTheLastIntervalIsNotKept() {
            List<PruneCandidate> in = List.of(at("n", 0), at("d1", -1 * 86_400 + 1), at("d2", -2 * 86_400 - 1));
            assertEquals(List.of("n", "d1"), kept(grid("", "1x1s(keep=all) | 2x1d"), in));
        }

        @Test
        void shorterIntervalsAfterKeepAllWork() {
            List<PruneCandidate> in = List.of(at("n", 0), at("a", -30 * M), at("b", -61 * M), at("c", -65 * M));
            assertEquals(List.of("n", "a", "c"), kept(grid("", "1x1h(keep=all) | 1x10m"), in));
        }

        @Test
        void hugeGridNearTheStartOfTimeDoesNotOverflow() {
            KeepRule.Grid g = new KeepRule.Grid(
                    Pattern.compile(""),
                    List.of(
                            new KeepRule.GridInterval(
                                    Duration.ofSeconds(Long.MAX_VALUE / 2), KeepRule.GridInterval.KEEP_ALL),
                            new KeepRule.GridInterval(Duration.ofSeconds(Long.MAX_VALUE / 2), 1)));
            List<PruneCandidate> in = List.of(
                    new PruneCandidate("a", java.time.Instant.MIN.plusSeconds(10), null),
                    new PruneCandidate("b", java.time.Instant.MIN.plusSeconds(20), null));
            assertEquals(List.of("a", "b"), kept(g, in));
        }

        @Test
        void snapshotsNewerThanAGivenNowAreKept() {
            // DESIGN.md: "snapshots newer than now are kept". With zrepl's now (the newest matching snapshot)
            // there are none; the box's floor gives its own clock, and a clock set back leaves snapshots
            // received "after" it. They must not compete for the first interval's single place.
            List<PruneCandidate> in = List.of(at("old", -10 * M), at("future1", 10 * M), at("future2", 20 * M));
            assertEquals(List.of(true, true, true), KeepRules.keep(List.of(grid(".", "1x1h")), in, Snaps.T0));
            // Older than the grid is still not kept, whatever the clock.
            assertEquals(
                    List.of(false, true),
                    KeepRules.keep(List.of(grid(".", "1x1h")), List.of(at("ancient", -2 * H), at("f", H)), Snaps.T0));
        }

        @Test
        void regexIsRequired() {
            assertThrows(NullPointerException.class, () -> new KeepRule.Grid(null, GridSpec.parse("1x1h")));
            assertThrows(IllegalArgumentException.class, () -> new KeepRule.Grid(Pattern.compile(""), List.of()));
        }
    }

    @Nested
    class Explain {
        @Test
        void firstKeepingRuleOrMinusOne() {
            List<PruneCandidate> in = List.of(at("foo_1", 0), at("foo_2", 1), at("bar_1", 2), at("baz", 3));
            assertEquals(List.of(1, 0, 1, -1), KeepRules.explain(List.of(lastN(1, "^foo_"), regex("_1$", false)), in));
            assertEquals(List.of(-1, -1, -1, -1), KeepRules.explain(List.of(regex("^none$", false)), in));
        }

        @Test
        void anEmptyListHasNoRuleToNameSoItIsRefusedRatherThanReadAsDestroyAll() {
            List<PruneCandidate> in = List.of(at("a", 0));
            IllegalArgumentException e =
                    assertThrows(IllegalArgumentException.class, () -> KeepRules.explain(List.of(), in));
            assertEquals("an empty keep rule list keeps everything; there is no rule to name", e.getMessage());
        }

        @Test
        void duplicateNamesAreRefusedAsByKeep() {
            assertThrows(
                    IllegalArgumentException.class,
                    () -> KeepRules.explain(List.of(), List.of(at("a", 0), at("a", 1))));
        }

        @Test
        void describeSpeaksTheConfigLanguage() {
            assertEquals("last_n(count=3, regex=^zrepl_)", KeepRules.describe(lastN(3, "^zrepl_")));
            assertEquals("last_n(count=3)", KeepRules.describe(lastN(3, null)));
            assertEquals("regex(^manual_)", KeepRules.describe(regex("^manual_", false)));
            assertEquals("regex(negate, ^x)", KeepRules.describe(regex("^x", true)));
            assertEquals(
                    "grid(1x1h(keep=all) | 24x1h | 2x1d(keep=3) | 1x8d | 3x2w, regex=^zrepl_)",
                    KeepRules.describe(grid("^zrepl_", "1x1h(keep=all) | 24x1h | 2x1d(keep=3) | 1x8d | 3x14d")));
            assertEquals("grid(1x90s | 1x2m, regex=.*)", KeepRules.describe(grid(".*", "1x90s | 1x120s")));
            assertEquals("not_replicated", KeepRules.describe(new KeepRule.NotReplicated(true)));
            assertEquals(
                    "not_replicated(keep_snapshot_at_cursor=false)",
                    KeepRules.describe(new KeepRule.NotReplicated(false)));
        }
    }
}
