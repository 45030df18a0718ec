package dev.zreplj.cli;

import static dev.zreplj.cli.EndToEnd.assertContains;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.zreplj.metrics.Promtool;
import dev.zreplj.zfs.DatasetName;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Monitoring as an admin sees it, on zfs-fuse with a real sshd and the built launcher: the box's
 * status exit codes by its own clock, the textfiles the agent and the box write after a real pass and
 * receive, and the endpoint agent run serves, each checked by promtool.
 */
@Tag("system")
class MonitoringIT {
    private static final String JOB = "laptop_to_box";

    @TempDir
    Path tmp;

    @Test
    void boxStatusFreshStaleNeverConnectedAndUnreadableByTheBoxsClock() throws Exception {
        try (EndToEnd e = new EndToEnd(tmp, PushSuite.HOME_FILTER)) {
            DatasetName home = e.pools.createFilesystem(e.src.child("home"));
            // The sink config serves laptop and "other"; this one only the laptop, on the same state.
            Path laptopOnly = tmp.resolve("sink-laptop-only.yml");
            Files.writeString(laptopOnly, Files.readString(e.sinkConfig).replace("[laptop, other]", "[laptop]"));

            EndToEnd.Run before = box(e, laptopOnly);
            assertEquals(2, before.exit(), before::toString);
            assertTrue(
                    before.stdout()
                            .startsWith("ZREPLJ CRITICAL: client laptop: nothing received yet: no backup"
                                    + " exists | 'backups/laptop'=U;90000;176400;0\n"),
                    before::toString);

            EndToEnd.Run pass = e.agent("agent", "once", "--snapshot");
            assertEquals(0, pass.exit(), pass::toString);
            String snapshot = e.pools.snapshotNames(home).get(0);

            EndToEnd.Run fresh = box(e, laptopOnly);
            assertEquals(0, fresh.exit(), fresh::toString);
            assertTrue(
                    fresh.stdout()
                            .startsWith("ZREPLJ OK: 1 client, 1 filesystem backed up within 1d1h | 'backups/"
                                    + "laptop:" + home + "'="),
                    fresh::toString);
            assertContains(fresh.stdout(), "  " + home + ": OK, @" + snapshot + " received ", fresh);

            Thread.sleep(2100);
            EndToEnd.Run warn = box(e, laptopOnly, "--warn", "2s", "--crit", "1h");
            assertEquals(1, warn.exit(), warn::toString);
            assertTrue(
                    warn.stdout().startsWith("ZREPLJ WARNING: client laptop " + home + ": last received "),
                    warn::toString);
            assertContains(warn.stdout(), "(warning from 2s)", warn);

            EndToEnd.Run crit = box(e, laptopOnly, "--warn", "1s", "--crit", "2s");
            assertEquals(2, crit.exit(), crit::toString);
            assertTrue(
                    crit.stdout().startsWith("ZREPLJ CRITICAL: client laptop " + home + ": last received "),
                    crit::toString);

            EndToEnd.Run never = box(e, e.sinkConfig);
            assertEquals(2, never.exit(), never::toString);
            assertTrue(
                    never.stdout()
                            .startsWith("ZREPLJ CRITICAL: client other: nothing received yet: no backup" + " exists |"),
                    never::toString);
            assertContains(never.stdout(), "sink job backups, client laptop: OK, 1 filesystem\n", never);

            EndToEnd.Run json = box(e, e.sinkConfig, "--json");
            assertEquals(2, json.exit(), json::toString);
            assertContains(json.stdout(), "\"client\" : \"other\",\n    \"status\" : \"CRITICAL\"", json);
            assertContains(json.stdout(), "\"snapshot\" : \"" + snapshot + "\"", json);

            Path clientFile = tmp.resolve("box-state/clients/laptop.json");
            Files.writeString(clientFile, "{ \"client\": \"laptop\", \"filesystems\": ");
            EndToEnd.Run unreadable = box(e, laptopOnly);
            assertEquals(3, unreadable.exit(), unreadable::toString);
            assertTrue(
                    unreadable
                            .stdout()
                            .startsWith("ZREPLJ UNKNOWN: client laptop: " + clientFile + ": unreadable status file ("),
                    unreadable::toString);
        }
    }

