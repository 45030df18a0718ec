package dev.zreplj.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.zreplj.agent.JobStatusStore;
import dev.zreplj.agent.PushPass;
import dev.zreplj.config.PrometheusListener;
import dev.zreplj.config.SinkJob;
import dev.zreplj.files.testing.FullDisk;
import dev.zreplj.protocol.DestroyResult;
import dev.zreplj.prune.Decision;
import dev.zreplj.prune.FilesystemPrunePlan;
import dev.zreplj.prune.FilesystemPruneResult;
import dev.zreplj.prune.PruneReport;
import dev.zreplj.prune.Side;
import dev.zreplj.replication.Failure;
import dev.zreplj.replication.FilesystemResult;
import dev.zreplj.replication.FilesystemResult.Outcome;
import dev.zreplj.zfs.DatasetName;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The metrics from the state files, as the textfile and the endpoint expose them: the values each pass
 * and receive leave, counters that add up across processes, and text that {@code promtool check metrics}
 * accepts. Tagged system: it needs Debian's promtool.
 */
@Tag("system")
class MetricsTest {
    private static final Instant T0 = Instant.parse("2026-11-30T12:00:00Z");

    @TempDir
    Path state;

    /** The warning of a textfile on a full disk named the file twice: "cannot write the metrics textfile F: F: ...". */
    @Test
    void aTextfileOnAFullDiskIsNamedOnceWithWhatToDo() throws Exception {
        try (FullDisk disk = FullDisk.mount(state.resolve("diskfull-prom"))) {
            Path textfile = disk.dir().resolve("zreplj.prom");
            disk.fill();
            java.io.IOException e = org.junit.jupiter.api.Assertions.assertThrows(
                    java.io.IOException.class,
                    () -> Textfile.write(textfile, new AgentMetrics(state, List.of("laptop"))));
            assertEquals(textfile + ": No space left on device; free space there", Textfile.failure(textfile, e));
            assertEquals(textfile + ": boom", Textfile.failure(textfile, new java.io.IOException("boom")));
        }
    }

    private static PushPass.Result pass(long homeBytes, Failure srcFailure, int destroyed) {
        FilesystemResult home = new FilesystemResult(
                DatasetName.of("rpool/home"), Outcome.REPLICATED, 2, homeBytes, "", homeBytes, null, List.of());
        FilesystemResult src = srcFailure == null
                ? new FilesystemResult(DatasetName.of("rpool/src"), Outcome.UP_TO_DATE, 0, 0, "@zrepl_1")
                : FilesystemResult.failed(DatasetName.of("rpool/src"), 0, 0, "link lost", -1, srcFailure);
        List<Decision> decisions = List.of(
                new Decision("zrepl_1", 1, true, "no rule keeps it", false),
                new Decision("zrepl_2", 2, destroyed > 1, "no rule keeps it", false),
                new Decision("zrepl_3", 3, false, "last_n 1", false));
        List<String> gone = destroyed > 1 ? List.of("zrepl_1", "zrepl_2") : List.of("zrepl_1");
        PruneReport prune = new PruneReport(
                false,
                List.of(new FilesystemPruneResult(
                        new FilesystemPrunePlan(Side.SENDER, "rpool/home", decisions, null),
                        false,
                        gone,
                        List.<DestroyResult.Refusal>of(),
                        null)),
                null,
                null);
        List<String> stages = srcFailure == null ? List.of() : List.of("replicate: 1 filesystem failed");
        return new PushPass.Result(
                "laptop", Optional.of("zrepl_3"), List.of(home, src), null, List.of(), prune, stages);
    }

    private void record(PushPass.Result result, Instant at, Duration took) throws Exception {
        new JobStatusStore(state).record(result, at);
        PassTotals.record(state, result, took, at);
    }

