package dev.zreplj.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import dev.zreplj.agent.JobStatusStore.FilesystemStatus;
import dev.zreplj.agent.JobStatusStore.JobStatus;
import dev.zreplj.config.StatusThresholds;
import dev.zreplj.status.BoxCopies;
import dev.zreplj.status.SenderSelection;
import dev.zreplj.status.StatusCheck;
import dev.zreplj.status.StatusReport;
import dev.zreplj.stdinserver.ClientStatusFile.ClientStatus;
import dev.zreplj.stdinserver.ClientStatusFile.Received;
import java.time.Instant;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * The {@code status --json} schema of docs/cli.md, field by field with its JSON type: a renamed field, a
 * new one, or one whose type changes (an epoch number where an ISO string was, a sentinel where null
 * was) fails here. A rename or a change of type must then bump {@link StatusReport#SCHEMA} and the docs; a
 * new field (sink[].revoked) is added to the docs and here, in the same schema, which its readers still read.
 */
class StatusJsonSchemaTest {
    private static final Map<String, String> SCHEMA_1 = new TreeMap<>(Map.ofEntries(
            Map.entry("schema", "number"),
            Map.entry("checked", "iso"),
            Map.entry("status", "state"),
            Map.entry("summary", "string"),
            Map.entry("thresholds", "object"),
            Map.entry("thresholds.warn_seconds", "number"),
            Map.entry("thresholds.crit_seconds", "number"),
            Map.entry("push", "array"),
            Map.entry("push[]", "object"),
            Map.entry("push[].job", "string"),
            Map.entry("push[].status", "state"),
            Map.entry("push[].problems", "array"),
            Map.entry("push[].problems[]", "string"),
            Map.entry("push[].last_run", "iso|null"),
            Map.entry("push[].last_run_age_seconds", "number|null"),
            Map.entry("push[].error", "string|null"),
            Map.entry("push[].stage_failures", "array"),
            Map.entry("push[].stage_failures[]", "string"),
            Map.entry("push[].filesystems", "array"),
            Map.entry("push[].filesystems[]", "object"),
            Map.entry("push[].filesystems[].filesystem", "string"),
            Map.entry("push[].filesystems[].status", "state"),
            Map.entry("push[].filesystems[].problems", "array"),
            Map.entry("push[].filesystems[].problems[]", "string"),
            Map.entry("push[].filesystems[].outcome", "string"),
            Map.entry("push[].filesystems[].message", "string"),
            Map.entry("push[].filesystems[].last_attempt", "iso"),
            Map.entry("push[].filesystems[].last_success", "iso|null"),
            Map.entry("push[].filesystems[].last_success_age_seconds", "number|null"),
            Map.entry("push[].filesystems[].last_snapshot", "iso|null"),
            Map.entry("push[].filesystems[].last_snapshot_age_seconds", "number|null"),
            Map.entry("push[].filesystems[].bytes", "number|null"),
            Map.entry("push[].filesystems[].estimated_bytes", "number|null"),
            Map.entry("sink", "array"),
            Map.entry("sink[]", "object"),
            Map.entry("sink[].job", "string"),
            Map.entry("sink[].client", "string"),
            Map.entry("sink[].status", "state"),
            Map.entry("sink[].problems", "array"),
            Map.entry("sink[].problems[]", "string"),
            Map.entry("sink[].last_received", "iso|null"),
            Map.entry("sink[].last_received_age_seconds", "number|null"),
            Map.entry("sink[].revoked", "iso|null"),
            Map.entry("sink[].filesystems", "array"),
            Map.entry("sink[].filesystems[]", "object"),
            Map.entry("sink[].filesystems[].filesystem", "string"),
            Map.entry("sink[].filesystems[].status", "state"),
            Map.entry("sink[].filesystems[].problems", "array"),
            Map.entry("sink[].filesystems[].problems[]", "string"),
            Map.entry("sink[].filesystems[].snapshot", "string"),
            Map.entry("sink[].filesystems[].guid", "string"),
            Map.entry("sink[].filesystems[].received", "iso|null"),
            Map.entry("sink[].filesystems[].received_age_seconds", "number|null")));

    @Test
    void everyFieldHasItsDocumentedType() throws Exception {
        long now = 1_800_000_000L;
        StatusCheck check = new StatusCheck(StatusThresholds.DEFAULTS, Instant.ofEpochSecond(now));
        // Every field appears at least once with a value and once as null, where it may be null.
        StatusReport report = check.report(
                List.of(
                        check.job(
                                "laptop",
                                Optional.of(new JobStatus(
                                        "laptop",
                                        now - 60,
                                        "ssh: connection refused",
                                        List.of(
                                                new FilesystemStatus(
                                                        "rpool/a",
                                                        "REPLICATED",
                                                        "rpool/a: replicated",
                                                        now - 60,
                                                        now - 60,
                                                        10L,
                                                        9L,
                                                        now - 60),
                                                new FilesystemStatus(
                                                        "rpool/b", "FAILED", "rpool/b: failed", now - 60, 0)),
                                        List.of("prune: 1 filesystem failed"))),
                                new SenderSelection(List.of("rpool/a", "rpool/b"), null),
                                false),
                        check.job("never", Optional.empty(), new SenderSelection(List.of(), null), false)),
                List.of(
                        check.client(
                                "box",
                                "laptop",
                                new ClientStatus(
                                        "laptop",
                                        Map.of(
                                                "rpool/a",
                                                        new Received(
                                                                "zrepl_1",
                                                                "18446744073709551615",
                                                                "2027-01-15T07:59:00Z"),
                                                "rpool/b", new Received("zrepl_1", "1", "garbage"))),
                                new BoxCopies(
                                        Map.of(
                                                "rpool/a",
                                                java.util.Set.of("18446744073709551615"),
                                                "rpool/b",
                                                java.util.Set.of("1")),
                                        null)),
                        check.revoked(
                                check.client("box", "desktop", null, new BoxCopies(Map.of(), null)),
                                null,
                                Instant.ofEpochSecond(now - 3600))));
        JsonNode json = StatusCommand.JSON.readTree(StatusCommand.JSON.writeValueAsString(report));
        Map<String, String> seen = new TreeMap<>();
        walk("", json, seen);
        assertEquals(SCHEMA_1, seen);
        assertEquals(1, json.get("schema").asInt());
    }

    /**
     * docs/cli.md's example is what {@code status --json} writes for its case (a pass whose connect failed, after
     * one that replicated at 06:00): it showed a combination the code never makes.
     */
    @Test
    void theDocumentedExampleIsWhatStatusWrites() throws Exception {
        String doc = java.nio.file.Files.readString(java.nio.file.Path.of("..", "docs", "cli.md"));
        int section = doc.indexOf("### `status --json` (schema 1)");
        int start = doc.indexOf("```json\n", section) + "```json\n".length();
        JsonNode documented = StatusCommand.JSON.readTree(doc.substring(start, doc.indexOf("```", start)));

        Instant now = Instant.parse("2026-11-30T13:30:00Z");
        long pass = Instant.parse("2026-11-30T12:00:00Z").getEpochSecond();
        long before = Instant.parse("2026-11-30T06:00:00Z").getEpochSecond();
        String error = "connect: no session with the backup box: ssh: cannot connect to ...";
        StatusCheck check = new StatusCheck(StatusThresholds.DEFAULTS, now);
        StatusReport report = check.report(
                List.of(check.job(
                        "laptop",
                        Optional.of(new JobStatus(
                                "laptop",
                                pass,
                                error,
                                List.of(new FilesystemStatus(
                                        "rpool/home", "FAILED", error, pass, before, null, null, pass, before)),
                                List.of(error))),
                        new SenderSelection(List.of("rpool/home"), null),
                        false)),
                List.of(check.client(
                        "box",
                        "laptop",
                        new ClientStatus(
                                "laptop",
                                Map.of(
                                        "rpool/home",
                                        new Received(
                                                "zrepl_20261130_060000_000",
                                                "12345678901234567890",
                                                "2026-11-30T06:00:03Z"))),
                        new BoxCopies(Map.of("rpool/home", java.util.Set.of("12345678901234567890")), null))));
        JsonNode written = StatusCommand.JSON.readTree(StatusCommand.JSON.writeValueAsString(report));
        assertEquals(
                StatusCommand.JSON.writerWithDefaultPrettyPrinter().writeValueAsString(written),
                StatusCommand.JSON.writerWithDefaultPrettyPrinter().writeValueAsString(documented));
    }

    private static void walk(String path, JsonNode node, Map<String, String> seen) {
        if (!path.isEmpty()) {
            seen.merge(path, type(path, node), StatusJsonSchemaTest::union);
        }
        if (node.isObject()) {
            for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                walk(path.isEmpty() ? e.getKey() : path + "." + e.getKey(), e.getValue(), seen);
            }
        } else if (node.isArray()) {
            node.forEach(element -> walk(path + "[]", element, seen));
        }
    }

    private static String type(String path, JsonNode node) {
        if (node.isNull()) return "null";
        if (node.isIntegralNumber()) return "number";
        if (node.isObject()) return "object";
        if (node.isArray()) return "array";
        if (!node.isTextual()) return node.getNodeType().toString();
        String text = node.asText();
        if (path.endsWith("status")
                && List.of("OK", "WARNING", "CRITICAL", "UNKNOWN").contains(text)) return "state";
        if (text.matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ")) return "iso";
        return "string";
    }

    private static String union(String a, String b) {
        if (a.equals(b)) return a;
        return a.equals("null") ? b + "|null" : b.equals("null") ? a + "|null" : a.contains(b) ? a : a + "," + b;
    }
}