    @Test
    void theAgentAndTheBoxWriteTheirTextfilesAfterARealPassAndPromtoolAcceptsThem() throws Exception {
        try (EndToEnd e = new EndToEnd(tmp, PushSuite.HOME_FILTER)) {
            DatasetName home = e.pools.createFilesystem(e.src.child("home"));
            e.pools.writeRandomFile(home, "data.bin", 1 << 20);
            Path agentProm = tmp.resolve("node-exporter-laptop/zreplj.prom");
            Path boxProm = tmp.resolve("node-exporter-box/zreplj.prom");
            e.replaceInAgentConfig("  zreplj:\n", "  zreplj:\n    metrics:\n      textfile: " + agentProm + "\n");
            Files.writeString(
                    e.sinkConfig,
                    Files.readString(e.sinkConfig)
                            .replace("  zreplj:\n", "  zreplj:\n    metrics:\n      textfile: " + boxProm + "\n"));

            long before = System.currentTimeMillis() / 1000;
            EndToEnd.Run pass = e.agent("agent", "once", "--snapshot");
            assertEquals(0, pass.exit(), pass::toString);
            long after = System.currentTimeMillis() / 1000 + 1;

            String agent = Files.readString(agentProm);
            Promtool.Result agentCheck = Promtool.checkMetrics(agent);
            assertEquals(new Promtool.Result(0, ""), agentCheck, agent);
            String fs = "{filesystem=\"" + home + "\",zreplj_job=\"" + JOB + "\"}";
            double bytes = value(agent, "zreplj_replicated_bytes_total" + fs);
            assertTrue(bytes > 1 << 20, "the random MiB and the stream's overhead, not " + bytes + ":\n" + agent);
            assertEquals(1.0, value(agent, "zreplj_replication_steps_total" + fs), agent);
            assertEquals(1.0, value(agent, "zreplj_passes_total{zreplj_job=\"" + JOB + "\"}"), agent);
            assertEquals(0.0, value(agent, "zreplj_pass_failed{zreplj_job=\"" + JOB + "\"}"), agent);
            double success = value(agent, "zreplj_filesystem_last_success_timestamp_seconds" + fs);
            assertTrue(success >= before && success <= after, success + " not within the pass:\n" + agent);
            assertEquals(
                    1.0,
                    value(
                            agent,
                            "zreplj_snapshots{filesystem=\"" + home + "\",side=\"sender\",zreplj_job=\"" + JOB + "\"}"),
                    agent);

            String box = Files.readString(boxProm);
            Promtool.Result boxCheck = Promtool.checkMetrics(box);
            assertEquals(new Promtool.Result(0, ""), boxCheck, box);
            double received = value(
                    box,
                    "zreplj_box_client_last_received_timestamp_seconds{client=\"laptop\"," + "zreplj_job=\"backups\"}");
            assertTrue(received >= before && received <= after, received + " not within the pass:\n" + box);
            assertEquals(
                    0.0,
                    value(
                            box,
                            "zreplj_box_client_last_received_timestamp_seconds{client=\"other\","
                                    + "zreplj_job=\"backups\"}"),
                    "a client that never connected is at 0:\n" + box);
            assertEquals(
                    bytes,
                    value(
                            box,
                            "zreplj_box_received_bytes_total{client=\"laptop\",filesystem=\"" + home
                                    + "\",zreplj_job=\"backups\"}"),
                    "the box counted the bytes the agent sent:\n" + box);

            // The box is gone: the pass fails and says so in the textfile; the counters keep counting.
            int closed;
            try (ServerSocket s = new ServerSocket(0)) {
                closed = s.getLocalPort();
            }
            e.replaceInAgentConfig("port: " + e.sshd.port(), "port: " + closed);
            EndToEnd.Run cut = e.agent("agent", "once", "--snapshot");
            assertEquals(1, cut.exit(), cut::toString);
            String failed = Files.readString(agentProm);
            assertEquals(new Promtool.Result(0, ""), Promtool.checkMetrics(failed), failed);
            assertEquals(1.0, value(failed, "zreplj_pass_failed{zreplj_job=\"" + JOB + "\"}"), failed);
            assertEquals(2.0, value(failed, "zreplj_passes_total{zreplj_job=\"" + JOB + "\"}"), failed);
            assertEquals(
                    1.0,
                    value(failed, "zreplj_stage_failures_total{stage=\"connect\",zreplj_job=\"" + JOB + "\"}"),
                    failed);
            assertEquals(
                    success,
                    value(failed, "zreplj_filesystem_last_success_timestamp_seconds" + fs),
                    "the last success stays where it was:\n" + failed);
            try (var files = Files.list(agentProm.getParent())) {
                assertEquals(
                        List.of(".zreplj.prom.lock", "zreplj.prom"),
                        files.map(p -> p.getFileName().toString()).sorted().toList(),
                        "no temp file left behind");
            }
        }
    }