    /** Channels of one box JVM write at once: each write waits its turn instead of failing ("overlapping"). */
    @Test
    void threadsOfOneProcessWritingTheTextfileAtOnceAllSucceed() throws Exception {
        record(pass(1000, null, 1), T0, Duration.ofMillis(1500));
        Path textfile = state.resolve("node-exporter/zreplj.prom");
        AgentMetrics metrics = new AgentMetrics(state, List.of("laptop"));
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(4);
        try {
            List<java.util.concurrent.Future<Object>> writes = new java.util.ArrayList<>();
            for (int i = 0; i < 40; i++) {
                writes.add(pool.submit(() -> {
                    Textfile.write(textfile, metrics);
                    return null;
                }));
            }
            for (var w : writes) {
                w.get();
            }
        } finally {
            pool.shutdownNow();
        }
        Promtool.assertClean(Files.readString(textfile));
    }

    @Test
    void agentCountersAddUpAcrossPassesAndTheTextfilePassesPromtool() throws Exception {
        record(pass(1000, null, 1), T0, Duration.ofMillis(1500));
        record(pass(500, Failure.CONNECTION_LOST, 2), T0.plusSeconds(600), Duration.ofSeconds(3));
        Path textfile = state.resolve("node-exporter/zreplj.prom");
        Textfile.write(textfile, new AgentMetrics(state, List.of("laptop", "never_ran")));

        String text = Files.readString(textfile);
        Promtool.assertClean(text);
        // Counted once per pass in which the filesystem ended failed (PassTotals, docs/monitoring.md), not per attempt.
        assertTrue(
                text.contains("# HELP zreplj_replication_failures_total Passes in which the filesystem ended failed"),
                text);
        long t0 = T0.getEpochSecond();
        for (String line : List.of(
                "zreplj_pass_last_attempt_timestamp_seconds{zreplj_job=\"laptop\"} " + (t0 + 600) + ".0",
                "zreplj_pass_last_success_timestamp_seconds{zreplj_job=\"laptop\"} " + t0 + ".0",
                "zreplj_pass_last_attempt_timestamp_seconds{zreplj_job=\"never_ran\"} 0.0",
                "zreplj_pass_last_success_timestamp_seconds{zreplj_job=\"never_ran\"} 0.0",
                "zreplj_pass_failed{zreplj_job=\"laptop\"} 1.0",
                "zreplj_pass_duration_seconds{zreplj_job=\"laptop\"} 3.0",
                "zreplj_passes_total{zreplj_job=\"laptop\"} 2.0",
                "zreplj_pass_failures_total{zreplj_job=\"laptop\"} 1.0",
                "zreplj_stage_failures_total{stage=\"replicate\",zreplj_job=\"laptop\"} 1.0",
                "zreplj_pruned_snapshots_total{side=\"sender\",zreplj_job=\"laptop\"} 3.0",
                "zreplj_filesystem_last_success_timestamp_seconds{filesystem=\"rpool/home\",zreplj_job=\"laptop\"} "
                        + (t0 + 600) + ".0",
                "zreplj_filesystem_last_success_timestamp_seconds{filesystem=\"rpool/src\",zreplj_job=\"laptop\"} " + t0
                        + ".0",
                "zreplj_filesystem_failed{filesystem=\"rpool/src\",zreplj_job=\"laptop\"} 1.0",
                "zreplj_filesystem_failed{filesystem=\"rpool/home\",zreplj_job=\"laptop\"} 0.0",
                "zreplj_replicated_bytes_total{filesystem=\"rpool/home\",zreplj_job=\"laptop\"} 1500.0",
                "zreplj_replication_steps_total{filesystem=\"rpool/home\",zreplj_job=\"laptop\"} 4.0",
                "zreplj_replication_failures_total{filesystem=\"rpool/src\",kind=\"connection_lost\",zreplj_job=\"laptop\"} 1.0",
                "zreplj_snapshots{filesystem=\"rpool/home\",side=\"sender\",zreplj_job=\"laptop\"} 1.0")) {
            assertSample(text, line);
        }
        assertFalse(
                text.contains("zreplj_pass_failed{zreplj_job=\"never_ran\"}"), "a job that never ran has no last pass");
        try (var files = Files.list(textfile.getParent())) {
            assertEquals(
                    List.of(".zreplj.prom.lock", "zreplj.prom"),
                    files.map(p -> p.getFileName().toString()).sorted().toList(),
                    "no temp file left behind");
        }
        assertEquals(
                "rw-r--r--",
                java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(textfile)),
                "node_exporter's user can read it");
    }

    /**
     * Up to date with a snapshot three days old (manual snapshotting whose tool died): the last success
     * is fresh, so the age of the backed-up data needs its own series for an alert to see it.
     */
    @Test
    void theNewestSnapshotOnTheBoxHasItsOwnTimestamp() throws Exception {
        long created = T0.minus(Duration.ofDays(3)).getEpochSecond();
        record(
                new PushPass.Result(
                        "laptop",
                        Optional.empty(),
                        List.of(new FilesystemResult(DatasetName.of("rpool/src"), Outcome.UP_TO_DATE, 0, 0, "@old")),
                        null,
                        List.of(),
                        null,
                        List.of(),
                        List.of(),
                        java.util.Map.of("rpool/src", created),
                        List.of("rpool/src"),
                        Optional.empty()),
                T0,
                Duration.ofSeconds(1));
        Path textfile = state.resolve("node-exporter/zreplj.prom");
        Textfile.write(textfile, new AgentMetrics(state, List.of("laptop")));
        String text = Files.readString(textfile);
        Promtool.assertClean(text);
        assertSample(
                text,
                "zreplj_filesystem_last_success_timestamp_seconds{filesystem=\"rpool/src\",zreplj_job=\"laptop\"} "
                        + T0.getEpochSecond() + ".0");
        assertSample(
                text,
                "zreplj_filesystem_newest_snapshot_timestamp_seconds{filesystem=\"rpool/src\",zreplj_job=\"laptop\"} "
                        + created + ".0");
    }

    /**
     * {@code expected} is "SERIES VALUE"; the writer prints doubles as Java does (1.7960406E9), so the
     * value is compared as a number.
     */
    /** The box's textfile for the sink job "backups" serving these clients, checked by promtool. */
    private String boxText(String... clients) throws Exception {
        SinkJob sink = new SinkJob(
                "backups",
                DatasetName.of("dst/sink"),
                List.of(clients),
                dev.zreplj.config.RecvOptions.defaults(),
                List.of());
        Path textfile = state.resolve("box.prom");
        Textfile.write(textfile, new BoxMetrics(state, List.of(sink)));
        String text = Files.readString(textfile);
        Promtool.assertClean(text);
        return text;
    }

    private String textOf(AgentMetrics metrics) throws Exception {
        Path textfile = state.resolve("node-exporter/zreplj.prom");
        Textfile.write(textfile, metrics);
        String text = Files.readString(textfile);
        Promtool.assertClean(text);
        return text;
    }

    private static void assertSample(String text, String expected) {
        int space = expected.lastIndexOf(' ');
        String series = expected.substring(0, space + 1);
        List<String> found = text.lines().filter(l -> l.startsWith(series)).toList();
        assertEquals(1, found.size(), () -> "one line of '" + series + "' in\n" + text);
        assertEquals(
                Double.parseDouble(expected.substring(space + 1)),
                Double.parseDouble(found.get(0).substring(series.length())),
                expected);
    }

    @Test
    void promtoolRejectsWhatIsNotTheExpositionFormat() throws Exception {
        // The check the other tests rely on does fail: here on a counter without _total.
        Promtool.Result r = Promtool.checkMetrics("# HELP x_bytes A.\n# TYPE x_bytes counter\nx_bytes 1\n");
        assertNotEquals(0, r.exit(), r::toString);
    }

    /**
     * A damaged state file left the whole job (or client) out of the metrics, and every later pass failed on it:
     * now each file gives its own series, and the next pass or receive replaces the damaged one.
     */
    @Test
    void aDamagedStateFileLeavesOutOnlyItsOwnSeriesAndTheNextPassReplacesIt() throws Exception {
        record(pass(1000, null, 1), T0, Duration.ofMillis(1500));
        Path status = new JobStatusStore(state).file("laptop");
        Files.writeString(status, "{\"job\":\"laptop\",\"lastRu");
        String text = textOf(new AgentMetrics(state, List.of("laptop")));
        assertSample(text, "zreplj_passes_total{zreplj_job=\"laptop\"} 1.0");
        assertFalse(text.contains("zreplj_pass_last_attempt_timestamp_seconds{"), "not guessed as never ran: " + text);
        assertFalse(text.contains("zreplj_filesystem_last_success_timestamp_seconds{"), text);
        // docs/monitoring.md: a damaged status file drops its series "but not its counters", per filesystem too.
        assertSample(text, "zreplj_replicated_bytes_total{filesystem=\"rpool/home\",zreplj_job=\"laptop\"} 1000.0");
        assertSample(text, "zreplj_replication_steps_total{filesystem=\"rpool/home\",zreplj_job=\"laptop\"} 2.0");
        assertSample(text, "zreplj_pass_duration_seconds{zreplj_job=\"laptop\"} 1.5");
        assertSample(
                text,
                "zreplj_pass_last_success_timestamp_seconds{zreplj_job=\"laptop\"} " + T0.getEpochSecond() + ".0");

        Path totals = PassTotals.file(state, "laptop");
        Files.writeString(totals, "");
        record(pass(500, null, 1), T0.plusSeconds(600), Duration.ofSeconds(1));
        text = textOf(new AgentMetrics(state, List.of("laptop")));
        assertSample(text, "zreplj_passes_total{zreplj_job=\"laptop\"} 1.0");
        assertSample(
                text,
                "zreplj_filesystem_last_success_timestamp_seconds{filesystem=\"rpool/home\",zreplj_job=\"laptop\"} "
                        + T0.plusSeconds(600).getEpochSecond() + ".0");

        Files.writeString(totals, "[");
        text = textOf(new AgentMetrics(state, List.of("laptop")));
        assertFalse(text.contains("zreplj_passes_total{"), text);
        assertSample(
                text,
                "zreplj_pass_last_success_timestamp_seconds{zreplj_job=\"laptop\"} "
                        + T0.plusSeconds(600).getEpochSecond() + ".0");
        assertSample(
                text,
                "zreplj_pass_last_attempt_timestamp_seconds{zreplj_job=\"laptop\"} "
                        + T0.plusSeconds(600).getEpochSecond() + ".0");
    }

    /**
     * docs/monitoring.md: deleting {@code <state_dir>/jobs/counters} starts the counters at 0 again. The last success is
     * not a counter: it stays what the job's status says, not 0 ("never"), which would fire every freshness alert.
     */
    @Test
    void deletingTheCountersKeepsTheLastSuccess() throws Exception {
        record(pass(1000, null, 1), T0, Duration.ofMillis(1500));
        record(pass(500, Failure.CONNECTION_LOST, 2), T0.plusSeconds(600), Duration.ofSeconds(3));
        Files.delete(PassTotals.file(state, "laptop"));
        Files.delete(PassTotals.file(state, "laptop").getParent());

        String text = textOf(new AgentMetrics(state, List.of("laptop")));
        assertSample(text, "zreplj_passes_total{zreplj_job=\"laptop\"} 0.0");
        assertSample(
                text,
                "zreplj_pass_last_success_timestamp_seconds{zreplj_job=\"laptop\"} " + T0.getEpochSecond() + ".0");

        record(pass(500, Failure.CONNECTION_LOST, 2), T0.plusSeconds(1200), Duration.ofSeconds(3));
        text = textOf(new AgentMetrics(state, List.of("laptop")));
        assertSample(text, "zreplj_passes_total{zreplj_job=\"laptop\"} 1.0");
        assertSample(
                text,
                "zreplj_pass_last_success_timestamp_seconds{zreplj_job=\"laptop\"} " + T0.getEpochSecond() + ".0");
    }

    /**
     * One machine with both roles: the state directory is the box user's, who can move root's {@code jobs/} away
     * and write counters that say the last pass succeeded. Where the status could not be read, the last success came
     * from the counters, kept in the box user's {@code metrics/}: a freshness alert stayed quiet on a forged time.
     * Now neither root's counters in a {@code jobs/} of another user's, nor the old place in a directory another
     * user can write, are read.
     */
    @Test
    void countersTheBoxUserCouldHaveWrittenGiveNoLastSuccess() throws Exception {
        record(pass(1000, null, 1), T0, Duration.ofMillis(1500));
        Path forgedState = Files.createDirectories(state.resolve("forged"));
        PassTotals.record(forgedState, pass(1000, null, 1), Duration.ofSeconds(1), T0.plusSeconds(86_400));
        byte[] forged = Files.readAllBytes(PassTotals.file(forgedState, "laptop"));
        java.nio.file.attribute.UserPrincipal nobody =
                state.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName("nobody");

        Files.move(state.resolve("jobs"), state.resolve("jobs.moved"));
        for (Path dir : List.of(state.resolve("jobs"), state.resolve("jobs/counters"), state.resolve("metrics"))) {
            Files.createDirectories(dir);
            Files.setOwner(dir, nobody);
        }
        Files.write(PassTotals.file(state, "laptop"), forged);
        Files.write(state.resolve("metrics/laptop.json"), forged);

        String text = textOf(new AgentMetrics(state, List.of("laptop")));
        assertTrue(
                text.lines().noneMatch(l -> l.startsWith("zreplj_pass_last_success_timestamp_seconds")),
                () -> "no last success from files another user wrote:\n" + text);
    }

    /** Counters of a zreplj before this one, in metrics/ of a state directory that is root's alone: taken over. */
    @Test
    void theOldCountersFileInADirectoryOfRootsAloneIsTakenOver() throws Exception {
        record(pass(1000, null, 1), T0, Duration.ofMillis(1500));
        Path old = Files.createDirectories(state.resolve("metrics")).resolve("laptop.json");
        Files.move(PassTotals.file(state, "laptop"), old);
        record(pass(500, Failure.CONNECTION_LOST, 2), T0.plusSeconds(600), Duration.ofSeconds(3));

        assertEquals(2, PassTotals.read(state, "laptop").passes(), "the old file's pass counted");
        assertTrue(Files.notExists(old), "and the old file removed");
    }

    /** A status file from an older zreplj has no last success: the counters file's is used. */
    @Test
    void anOlderStatusFileWithoutTheLastSuccessFallsBackToTheCountersFile() throws Exception {
        record(pass(1000, null, 1), T0, Duration.ofMillis(1500));
        Path status = new JobStatusStore(state).file("laptop");
        // the job's own fields are the file's last (an older file has none of them); the filesystems' lastSuccess stay
        String older = Files.readString(status)
                .replaceFirst(
                        ",\\s*\"lastSuccess\"\\s*:\\s*\\d+\\s*,\\s*\"lastSnapshotRound\"\\s*:\\s*null\\s*,"
                                + "\\s*\"lastRoundInVain\"\\s*:\\s*null\\s*}\\s*$",
                        "\n}\n");
        assertNotEquals(Files.readString(status), older, "the job's lastSuccess was found and removed");
        Files.writeString(status, older);
        record(pass(500, Failure.CONNECTION_LOST, 2), T0.plusSeconds(600), Duration.ofSeconds(3));

        String text = textOf(new AgentMetrics(state, List.of("laptop")));
        assertSample(
                text,
                "zreplj_pass_last_success_timestamp_seconds{zreplj_job=\"laptop\"} " + T0.getEpochSecond() + ".0");
    }

    @Test
    void aDamagedClientStatusFileLeavesTheBoxsCountersOfThatClient() throws Exception {
        Files.createDirectories(state.resolve("clients"));
        Files.writeString(state.resolve("clients/laptop.json"), "{\"client\":");
        Files.createDirectories(state.resolve("metrics/clients"));
        Files.writeString(
                state.resolve("metrics/clients/laptop.json"),
                "{\"client\":\"laptop\",\"filesystems\":{\"rpool/home\":{\"receives\":3,\"bytes\":4096}}}");
        String text = boxText("laptop");
        assertSample(
                text,
                "zreplj_box_receives_total{client=\"laptop\",filesystem=\"rpool/home\",zreplj_job=\"backups\"} 3.0");
        assertFalse(text.contains("zreplj_box_client_last_received_timestamp_seconds{"), "not guessed as 0: " + text);
    }

    @Test
    void boxMetricsListEveryClientAndNeverConnectedOnesAtZero() throws Exception {
        Files.createDirectories(state.resolve("clients"));
        Files.writeString(
                state.resolve("clients/laptop.json"),
                "{\"client\":\"laptop\",\"filesystems\":{"
                        + "\"rpool/home\":{\"snapshot\":\"zrepl_1\",\"guid\":\"1\",\"received\":\"2026-11-30T12:00:03Z\"},"
                        + "\"rpool/src\":{\"snapshot\":\"zrepl_1\",\"guid\":\"2\",\"received\":\"2026-11-30T11:00:00Z\"}}}");
        Files.createDirectories(state.resolve("metrics/clients"));
        Files.writeString(
                state.resolve("metrics/clients/laptop.json"),
                "{\"client\":\"laptop\",\"filesystems\":{" + "\"rpool/home\":{\"receives\":3,\"bytes\":4096}}}");
        String text = boxText("laptop", "desktop");
        long received = Instant.parse("2026-11-30T12:00:03Z").getEpochSecond();
        for (String line : List.of(
                "zreplj_box_client_last_received_timestamp_seconds{client=\"laptop\",zreplj_job=\"backups\"} "
                        + received + ".0",
                "zreplj_box_client_last_received_timestamp_seconds{client=\"desktop\",zreplj_job=\"backups\"} 0.0",
                "zreplj_box_client_filesystems{client=\"laptop\",zreplj_job=\"backups\"} 2.0",
                "zreplj_box_client_filesystems{client=\"desktop\",zreplj_job=\"backups\"} 0.0",
                "zreplj_box_last_received_timestamp_seconds{client=\"laptop\",filesystem=\"rpool/src\",zreplj_job=\"backups\"} "
                        + Instant.parse("2026-11-30T11:00:00Z").getEpochSecond() + ".0",
                "zreplj_box_receives_total{client=\"laptop\",filesystem=\"rpool/home\",zreplj_job=\"backups\"} 3.0",
                "zreplj_box_received_bytes_total{client=\"laptop\",filesystem=\"rpool/home\",zreplj_job=\"backups\"} 4096.0")) {
            assertSample(text, line);
        }
    }

    /**
     * A receive the box had no space for made its status WARNING (stop 54) but left its metrics silent: only an
     * ageing last receive, a day later. Its own series, labelled with the kind, until a receive completes.
     */
    @Test
    void aReceiveTheBoxHadNoSpaceForIsItsOwnSeries() throws Exception {
        Files.createDirectories(state.resolve("clients"));
        Files.writeString(
                state.resolve("clients/laptop.json"),
                "{\"client\":\"laptop\",\"filesystems\":{"
                        + "\"rpool/home\":{\"snapshot\":\"zrepl_1\",\"guid\":\"1\",\"received\":\"2026-11-30T12:00:03Z\"}},"
                        + "\"failed\":{\"rpool/home\":{\"reason\":\"cannot receive incremental stream: out of space\","
                        + "\"at\":\"2026-11-30T13:00:00Z\"},\"rpool/new\":{\"reason\":\"out of space\","
                        + "\"at\":\"2026-11-30T13:00:05Z\"}}}");
        Files.writeString(
                state.resolve("clients/desktop.json"),
                "{\"client\":\"desktop\",\"filesystems\":{"
                        + "\"tank/a\":{\"snapshot\":\"zrepl_1\",\"guid\":\"1\",\"received\":\"2026-11-30T12:00:03Z\"}}}");
        String text = boxText("laptop", "desktop");
        assertSample(
                text,
                "zreplj_box_receive_failed_timestamp_seconds{client=\"laptop\",filesystem=\"rpool/home\",kind=\"no_space\","
                        + "zreplj_job=\"backups\"} "
                        + Instant.parse("2026-11-30T13:00:00Z").getEpochSecond() + ".0");
        assertSample(
                text,
                "zreplj_box_receive_failed_timestamp_seconds{client=\"laptop\",filesystem=\"rpool/new\",kind=\"no_space\","
                        + "zreplj_job=\"backups\"} "
                        + Instant.parse("2026-11-30T13:00:05Z").getEpochSecond() + ".0");
        assertFalse(text.contains("receive_failed_timestamp_seconds{client=\"desktop\""), text);
        // Only received filesystems count as the client's: one that never got through is no filesystem of it yet.
        assertSample(text, "zreplj_box_client_filesystems{client=\"laptop\",zreplj_job=\"backups\"} 1.0");
    }

    @Test
    void theEndpointServesWhatTheStateFilesSayAtEachScrape() throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        try (MetricsEndpoint endpoint = MetricsEndpoint.start(
                List.of(new PrometheusListener("127.0.0.1", 0, "127.0.0.1:0")),
                new AgentMetrics(state, List.of("laptop")))) {
            URI uri = URI.create("http://127.0.0.1:" + endpoint.ports().get(0) + "/metrics");
            String before = http.send(HttpRequest.newBuilder(uri).build(), HttpResponse.BodyHandlers.ofString())
                    .body();
            assertTrue(before.contains("zreplj_passes_total{zreplj_job=\"laptop\"} 0.0"), before);

            record(pass(1000, null, 1), T0, Duration.ofSeconds(2));
            HttpResponse<String> after =
                    http.send(HttpRequest.newBuilder(uri).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, after.statusCode());
            assertTrue(after.body().contains("zreplj_passes_total{zreplj_job=\"laptop\"} 1.0"), after.body());
            assertTrue(
                    after.body()
                            .contains("zreplj_replicated_bytes_total{filesystem=\"rpool/home\",zreplj_job=\"laptop\"}"
                                    + " 1000.0"),
                    after.body());
            Promtool.assertClean(after.body());
        }
    }

    /**
     * A client that hangs up before its response is written, as any host that reaches the port can at will:
     * one line in the agent's log (debug), not the exporter's java.util.logging SEVERE with a stack trace of
     * about 30 lines on stderr each time.
     */
    @Test
    void aClientThatHangsUpCostsNoStackTraceOnStderr() throws Exception {
        java.util.concurrent.CountDownLatch entered = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
        AgentMetrics real = new AgentMetrics(state, List.of("laptop"));
        io.prometheus.metrics.model.registry.MultiCollector slow = () -> {
            entered.countDown();
            try {
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return real.collect();
        };
        List<java.util.logging.LogRecord> jul = new java.util.concurrent.CopyOnWriteArrayList<>();
        java.util.logging.Handler julHandler = new java.util.logging.Handler() {
            @Override
            public void publish(java.util.logging.LogRecord r) {
                jul.add(r);
            }

            @Override
            public void flush() {}

            @Override
            public void close() {}
        };
        java.util.logging.Logger exporterLog = java.util.logging.Logger.getLogger("io.prometheus.metrics.exporter");
        exporterLog.addHandler(julHandler);
        exporterLog.setUseParentHandlers(false);
        try (LogCapture ours = new LogCapture(ch.qos.logback.classic.Level.DEBUG);
                MetricsEndpoint endpoint =
                        MetricsEndpoint.start(List.of(new PrometheusListener("127.0.0.1", 0, "127.0.0.1:0")), slow)) {
            try (java.net.Socket client =
                    new java.net.Socket("127.0.0.1", endpoint.ports().get(0))) {
                client.getOutputStream()
                        .write("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n"
                                .getBytes(java.nio.charset.StandardCharsets.US_ASCII));
                assertTrue(entered.await(10, java.util.concurrent.TimeUnit.SECONDS));
                client.setSoLinger(true, 0); // a reset: the response cannot be written
            }
            Thread.sleep(200);
            release.countDown();
            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (ours.lines().isEmpty() && jul.isEmpty() && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            Thread.sleep(200);
            assertEquals(
                    List.of(),
                    jul.stream().map(java.util.logging.LogRecord::getMessage).toList());
            assertEquals(1, ours.lines().size(), ours.lines()::toString);
            assertTrue(ours.lines().get(0).startsWith("DEBUG metrics: a scrape ended early: "), ours.lines()::toString);
        } finally {
            exporterLog.removeHandler(julHandler);
            exporterLog.setUseParentHandlers(true);
        }
    }

    /** Collecting that fails is a 500 for the scraper and a line in the agent's log, not a 500 alone. */
    @Test
    void aScrapeThatFailsIsLogged() throws Exception {
        io.prometheus.metrics.model.registry.MultiCollector broken = () -> {
            throw new IllegalStateException("duplicate labels");
        };
        HttpClient http = HttpClient.newHttpClient();
        try (LogCapture ours = new LogCapture(ch.qos.logback.classic.Level.INFO);
                MetricsEndpoint endpoint =
                        MetricsEndpoint.start(List.of(new PrometheusListener("127.0.0.1", 0, "127.0.0.1:0")), broken)) {
            URI uri = URI.create("http://127.0.0.1:" + endpoint.ports().get(0) + "/metrics");
            HttpResponse<String> r =
                    http.send(HttpRequest.newBuilder(uri).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(500, r.statusCode());
            assertEquals(
                    List.of("WARN metrics: a scrape failed (500): java.lang.IllegalStateException: duplicate labels"),
                    ours.lines());
        }
    }

    /** MetricsEndpoint's log lines as "LEVEL message", at the given level and above. */
    private static final class LogCapture implements AutoCloseable {
        private final ch.qos.logback.classic.Logger logger =
                (ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger(MetricsEndpoint.class);
        private final ch.qos.logback.classic.Level before = logger.getLevel();
        private final ch.qos.logback.core.read.ListAppender<ch.qos.logback.classic.spi.ILoggingEvent> appender =
                new ch.qos.logback.core.read.ListAppender<>();

        LogCapture(ch.qos.logback.classic.Level level) {
            appender.start();
            logger.addAppender(appender);
            logger.setLevel(level);
        }

        List<String> lines() {
            return appender.list.stream()
                    .map(e -> e.getLevel() + " " + e.getFormattedMessage())
                    .toList();
        }

        @Override
        public void close() {
            logger.detachAppender(appender);
            logger.setLevel(before);
        }
    }

    @Test
    void aPortInUseIsOneClearError() throws Exception {
        try (var taken = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            String listen = "127.0.0.1:" + taken.getLocalPort();
            java.io.IOException e = org.junit.jupiter.api.Assertions.assertThrows(
                    java.io.IOException.class,
                    () -> MetricsEndpoint.start(
                            List.of(new PrometheusListener("127.0.0.1", taken.getLocalPort(), listen)),
                            new AgentMetrics(state, List.of())));
            assertTrue(
                    e.getMessage().startsWith("global.monitoring: cannot listen on '" + listen + "': "),
                    e.getMessage());
        }
    }

    @Test
    void anAddressNotOfThisMachineIsNotBlamedOnAnotherProcess() {
        // 192.0.2.1: TEST-NET-1, documentation only, on no interface here
        java.io.IOException e = org.junit.jupiter.api.Assertions.assertThrows(
                java.io.IOException.class,
                () -> MetricsEndpoint.start(
                        List.of(new PrometheusListener("192.0.2.1", 0, "192.0.2.1:0")),
                        new AgentMetrics(state, List.of())));
        assertFalse(e.getMessage().contains("another process"), e.getMessage());
        assertTrue(e.getMessage().contains("an address of this machine"), e.getMessage());
    }

    @Test
    void theShippedAlertRulesPassTheirTests() throws Exception {
        Path dir = Path.of("..", "contrib", "monitoring").toAbsolutePath().normalize();
        Promtool.Result check = Promtool.run(List.of("check", "rules", "zreplj-alerts.yml"), null, dir);
        assertEquals(0, check.exit(), check::output);
        Promtool.Result test = Promtool.run(List.of("test", "rules", "zreplj-alerts.test.yml"), null, dir);
        assertEquals(0, test.exit(), test::output);
        assertTrue(test.output().contains("SUCCESS"), test::output);
    }
}
