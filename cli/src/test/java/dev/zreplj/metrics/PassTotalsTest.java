package dev.zreplj.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
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
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
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

    /**
     * The state directory may be the box user's (one machine, both roles): a link planted at the old fixed temp
     * name, or at the text file's lock, must not make the root agent write through it (the packaging audit).
     */
    @Test
    void linksPlantedInTheMetricsDirectoryAreNotWrittenThrough() throws Exception {
        Path victim = Files.writeString(state.resolve("victim"), "precious\n");
        Files.setPosixFilePermissions(victim, PosixFilePermissions.fromString("rw-------"));
        Path metrics = PassTotals.file(state, "laptop").getParent();
        Files.createDirectories(metrics);
        Files.createSymbolicLink(metrics.resolve(".laptop.json.tmp"), victim);
        PushPass.Result ok = new PushPass.Result(
                "laptop",
                Optional.empty(),
                List.of(new FilesystemResult(DatasetName.of("rpool/home"), Outcome.REPLICATED, 1, 10, "")),
                null);
        PassTotals.record(state, ok, Duration.ofSeconds(4), T0);
        assertEquals(1, PassTotals.read(state, "laptop").passes());

        Path textfile = metrics.resolve("zreplj.prom");
        Files.createSymbolicLink(metrics.resolve(".zreplj.prom.tmp"), victim);
        Textfile.write(textfile, new AgentMetrics(state, List.of("laptop")));
        assertTrue(Files.readString(textfile).contains("zreplj_"), "the text file was written");
        Files.delete(metrics.resolve(".zreplj.prom.lock"));
        Files.createSymbolicLink(metrics.resolve(".zreplj.prom.lock"), victim);
        assertThrows(IOException.class, () -> Textfile.write(textfile, new AgentMetrics(state, List.of("laptop"))));
        assertEquals("precious\n", Files.readString(victim), "nothing written through a link");
        assertEquals(
                "rw-------",
                PosixFilePermissions.toString(Files.getPosixFilePermissions(victim)),
                "nor its mode changed (it was made world-readable through the link)");
    }

    /**
     * docs/systemd.md: the agent's own files, jobs/counters/JOB.json among them, are root's with mode 0600: only the
     * root agent reads them.
     */
    @Test
    void theCountersFileIsTheAgentsAloneToRead() throws Exception {
        PushPass.Result ok = new PushPass.Result(
                "laptop",
                Optional.empty(),
                List.of(new FilesystemResult(DatasetName.of("rpool/home"), Outcome.REPLICATED, 1, 10, "")),
                null);
        PassTotals.record(state, ok, Duration.ofSeconds(4), T0);
        PassTotals.record(state, ok, Duration.ofSeconds(4), T0.plusSeconds(600));
        assertEquals(
                "rw-------",
                PosixFilePermissions.toString(Files.getPosixFilePermissions(PassTotals.file(state, "laptop"))));
        assertEquals(2, PassTotals.read(state, "laptop").passes());
    }

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

    /** Counters as zreplj wrote them with databind (before 2026-12-04) count on, and the file keeps its form. */
    @Test
    void countersADatabindZreplJWroteCountOnInTheSameForm() throws Exception {
        Path file = PassTotals.file(state, "laptop");
        Files.createDirectories(file.getParent());
        Files.writeString(file, """
                {
                  "job" : "laptop",
                  "passes" : 24,
                  "failed_passes" : 1,
                  "last_success" : 1796414234,
                  "last_duration_seconds" : 18.534346807,
                  "stage_failures" : {
                    "connect" : 1
                  },
                  "pruned" : {
                    "receiver" : 0,
                    "sender" : 2
                  },
                  "filesystems" : {
                    "rpool/home" : {
                      "bytes" : 24755070936,
                      "steps" : 23,
                      "failures" : { },
                      "snapshots" : {
                        "receiver" : 1,
                        "sender" : 1
                      }
                    }
                  }
                }""");
        PassTotals before = PassTotals.read(state, "laptop");
        assertEquals(
                new PassTotals(
                        "laptop",
                        24,
                        1,
                        1796414234,
                        18.534346807,
                        Map.of("connect", 1L),
                        Map.of("receiver", 0L, "sender", 2L),
                        Map.of(
                                "rpool/home",
                                new PassTotals.FilesystemTotals(
                                        24755070936L, 23, Map.of(), Map.of("receiver", 1L, "sender", 1L)))),
                before);
        PassTotals.record(
                state,
                new PushPass.Result(
                        "laptop",
                        Optional.empty(),
                        List.of(new FilesystemResult(DatasetName.of("rpool/home"), Outcome.REPLICATED, 1, 10, "")),
                        null),
                Duration.ofMillis(1500),
                T0);
        PassTotals after = PassTotals.read(state, "laptop");
        assertEquals(25, after.passes());
        assertEquals(24755070946L, after.filesystems().get("rpool/home").bytes());
        JsonMapper databind = JsonMapper.builder()
                .propertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
                .enable(SerializationFeature.INDENT_OUTPUT)
                .build();
        assertEquals(databind.writeValueAsString(after), Files.readString(file));
    }

    @Test
    void aFileWithoutCountersIsDamagedAndTheNextPassStartsAgain() throws Exception {
        Path file = PassTotals.file(state, "laptop");
        Files.createDirectories(file.getParent());
        for (String text : List.of("null", "{}", "{\"job\" : \"laptop\", \"passes\" : \"many\"}", "{\"job\"")) {
            Files.writeString(file, text);
            IOException e = assertThrows(IOException.class, () -> PassTotals.read(state, "laptop"), text);
            assertTrue(e.getMessage().startsWith(file + ": unreadable metrics file ("), e.getMessage());
            assertEquals(1, e.getMessage().lines().count(), e.getMessage());
        }
        PassTotals.record(
                state, new PushPass.Result("laptop", Optional.empty(), List.of(), null), Duration.ofSeconds(1), T0);
        assertEquals(1, PassTotals.read(state, "laptop").passes());
    }
}
