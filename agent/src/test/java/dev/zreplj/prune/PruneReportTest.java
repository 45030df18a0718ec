package dev.zreplj.prune;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.zreplj.protocol.DestroyResult;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class PruneReportTest {
    private static final FilesystemPrunePlan PLAN = new FilesystemPrunePlan(
            Side.RECEIVER,
            "tank/home",
            List.of(
                    Decision.destroy("a", 1),
                    Decision.destroy("b", 2),
                    Decision.keep("c", 3, "rule 1 last_n(count=1)", false),
                    Decision.keep("d", 4, PrunePlanner.COMMON, true)),
            null);

    @Test
    void linesSayWhatWentWhatStayedAndWhy() {
        FilesystemPruneResult done = new FilesystemPruneResult(
                PLAN,
                false,
                List.of("b"),
                List.of(new DestroyResult.Refusal("a", "kept by the box's keep_floor")),
                null);
        assertEquals(
                List.of(
                        "prune receiver tank/home: destroyed @b",
                        "prune receiver tank/home: kept by rule 1 last_n(count=1): @c",
                        "prune receiver tank/home: kept by the newest snapshot in common with the sender (no rule keeps it;"
                                + " never destroyed): @d",
                        "prune receiver tank/home: refused by the backup box: @a: kept by the box's keep_floor"),
                done.lines());
        assertEquals(
                List.of(
                        "prune receiver tank/home: destroyed @b",
                        "prune receiver tank/home: refused by the backup box: @a: kept by the box's keep_floor"),
                done.lines(false),
                "a pass's summary leaves out what every pass would repeat");
        PruneReport report = new PruneReport(false, List.of(done), null, null);
        assertFalse(report.failed(), "a refusal is not a failure");
        assertEquals(1, report.destroyedCount());
        assertEquals(1, report.refusedCount());
    }

    /**
     * A first pass after a migration destroys thousands, a keep_floor refuses a week of snapshots on every pass:
     * the summary names a few and counts the rest; -v (and zreplj prune's report) names every one.
     */
    @Test
    void theSummaryNamesAFewOfThousandsAndCountsTheRest() {
        List<Decision> decisions = new ArrayList<>();
        List<String> gone = new ArrayList<>();
        List<DestroyResult.Refusal> refused = new ArrayList<>();
        for (int i = 0; i < 4000; i++) {
            String name = String.format("zrepl_%04d", i);
            decisions.add(Decision.destroy(name, i + 1));
            if (i < 3000) {
                gone.add(name);
            } else {
                refused.add(new DestroyResult.Refusal(name, "kept by the box's keep_floor"));
            }
        }
        FilesystemPruneResult done = new FilesystemPruneResult(
                new FilesystemPrunePlan(Side.RECEIVER, "tank/home", decisions, null), false, gone, refused, null);
        StringBuilder hundred = new StringBuilder();
        for (int i = 0; i < FilesystemPruneResult.SUMMARY_NAMES; i++) {
            hundred.append(String.format(" @zrepl_%04d", i));
        }
        assertEquals(
                List.of(
                        "prune receiver tank/home: destroyed" + hundred + " and 2900 more",
                        "prune receiver tank/home: refused by the backup box: @zrepl_3000: kept by the box's keep_floor",
                        "prune receiver tank/home: refused by the backup box: @zrepl_3001: kept by the box's keep_floor",
                        "prune receiver tank/home: refused by the backup box: @zrepl_3002: kept by the box's keep_floor",
                        "prune receiver tank/home: refused by the backup box: 997 more (@zrepl_3003 ... @zrepl_3999),"
                                + " the first because: kept by the box's keep_floor"),
                done.lines(false));
        List<String> detail = done.lines(true);
        assertEquals(1 + 1000, detail.size(), "-v: the destroyed line and every refusal");
        assertTrue(detail.get(0).endsWith(" @zrepl_2999"), "-v names every destroyed snapshot");
    }

    /** A hold on thousands of snapshots (a migration's) names three in the prune's error and counts the rest. */
    @Test
    void aPrunesErrorNamesAFewFailuresAndCountsTheRest() {
        assertEquals("@a: busy", PruneRun.few(List.of("@a: busy")));
        assertEquals(
                "@a: busy; @b: busy; @c: busy; and 2 more",
                PruneRun.few(List.of("@a: busy", "@b: busy", "@c: busy", "@d: busy", "@e: busy")));
    }

    @Test
    void dryRunSaysWouldDestroyAndCountsThePlan() {
        FilesystemPruneResult dry = new FilesystemPruneResult(PLAN, true, List.of(), List.of(), null);
        assertEquals(
                "prune receiver tank/home: would destroy @a @b", dry.lines().get(0));
        assertEquals(2, new PruneReport(true, List.of(dry), null, null).destroyedCount());
    }

    @Test
    void failuresSkipsAndEmptyFilesystems() {
        FilesystemPruneResult broken = new FilesystemPruneResult(PLAN, false, List.of(), List.of(), "zfs said no");
        assertEquals(
                "prune receiver tank/home: failed: zfs said no",
                broken.lines().get(broken.lines().size() - 1));
        assertTrue(new PruneReport(false, List.of(broken), null, null).failed());

        PruneReport unreachable = new PruneReport(false, List.of(), "the backup box is unreachable: refused", null);
        assertTrue(unreachable.failed());
        assertEquals(List.of("prune receiver: skipped: the backup box is unreachable: refused"), unreachable.lines());

        FilesystemPrunePlan skipped =
                new FilesystemPrunePlan(Side.RECEIVER, "tank/x", List.of(), "no snapshot in common");
        assertEquals(
                List.of("prune receiver tank/x: skipped: no snapshot in common"),
                new FilesystemPruneResult(skipped, false, List.of(), List.of(), null).lines());
        FilesystemPrunePlan empty = new FilesystemPrunePlan(Side.SENDER, "tank/y", List.of(), null);
        assertEquals(
                List.of("prune sender tank/y: no snapshots"),
                new FilesystemPruneResult(empty, false, List.of(), List.of(), null).lines());
        assertEquals(List.of(), new FilesystemPruneResult(empty, false, List.of(), List.of(), null).lines(false));
        assertEquals(List.of("prune receiver tank/home: failed: zfs said no"), broken.lines(false));
    }
}