    @Test
    void agentRunServesGlobalMonitoringAndAgentOnceSaysItCannot() throws Exception {
        try (EndToEnd e = new EndToEnd(tmp, PushSuite.HOME_FILTER)) {
            e.pools.createFilesystem(e.src.child("home"));
            int port;
            try (ServerSocket s = new ServerSocket(0)) {
                port = s.getLocalPort();
            }
            e.replaceInAgentConfig(
                    "global:\n",
                    "global:\n  monitoring:\n    - type: prometheus\n      listen: '127.0.0.1:" + port + "'\n");

            EndToEnd.Run once = e.agent("agent", "once", "--snapshot");
            assertEquals(0, once.exit(), once::toString);
            assertEquals(
                    "zreplj: warning: global.monitoring is served by 'agent run' only; 'agent once' ends after its"
                            + " pass and serves no endpoint: set global.zreplj.metrics.textfile for node_exporter's textfile"
                            + " collector (docs/monitoring.md)\n",
                    once.stderr()
                            .lines()
                            .filter(l -> l.startsWith("zreplj: "))
                            .map(l -> l + "\n")
                            .findFirst()
                            .orElse(""),
                    once::toString);

            e.replaceInAgentConfig("interval: 10m", "interval: 2s");
            Process agent = e.startAgent("agent", "run");
            HttpClient http = HttpClient.newHttpClient();
            URI uri = URI.create("http://127.0.0.1:" + port + "/metrics");
            String body = "";
            try {
                long deadline = System.nanoTime() + 150_000_000_000L;
                while (true) {
                    assertTrue(agent.isAlive(), () -> "agent run ended: " + e.killedAgentLog());
                    assertTrue(System.nanoTime() < deadline, "no second pass on the endpoint after 150 s:\n" + body);
                    try {
                        HttpResponse<String> r =
                                http.send(HttpRequest.newBuilder(uri).build(), HttpResponse.BodyHandlers.ofString());
                        assertEquals(200, r.statusCode(), r::body);
                        body = r.body();
                        if (body.contains("zreplj_passes_total{zreplj_job=\"" + JOB + "\"} 2.0")) {
                            break;
                        }
                    } catch (java.net.ConnectException notYet) {
                        // the JVM is still starting
                    }
                    Thread.sleep(500);
                }
            } finally {
                agent.destroy();
                agent.waitFor();
            }
            assertEquals(new Promtool.Result(0, ""), Promtool.checkMetrics(body), body);
            assertEquals(0.0, value(body, "zreplj_pass_failed{zreplj_job=\"" + JOB + "\"}"), body);
            assertContains(
                    e.killedAgentLog(),
                    "serving Prometheus metrics on [127.0.0.1:" + port + "]",
                    new EndToEnd.Run(0, e.killedAgentLog(), ""));
        }
    }

    private static EndToEnd.Run box(EndToEnd e, Path config, String... args) {
        List<String> command = new java.util.ArrayList<>(List.of("--config", config.toString(), "status"));
        command.addAll(List.of(args));
        return e.zreplj(command, null);
    }

    /** The value of one series in an exposition text (the writer prints doubles as Java does). */
    private static double value(String text, String series) {
        Matcher m =
                Pattern.compile("(?m)^" + Pattern.quote(series) + " (\\S+)$").matcher(text);
        assertTrue(m.find(), () -> "no series " + series + " in\n" + text);
        return Double.parseDouble(m.group(1));
    }
}
