package dev.zreplj.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.zreplj.agent.PushPass;
import dev.zreplj.prune.Decision;
import dev.zreplj.prune.FilesystemPrunePlan;
import dev.zreplj.prune.FilesystemPruneResult;
import dev.zreplj.prune.PruneReport;
import dev.zreplj.prune.Side;
import dev.zreplj.replication.Failure;
import dev.zreplj.replication.FilesystemResult;
import dev.zreplj.replication.FilesystemResult.Outcome;
import dev.zreplj.zfs.DatasetName;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The counters a pass adds, without promtool (MetricsTest checks their exposition). */
class PassTotalsTest {
    private static final Instant T0 = Instant.parse("2026-11-30T12:00:00Z");

    @TempDir
    Path state;

    @Test
    void aFailedPassKeepsTheLastSuccessAndCountsItsStagesAndKinds() throws Exception {
        PushPass.Result ok = new PushPass.Result(
                "laptop",
                Optional.empty(),
                List.of(new FilesystemResult(DatasetName.of("rpool/home"), Outcome.REPLICATED, 1, 10, "")),
                null);
        PushPass.Result failed = new PushPass.Result(
                "laptop",
                Optional.empty(),
                List.of(FilesystemResult.failed(DatasetName.of("rpool/home"), 0, 0, "stalled", -1, Failure.STALLED)),
                null,
                List.of(),
                null,
                List.of("replicate: 1 filesystem failed", "an unexpected error: boom"));
        PassTotals.record(state, ok, Duration.ofSeconds(4), T0);
        PassTotals.record(state, failed, Duration.ofSeconds(9), T0.plusSeconds(60));

        PassTotals t = PassTotals.read(state, "laptop");
        assertEquals(2, t.passes());
        assertEquals(1, t.failedPasses());
        assertEquals(T0.getEpochSecond(), t.lastSuccess());
        assertEquals(9.0, t.lastDurationSeconds());
        assertEquals(Map.of("replicate", 1L, "other", 1L), t.stageFailures());
        assertEquals(
                new PassTotals.FilesystemTotals(10, 1, Map.of("stalled", 1L), Map.of()),
                t.filesystems().get("rpool/home"));
    }

    @Test
    void aDryRunOrASkippedFilesystemPrunesNothingAndLeavesTheSnapshotCountAlone() throws Exception {
        List<Decision> two = List.of(
                new Decision("a", 1, true, "no rule keeps it", false), new Decision("b", 2, false, "last_n 1", false));
        PruneReport real = new PruneReport(
                false,
                List.of(new FilesystemPruneResult(
                        new FilesystemPrunePlan(Side.RECEIVER, "rpool/home", two, null),
                        false,
                        List.of("a"),
                        List.of(),
                        null)),
                null,
                null);
        PruneReport dry = new PruneReport(
                true,
                List.of(new FilesystemPruneResult(
                        new FilesystemPrunePlan(Side.RECEIVER, "rpool/home", List.of(two.get(1)), null),
                        true,
                        List.of(),
                        List.of(),
                        null)),
                null,
                null);
        PruneReport skipped = new PruneReport(
                false,
                List.of(new FilesystemPruneResult(
                        new FilesystemPrunePlan(Side.RECEIVER, "rpool/home", List.of(), "not on the box"),
                        false,
                        List.of(),
                        List.of(),
                        null)),
                null,
                null);
        for (PruneReport prune : List.of(real, dry, skipped)) {
            PassTotals.record(
                    state,
                    new PushPass.Result("laptop", Optional.empty(), List.of(), null, List.of(), prune, List.of()),
                    Duration.ofSeconds(1),
                    T0);
        }
        PassTotals t = PassTotals.read(state, "laptop");
        assertEquals(Map.of("receiver", 1L), t.pruned());
        assertEquals(
                Map.of("receiver", 1L),
                t.filesystems().get("rpool/home").snapshots(),
                "one left after the real prune; the skipped one did not look");
    }
}
