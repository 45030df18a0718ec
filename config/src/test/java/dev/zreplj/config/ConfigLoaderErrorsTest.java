package dev.zreplj.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.zreplj.protocol.StreamCompression;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Broken configs: each must fail with the exact FILE:LINE:COLUMN: message. */
class ConfigLoaderErrorsTest {
    /** A valid push job; tests break one line of it. Line numbers are in the comments. */
    private static final String PUSH = """
            jobs:
              - name: p
                type: push
                connect:
                  type: ssh+stdinserver
                  host: h
                  user: u
                  identity_file: /id
                filesystems: {"pool<": true}
                snapshotting:
                  type: periodic
                  prefix: zrepl_
                  interval: 10m
                pruning:
                  keep_sender: [{type: not_replicated}]
                  keep_receiver: [{type: last_n, count: 5}]
            """;
    //  1 jobs:               9 filesystems         13 interval
    //  2 - name: p           10 snapshotting       14 pruning
    //  3 type: push          11 type: periodic     15 keep_sender
    //  4 connect:            12 prefix             16 keep_receiver
    //  5..8 connect keys

    private static final String SINK = """
            jobs:
              - name: s
                type: sink
                root_fs: backup/zreplj
                serve:
                  type: stdinserver
                  client_identities: [laptop]
            """;

    @TempDir
    Path dir;

    private String error(String yaml) throws IOException {
        Path file = dir.resolve("zreplj.yml");
        Files.writeString(file, yaml);
        ConfigException e = assertThrows(ConfigException.class, () -> new ConfigLoader().load(file));
        String prefix = file + ":";
        assertTrue(e.getMessage().startsWith(prefix), e.getMessage());
        return e.getMessage().substring(prefix.length());
    }

    private void load(String yaml) throws Exception {
        Path file = dir.resolve("zreplj.yml");
        Files.writeString(file, yaml);
        new ConfigLoader().load(file);
    }

    private static String push(String line, String replacement) {
        assertTrue(PUSH.contains(line), line);
        return PUSH.replace(line, replacement);
    }

    private static String sink(String line, String replacement) {
        assertTrue(SINK.contains(line), line);
        return SINK.replace(line, replacement);
    }

    @Test
    void streamCompressionTakesItsThreeWordsUnquotedThoughYamlReadsOnAndOffAsBooleans() throws Exception {
        Path file = dir.resolve("ok.yml");
        for (StreamCompression mode : StreamCompression.values()) {
            String word = mode.name().toLowerCase(java.util.Locale.ROOT);
            Files.writeString(
                    file,
                    push("      identity_file: /id", "      identity_file: /id\n      stream_compression: " + word));
            assertEquals(
                    mode,
                    new ConfigLoader().load(file).pushJobs().get(0).connect().streamCompression(),
                    word);
        }
    }

    @Test
    void baseConfigsAreValid() throws Exception {
        Path file = dir.resolve("ok.yml");
        Files.writeString(file, PUSH);
        assertEquals(1, new ConfigLoader().load(file).pushJobs().size());
        Files.writeString(file, SINK);
        assertEquals(1, new ConfigLoader().load(file).sinkJobs().size());
    }

    @Test
    void unknownKeysNameTheKeyAndSuggest() throws Exception {
        assertEquals(
                "9:5: unknown key 'filesytems' (did you mean 'filesystems'?)",
                error(push("    filesystems:", "    filesytems:")));
        assertEquals("6:7: unknown key 'hots' (did you mean 'host'?)", error(push("      host: h", "      hots: h")));
        assertEquals(
                "9:5: unknown key 'zzz' (allowed: name, type, connect, filesystems, snapshotting, send, "
                        + "replication, conflict_resolution, pruning, debug)",
                error(push("    filesystems: {\"pool<\": true}", "    zzz: 1\n    filesystems: {\"pool<\": true}")));
        assertEquals("1:1: unknown key 'job' (did you mean 'jobs'?)", error("job: []\n"));
        assertEquals(
                "3:5: unknown key 'statedir' (did you mean 'state_dir'?)",
                error("global:\n  zreplj:\n    statedir: /x\njobs: []\n"));
    }

    @Test
    void missingRequiredKeysPointAtTheirMapping() throws Exception {
        assertEquals(
                "2:5: missing required key 'filesystems' in job 'p'",
                error(push("    filesystems: {\"pool<\": true}\n", "")));
        assertEquals("5:7: missing required key 'host' in 'connect'", error(push("      host: h\n", "")));
        assertEquals(
                "2:5: missing required key 'pruning' in job 'p'",
                error(PUSH.substring(0, PUSH.indexOf("    pruning:"))));
        assertEquals(
                "15:7: missing required key 'keep_receiver' in 'pruning'",
                error(push("      keep_receiver: [{type: last_n, count: 5}]\n", "")));
        assertEquals("1:1: missing required key 'jobs' in the config file", error("global: {}\n"));
        assertEquals("2:5: missing required key 'root_fs' in job 's'", error(sink("    root_fs: backup/zreplj\n", "")));
    }

    @Test
    void emptyOrMisshapenFiles() throws Exception {
        Path file = dir.resolve("zreplj.yml");
        assertEquals(" the config is empty; it needs a 'jobs' list", error(""));
        assertEquals(" the config is empty; it needs a 'jobs' list", error("# only a comment\n"));
        assertEquals("1:1: the config file must be a mapping (key: value), not a list", error("- a\n- b\n"));
        assertEquals("1:1: the config file must be a mapping (key: value), not 'jobs'", error("jobs\n"));
        assertEquals("1:7: 'jobs' must be a list, not a mapping", error("jobs: {a: 1}\n"));
        assertEquals("2:5: each job must be a mapping (key: value), not 'p'", error("jobs:\n  - p\n"));
        ConfigException e =
                assertThrows(ConfigException.class, () -> new ConfigLoader().load(dir.resolve("missing.yml")));
        assertEquals(dir.resolve("missing.yml") + ": cannot read: no such file", e.getMessage());
        e = assertThrows(ConfigException.class, () -> new ConfigLoader().load(dir));
        assertTrue(e.getMessage().startsWith(dir + ": cannot read: "), e.getMessage());
        Files.write(file, new byte[] {'j', 'o', 'b', 's', ':', ' ', (byte) 0xff, '\n'});
        e = assertThrows(ConfigException.class, () -> new ConfigLoader().load(file));
        assertEquals(file + ": cannot read: not UTF-8 text", e.getMessage());
    }

    @Test
    void yamlSyntaxErrorsCarryTheirPosition() throws Exception {
        assertEquals(
                "3:1: YAML syntax: a tab in the indentation: YAML indents with spaces only",
                error("jobs:\n  - name: p\n\ttype: push\n"));
        assertEquals(
                "2:9: YAML syntax: a ':' where no key can start: this line is indented deeper than the key above"
                        + " it expects, or a value contains ': ' and needs quotes",
                error("jobs:\n  - a: b: c\n"));
        assertEquals(
                "3:11: YAML syntax: a ':' where no key can start: this line is indented deeper than the key above"
                        + " it expects, or a value contains ': ' and needs quotes",
                error("jobs:\n  - name: p\n      type: push\n"));
        String level =
                "YAML syntax: this line is indented differently from the lines at its level: keys (and list items)"
                        + " of one mapping (list) start in the same column; indent with spaces";
        assertEquals("3:4: " + level, error("jobs:\n  - name: p\n   type: push\n"));
        assertEquals("4:4: " + level, error("global:\n  zreplj:\n    state_dir: /x\n   foo: 1\njobs: []\n"));
        assertEquals(
                "3:5: YAML syntax: a key without ':' (or a line indented as if it continued the previous one):"
                        + " write 'key: value'",
                error("jobs:\n  - name: p\n    type push\n    x: y\n"));
        assertEquals(
                "3:1: YAML syntax: a quoted value is not closed: the file ends inside the quotes",
                error("jobs:\n  - name: \"p\n"));
        assertEquals(
                "4:1: YAML syntax: a '{...}' or '[...]' is not closed, or its items are not separated by ','",
                error("jobs:\n- name: p\n  filesystems: {a: true\n"));
        // Nothing after the opening bracket, or after a ',', before the file ends: the same mistake (SnakeYAML says
        // "expected the node content, but found '<stream end>'").
        String unclosed = "YAML syntax: a '{...}' or '[...]' is not closed, or its items are not separated by ','";
        assertEquals("4:1: " + unclosed, error("jobs:\n- name: p\n  filesystems: {\n"));
        assertEquals("4:1: " + unclosed, error("jobs:\n- name: p\n  client_identities: [\n"));
        assertEquals("4:1: " + unclosed, error("jobs:\n- name: p\n  client_identities: [a,\n"));
    }

    @Test
    void duplicateKeysNameTheFirst() throws Exception {
        assertEquals(
                "4:5: duplicate key 'type' in each job (first at line 2)",
                error("jobs:\n  - type: push\n    name: p\n    type: sink\n"));
    }

    @Test
    void jobTypesAndNames() throws Exception {
        for (String type : new String[] {"pull", "source"}) {
            assertEquals(
                    "3:11: job type '" + type + "' is not supported by zreplj (push, sink and snap are)",
                    error(push("    type: push", "    type: " + type)));
        }
        assertEquals(
                "3:11: job type 'pusj' is not supported by zreplj (push, sink and snap are); did you mean 'push'?",
                error(push("    type: push", "    type: pusj")));
        assertEquals(
                "2:11: job name 'a b' contains ' '; allowed are letters, digits and _ - . :",
                error(push("  - name: p", "  - name: a b")));
        assertEquals("2:11: the job name must be a string, not a list", error(push("  - name: p", "  - name: []")));
        String twice = PUSH + PUSH.substring("jobs:\n".length());
        assertEquals("17:11: duplicate job name 'p' (first used at line 2)", error(twice));
        // Job names differ, but their cursor property (lowercase, so 'A' is spelled in hex) would be one.
        String upper = push("  - name: p", "  - name: A");
        String hexLike = push("  - name: p", "  - name: x41").substring("jobs:\n".length());
        assertEquals(
                "17:11: push jobs 'x41' and 'A' (line 2) would share the cursor property zreplj:cursor:x41 "
                        + "(property names are lowercase, so 'A' is spelled in hex); rename one of them",
                error(upper + hexLike));
        String lower = push("  - name: p", "  - name: a");
        load(lower + hexLike); // 'a' is spelled plain: no collision
    }

    @Test
    void aJobNameLongerThanTheBoxTakesIsRefusedAtLoadNotAtEveryPass() throws Exception {
        // The box refuses a HELLO naming a job of more than 100 characters (its hold tag and property name
        // must fit ZFS's limits), and a name of 250 no longer fits a state file's name: refused here, once.
        String longest = "j".repeat(100);
        load(push("  - name: p", "  - name: " + longest));
        assertEquals(
                "2:11: job name '" + "j".repeat(20) + "...' is longer than 100 characters (the backup box takes no"
                        + " longer one); shorten it",
                error(push("  - name: p", "  - name: " + longest + "j")));
        assertEquals(
                "2:11: job name '" + "s".repeat(20) + "...' is longer than 100 characters (the backup box takes no"
                        + " longer one); shorten it",
                error(sink("  - name: s", "  - name: " + "s".repeat(300))));
    }

    @Test
    void connect() throws Exception {
        assertEquals(
                "5:13: connect type 'tcp' is not supported by zreplj (ssh+stdinserver and local are)",
                error(push("      type: ssh+stdinserver", "      type: tcp")));
        assertEquals(
                "8:22: 'identity_file' must be an absolute path, not 'id'",
                error(push("identity_file: /id", "identity_file: id")));
        assertEquals(
                "9:13: 'port' must be a whole number, not 'ssh'",
                error(push("      identity_file: /id", "      identity_file: /id\n      port: ssh")));
        assertEquals(
                "9:13: 'port' must be between 1 and 65535, not 70000",
                error(push("      identity_file: /id", "      identity_file: /id\n      port: 70000")));
        assertEquals(
                "9:17: 'channels' must be at least 1, not 0",
                error(push("      identity_file: /id", "      identity_file: /id\n      channels: 0")));
        assertEquals(
                "9:24: 'host_key_policy' must be strict or accept-new, not 'yolo'",
                error(push("      identity_file: /id", "      identity_file: /id\n      host_key_policy: yolo")));
        assertEquals(
                "9:19: 'ssh_client' must be builtin or openssh, not 'putty'",
                error(push("      identity_file: /id", "      identity_file: /id\n      ssh_client: putty")));
        assertEquals(
                "9:27: 'stream_compression' must be auto, on or off, not 'gzip'",
                error(push("      identity_file: /id", "      identity_file: /id\n      stream_compression: gzip")));
        assertEquals(
                "9:21: 'dial_timeout': invalid duration '10 parsecs' (expected a number and a unit ns, us, ms, s, m, "
                        + "h, d or w, e.g. 10m, 1h30m, 14d)",
                error(push("      identity_file: /id", "      identity_file: /id\n      dial_timeout: 10 parsecs")));
        assertEquals(
                "9:17: ssh option 'Compression' is not of the form Key=Value",
                error(push("      identity_file: /id", "      identity_file: /id\n      options: [Compression]")));
        assertEquals(
                "6:13: 'host' '-oProxyCommand=x' must not contain spaces or start with '-'",
                error(push("      host: h", "      host: -oProxyCommand=x")));
    }

    @Test
    void filesystemsFilter() throws Exception {
        assertEquals(
                "9:19: filesystems key 'pool/a;b': dataset name component 'a;b' contains ';'; allowed are "
                        + "letters, digits, spaces and _ - . :",
                error(push("{\"pool<\": true}", "{\"pool/a;b\": true}")));
        assertEquals(
                "9:19: filesystems key 'pool/a ': dataset name component 'a ' must not start or end with a space",
                error(push("{\"pool<\": true}", "{\"pool/a \": true}")));
        assertEquals(
                "9:19: filesystems key 'a<b<': '<' is allowed only once, at the end",
                error(push("{\"pool<\": true}", "{\"a<b<\": true}")));
        assertEquals(
                "9:19: filesystems key 'pool/<': dataset name 'pool/' has an empty component",
                error(push("{\"pool<\": true}", "{\"pool/<\": true}")));
        assertEquals(
                "9:28: the value of filesystems key 'pool<' must be true or false, not 'ok'",
                error(push("{\"pool<\": true}", "{\"pool<\": ok}")));
        assertEquals(
                "9:18: 'filesystems' is empty, so the job would select nothing",
                error(push("{\"pool<\": true}", "{}")));
        assertEquals(
                "9:18: 'filesystems' must be a mapping (key: value), not a list",
                error(push("{\"pool<\": true}", "[pool]")));
    }

    @Test
    void snapshotting() throws Exception {
        assertEquals(
                "11:13: snapshotting type 'hourly' is not known (periodic, cron and manual are)",
                error(push("      type: periodic", "      type: hourly")));
        assertEquals(
                "13:17: 'interval': invalid duration '10x' (expected a number and a unit ns, us, ms, s, m, h, d or w, "
                        + "e.g. 10m, 1h30m, 14d)",
                error(push("interval: 10m", "interval: 10x")));
        assertEquals(
                "13:17: 'interval': duration '0s' must be greater than zero",
                error(push("interval: 10m", "interval: 0s")));
        assertEquals(
                "12:15: snapshot prefix '-bad' must not start with '-'",
                error(push("prefix: zrepl_", "prefix: \"-bad\"")));
        assertEquals(
                "12:15: snapshot prefix 'a@b' contains '@'; allowed are letters, digits, spaces and _ - . :",
                error(push("prefix: zrepl_", "prefix: a@b")));
        assertEquals(
                "14:25: snapshot name from timestamp format '2006,01' 'zrepl_2006,11' contains ','; allowed "
                        + "are letters, digits, spaces and _ - . :",
                error(push("interval: 10m", "interval: 10m\n      timestamp_format: \"2006,01\"")));
        // zrepl reads a key left empty as "": every snapshot named the prefix alone, not its default format.
        assertEquals(
                "14:7: 'timestamp_format' is empty: zrepl reads that as no timestamp (every snapshot named its prefix"
                        + " alone), not as the default dense; write a format, or remove the key",
                error(push("interval: 10m", "interval: 10m\n      timestamp_format:")));
        assertEquals(
                "14:25: timestamp format 'nothing' contains no time field, so every snapshot would be named "
                        + "'zrepl_nothing'",
                error(push("interval: 10m", "interval: 10m\n      timestamp_format: nothing")));
        assertEquals(
                "14:7: give either 'timestamp_format' or 'utc_timestamp_format', not both",
                error(push(
                        "interval: 10m",
                        "interval: 10m\n      utc_timestamp_format: dense\n" + "      timestamp_format: dense")));
        assertEquals(
                "14:27: timestamp format 'dense' is always in UTC (it shows no zone offset), as in zrepl: remove "
                        + "timestamp_location 'Local', or use 'iso-8601' or a layout with an offset such as "
                        + "'2006-01-02_15:04:05-07:00'",
                error(push("interval: 10m", "interval: 10m\n      timestamp_location: Local")));
        assertEquals(
                "15:27: timestamp_location 'Europe/Atlantis' is not a time zone: use UTC, Local or an IANA zone "
                        + "name such as Europe/Berlin",
                error(push(
                        "interval: 10m",
                        "interval: 10m\n      timestamp_format: iso-8601\n"
                                + "      timestamp_location: Europe/Atlantis")));
        assertEquals(
                "15:27: timestamp_location '+02:00' is not a time zone: use UTC, Local or an IANA zone "
                        + "name such as Europe/Berlin",
                error(push(
                        "interval: 10m",
                        "interval: 10m\n      timestamp_format: iso-8601\n" + "      timestamp_location: \"+02:00\"")));
        assertEquals(
                "14:22: hook type 'postgres-checkpoint' is not supported by zreplj; use a 'command' hook whose "
                        + "script runs CHECKPOINT (e.g. with psql)",
                error(push("interval: 10m", "interval: 10m\n      hooks: [{type: postgres-checkpoint, dsn: x}]")));
        assertEquals(
                "14:22: hook type 'mysql-lock-tables' is not supported by zreplj: it must hold a connection open "
                        + "across the snapshot; stop writes or use a 'command' hook pair (pre: lock via a helper that keeps "
                        + "its session, post: release it)",
                error(push("interval: 10m", "interval: 10m\n      hooks: [{type: mysql-lock-tables, dsn: x}]")));
        assertEquals(
                "14:37: 'path' must be an absolute path, not 'hook.sh'",
                error(push("interval: 10m", "interval: 10m\n      hooks: [{type: command, path: hook.sh}]")));
        assertEquals(
                "14:50: 'timeout': duration '0s' must be greater than zero",
                error(push("interval: 10m", "interval: 10m\n      hooks: [{type: command, path: /h, timeout: 0s}]")));
        assertEquals(
                "14:41: unknown key 'args' (allowed: type, path, timeout, err_is_fatal, filesystems)",
                error(push("interval: 10m", "interval: 10m\n      hooks: [{type: command, path: /h, args: [x]}]")));
        assertEquals("12:7: unknown key 'prefix' (allowed: type)", error(push("type: periodic", "type: manual")));
    }

    @Test
    void maxUnreplicated() throws Exception {
        assertEquals(
                "14:25: 'max_unreplicated' must be at least 1, not 0",
                error(push("interval: 10m", "interval: 10m\n      max_unreplicated: 0")));
        assertEquals(
                "14:25: 'max_unreplicated' must be at least 1, not -5",
                error(push("interval: 10m", "interval: 10m\n      max_unreplicated: -5")));
        String notANumber = error(push("interval: 10m", "interval: 10m\n      max_unreplicated: many"));
        assertTrue(notANumber.startsWith("14:25: ") && notANumber.contains("max_unreplicated"), notANumber);
        String tooBig = error(push("interval: 10m", "interval: 10m\n      max_unreplicated: 99999999999"));
        assertTrue(tooBig.startsWith("14:25: ") && tooBig.contains("max_unreplicated"), tooBig);
        assertEquals(
                "12:7: unknown key 'max_unreplicated' (allowed: type)",
                error(PUSH.replace(
                        "      type: periodic\n      prefix: zrepl_\n      interval: 10m\n",
                        "      type: manual\n      max_unreplicated: 3\n")));
    }

    @Test
    void cron() throws Exception {
        String cron = push("      type: periodic", "      type: cron").replace("interval: 10m", "cron: \"%s\"");
        assertEquals("13:13: cron minute 61 is out of range 0-59", error(cron.formatted("61 * * * *")));
        assertEquals(
                "13:13: cron spec '0 0 * * * * *' has 7 fields; zreplj takes 5 (minute hour day-of-month month "
                        + "day-of-week), or 6 with seconds 0 first",
                error(cron.formatted("0 0 * * * * *")));
        assertEquals(
                "13:13: cron spec '0 0 30 feb *' never fires: no such day in those months",
                error(cron.formatted("0 0 30 feb *")));
        assertEquals("13:13: cron hour field: 'x' is not a number, range or step", error(cron.formatted("0 x * * *")));
        assertEquals(
                "11:7: missing required key 'cron' in 'snapshotting'",
                error(push("      type: periodic", "      type: cron").replace("      interval: 10m\n", "")));
        assertEquals(
                "13:7: unknown key 'interval' (allowed: type, prefix, cron, timestamp_format, "
                        + "utc_timestamp_format, timestamp_location, hooks, max_unreplicated)",
                error(push("      type: periodic", "      type: cron")));
    }

    /**
     * zrepl gives a key written without a value Go's zero value, not its default (yaml-config applies a default
     * only to a key left out): where that zero means the opposite of zreplj's reading, the key is refused.
     */
    @Test
    void emptyValuesThatZreplReadsAsFalseOrNothingAreRefused() throws Exception {
        assertEquals(
                "15:44: 'keep_snapshot_at_cursor' is empty: zrepl reads that as false, not as its default true;"
                        + " write true or false, or remove the key",
                error(push("[{type: not_replicated}]", "[{type: not_replicated, keep_snapshot_at_cursor: }]")));
        for (String empty : List.of("filesystems: ", "filesystems: {}")) {
            assertEquals(
                    "14:41: the hook's 'filesystems' is empty, so it would run for no filesystem (zrepl never runs"
                            + " it); name the filesystems it is for, or remove the key to run it for all",
                    error(push(
                            "interval: 10m", "interval: 10m\n      hooks: [{type: command, path: /h, " + empty + "}]")),
                    empty);
        }
        load(push("interval: 10m", "interval: 10m\n      hooks: [{type: command, path: /h}]"));
        assertEquals(
                "16:45: 'count' 010 starts with 0, which zrepl reads as an octal number; write it without the"
                        + " leading zero",
                error(push("count: 5}", "count: 010}")));
        load(push("count: 5}", "count: 0_5}".replace("0_5", "5_0")));
    }

    @Test
    void keepRules() throws Exception {
        assertEquals("16:45: 'count' must be at least 1, not 0", error(push("count: 5}", "count: 0}")));
        assertEquals(
                "16:30: keep rule 'not_replicated' is allowed only in keep_sender",
                error(push("{type: last_n, count: 5}", "{type: not_replicated}")));
        assertEquals(
                "16:44: invalid regex '(': Unclosed group",
                error(push("{type: last_n, count: 5}", "{type: regex, regex: \"(\"}")));
        assertEquals(
                "16:30: unknown keep rule type 'lastn' (did you mean 'last_n'?)",
                error(push("{type: last_n, count: 5}", "{type: lastn, count: 5}")));
        assertEquals("16:38: unknown key 'cont' (did you mean 'count'?)", error(push("count: 5}", "cont: 5}")));
        assertEquals(
                "16:23: each keep rule must be a mapping (key: value), not 'last_n'",
                error(push("{type: last_n, count: 5}", "last_n")));
        assertEquals("16:21: 'keep_receiver' must be a list, not empty", error(push("[{type: last_n, count: 5}]", "")));
        // The grid parser lives in the pruning code; whatever it rejects is reported at the grid's position.
        String grid = error(push("{type: last_n, count: 5}", "{type: grid, grid: \"1x1x\", regex: \"^z\"}"));
        assertTrue(grid.startsWith("16:42: invalid grid '1x1x': "), grid);
        assertEquals(
                "16:57: invalid regex '[': Unclosed character class",
                error(push("{type: last_n, count: 5}", "{type: grid, grid: \"1x1h\", regex: \"[\"}")));
    }

    @Test
    void sinkJobs() throws Exception {
        assertEquals(
                "4:14: 'root_fs': dataset name 'backup//x' has an empty component",
                error(sink("root_fs: backup/zreplj", "root_fs: backup//x")));
        assertEquals(
                "7:27: client identity 'a/b' contains '/'; allowed are letters, digits and _ - . :",
                error(sink("[laptop]", "[a/b]")));
        assertEquals(
                "7:35: client identity 'laptop' is already served by this job",
                error(sink("[laptop]", "[laptop, laptop]")));
        assertEquals(
                "7:26: 'client_identities' is empty; list the clients this sink serves", error(sink("[laptop]", "[]")));
        assertEquals(
                "6:13: serve type 'tcp' is not supported by zreplj (stdinserver and local are)",
                error(sink("      type: stdinserver", "      type: tcp")));
        String two = SINK + SINK.substring("jobs:\n".length()).replace("name: s", "name: t");
        assertEquals("13:27: client identity 'laptop' is already served by sink job 's'", error(two));
        assertEquals(
                "8:34: keep rule 'not_replicated' is allowed only in keep_sender",
                error(SINK + "    policy: {keep_floor: [{type: not_replicated}]}\n"));
        assertEquals(
                "9:54: property 'mountpoint' is both inherited (line 9) and overridden",
                error(SINK + "    recv:\n      properties: {inherit: [mountpoint], override: {mountpoint: /x}}\n"));
        // Each identity is a valid component, but root_fs/ID is over zfs's 255: the box could never create it.
        String longId = "a".repeat(250);
        assertEquals(
                "7:27: client identity too long: its jail dataset name 'backup/zreplj/" + "a".repeat(26)
                        + "...' is longer than 255 characters; use a shorter one",
                error(sink("[laptop]", "[" + longId + "]")));
        // Jail fits zfs's 255 but the per-client state files' temporaries (ID + 30) exceed NAME_MAX.
        assertEquals(
                "7:27: client identity too long: 226 characters, the box's state files named after it allow 225;"
                        + " use a shorter one",
                error(sink("[laptop]", "[" + "a".repeat(226) + "]")));
        // A jail of 254 characters: no room for '/x' below it, nothing could ever be received.
        String tight = "a".repeat(254 - "backup/zreplj/".length());
        assertEquals(
                "7:27: client identity too long: its jail 'backup/zreplj/" + tight + "' leaves no room below it"
                        + " for a received filesystem within zfs's 255 characters; use a shorter one",
                error(sink("[laptop]", "[" + tight + "]")));
        // zfs recv -u mounts nothing now, but the next 'zfs mount -a' (a reboot) would mount every client's copy
        // there, over the box's own files.
        assertEquals(
                "9:43: recv.properties.override mountpoint=/etc would mount every filesystem this sink receives at"
                        + " /etc at the box's next 'zfs mount -a' (a reboot), the client's files over the box's;"
                        + " override it with none or legacy, or inherit it (the jail's none)",
                error(SINK + "    recv:\n      properties: {override: {mountpoint: /etc}}\n"));
        // The box's own bookkeeping: an override of zrepl:placeholder=on would mark every received filesystem a
        // placeholder, which a full stream may replace once it holds no snapshot; the last-received marks keep
        // snapshots held.
        assertEquals(
                "9:31: recv.properties cannot decide zrepl:placeholder: the box keeps it itself (it marks the empty"
                        + " placeholders a full stream may replace); remove it from the sink's recv.properties",
                error(SINK + "    recv:\n      properties: {override: {\"zrepl:placeholder\": \"on\"}}\n"));
        assertEquals(
                "9:30: recv.properties cannot decide zreplj:last_received_j_x: the box keeps it itself (its"
                        + " holds and cursors); remove it from the sink's recv.properties",
                error(SINK + "    recv:\n      properties: {inherit: [\"zreplj:last_received_j_x\"]}\n"));
        assertEquals(
                "9:30: 'Bad Prop' is not a ZFS property name",
                error(SINK + "    recv:\n      properties: {inherit: [\"Bad Prop\"]}\n"));
        assertEquals(
                "9:33: 'encryption' must be one of unspecified, inherit, off, not 'on'",
                error(SINK + "    recv:\n      placeholder: {encryption: on}\n"));
        assertEquals(
                "9:42: 'bucket_capacity' must be at least 1 B",
                error(SINK + "    recv:\n      bandwidth_limit: {bucket_capacity: 0 B}\n"));
        assertEquals(
                "8:34: keep rule 'last_n' is not allowed in keep_floor: a client can send junk snapshots that a"
                        + " count keeps instead of the real ones; use a grid rule (the box times it by its own receive"
                        + " clock)",
                error(SINK + "    policy: {keep_floor: [{type: last_n, count: 3}]}\n"));
    }

    @Test
    void noClientsJailHoldsAnothersAcrossSinkJobs() throws Exception {
        String t =
                SINK.substring("jobs:\n".length()).replace("name: s", "name: t").replace("[laptop]", "[phone]");
        String tail = " which could then read and destroy them; give the sink jobs root_fs datasets outside each"
                + " other's client datasets";
        assertEquals(
                "10:14: client 'phone' of sink job 't' would keep its backups in backup/zreplj/laptop/phone, inside"
                        + " client 'laptop''s part backup/zreplj/laptop (sink job 's'),"
                        + tail,
                error(SINK + t.replace("root_fs: backup/zreplj", "root_fs: backup/zreplj/laptop")));
        // The job holding the other's jail comes second: the error is at the job that makes the overlap.
        assertEquals(
                "10:14: client 'laptop' of sink job 's' would keep its backups in backup/zreplj/phone/x/laptop,"
                        + " inside client 'phone''s part backup/zreplj/phone (sink job 't'),"
                        + tail,
                error(SINK.replace("root_fs: backup/zreplj", "root_fs: backup/zreplj/phone/x") + t));
        // Jails side by side are fine: the same root_fs, or one root_fs below another beside its client datasets.
        load(SINK + t);
        load(SINK + t.replace("root_fs: backup/zreplj", "root_fs: backup/zreplj/other"));
    }

    @Test
    void sinkServeLimits() throws Exception {
        String serve = "      client_identities: [laptop]\n";
        assertEquals(
                "8:30: 'idle_timeout': duration '0s' must be greater than zero",
                error(SINK.replace(serve, serve + "      zreplj: {idle_timeout: 0s}\n")));
        assertEquals(
                "8:32: 'stream_timeout': invalid duration 'soon' (expected a number and a unit ns, us, ms, s, m, h, d or w,"
                        + " e.g. 10m, 1h30m, 14d)",
                error(SINK.replace(serve, serve + "      zreplj: {stream_timeout: soon}\n")));
        assertEquals(
                "8:30: 'max_receives' must be between 1 and 4, not 5",
                error(SINK.replace(serve, serve + "      zreplj: {max_receives: 5}\n")));
        assertEquals(
                "8:30: 'max_channels' must be between 1 and 1000, not 0",
                error(SINK.replace(serve, serve + "      zreplj: {max_channels: 0}\n")));
        assertEquals(
                "8:16: unknown key 'max_channel' (did you mean 'max_channels'?)",
                error(SINK.replace(serve, serve + "      zreplj: {max_channel: 3}\n")));
        assertEquals(
                "8:30: 'max_receives' must be a whole number, not 'two'",
                error(SINK.replace(serve, serve + "      zreplj: {max_receives: two}\n")));
    }

    @Test
    void pushOptions() throws Exception {
        String withSend = push("    pruning:", "    send: {encrypted: maybe}\n    pruning:");
        assertEquals("14:23: 'encrypted' must be true or false, not 'maybe'", error(withSend));
        assertEquals(
                "14:29: 'decrypt: true' sends decrypted, 'encrypted: true' sends raw; set only one of them",
                error(push("    pruning:", "    send: {encrypted: true, decrypt: true}\n    pruning:")));
        assertEquals(
                "14:23: 'decrypt: true' sends decrypted, 'raw: true' sends raw; set only one of them",
                error(push("    pruning:", "    send: {raw: true, decrypt: true}\n    pruning:")));
        assertEquals(
                "14:21: 'decrypt' must be true or false, not 'yes please'",
                error(push("    pruning:", "    send: {decrypt: yes please}\n    pruning:")));
        assertEquals(
                "14:48: 'initial_replication' must be one of most_recent, all, fail, not 'newest'",
                error(push("    pruning:", "    conflict_resolution: {initial_replication: newest}\n    pruning:")));
        assertEquals(
                "14:40: 'steps' must be between 1 and 1024, not 0",
                error(push("    pruning:", "    replication: {concurrency: {steps: 0}}\n    pruning:")));
        assertEquals(
                "14:28: 'timeout': duration '0m' must be greater than zero",
                error(push("    pruning:", "    replication: {timeout: 0m}\n    pruning:")));
        assertEquals(
                "14:29: 'attempts' must be between 1 and 100, not 0",
                error(push("    pruning:", "    replication: {attempts: 0}\n    pruning:")));
        assertEquals(
                "14:34: 'retry_backoff': invalid duration 'soon' (expected a number and a unit ns, us, ms, s, m, h, d or w, e.g. 10m, 1h30m, 14d)",
                error(push("    pruning:", "    replication: {retry_backoff: soon}\n    pruning:")));
        assertEquals(
                "14:41: 'initial' must be one of guarantee_resumability, guarantee_incremental, "
                        + "guarantee_nothing, not 'best'",
                error(push("    pruning:", "    replication: {protection: {initial: best}}\n    pruning:")));
    }

    @Test
    void globals() throws Exception {
        assertEquals(
                "3:16: 'state_dir' must be an absolute path, not 'var/lib'",
                error("global:\n  zreplj:\n    state_dir: var/lib\njobs: []\n"));
        assertEquals("2:3: unknown key 'loging' (did you mean 'logging'?)", error("global:\n  loging: []\njobs: []\n"));
    }

    @Test
    void statusThresholds() throws Exception {
        assertEquals(
                "5:13: global.zreplj.status.crit: the warning age must be positive and not above the critical age (warn 2d, crit 1d)",
                error("global:\n  zreplj:\n    status:\n      warn: 2d\n      crit: 1d\njobs: []\n"));
        assertEquals(
                "4:13: global.zreplj.status.warn: the warning age must be positive and not above the critical age (warn 3d, crit 2d1h)",
                error("global:\n  zreplj:\n    status:\n      warn: 3d\njobs: []\n"));
        assertTrue(error("global:\n  zreplj:\n    status:\n      crit: soon\njobs: []\n")
                .startsWith("4:13: 'crit': invalid duration 'soon'"));
        assertEquals(
                "4:7: unknown key 'critical' (allowed: warn, crit)",
                error("global:\n  zreplj:\n    status:\n      critical: 1d\njobs: []\n"));
    }

    @Test
    void aConfigWithoutJobsLoadsButIsWarnedAbout() throws Exception {
        Path file = dir.resolve("zreplj.yml");
        Files.writeString(file, "jobs: []\n");
        assertEquals(
                List.of(file + ":1:1: no jobs: the list is empty; add a push job (agent) or a sink job (backup box)"),
                new ConfigLoader().load(file).warnings());
        Path conf = Files.createDirectories(dir.resolve("conf.d"));
        Files.writeString(conf.resolve("laptop.yaml"), "jobs: []\n");
        Files.writeString(file, "include: [conf.d]\n");
        assertEquals(
                List.of(file + ":1:1: no jobs: 'include' gave none (it reads a directory's *.yml files, not *.yaml)"
                        + " and there is no 'jobs' list; add a push job (agent) or a sink job (backup box)"),
                new ConfigLoader().load(file).warnings());
    }

    @Test
    void pushJobsSelectingTheSameFilesystemAreWarnedAboutAsZreplRequiresThemDisjoint() throws Exception {
        Path file = dir.resolve("zreplj.yml");
        String second = PUSH.substring("jobs:\n".length()).replace("name: p", "name: q");
        Files.writeString(file, PUSH + second.replace("{\"pool<\": true}", "{\"pool/vm\": true}"));
        assertEquals(
                List.of(file + ":24:5: push jobs 'q' and 'p' (line 2) both select pool/vm: each replicates the"
                        + " other's snapshots and prunes them by its own rules, destroying what the other's box has"
                        + " not got yet (zrepl, too, requires the jobs' filesystems to be disjoint); exclude it from"
                        + " one of them"),
                new ConfigLoader().load(file).warnings());
        Files.writeString(
                file,
                PUSH.replace("{\"pool<\": true}", "{\"pool<\": true, \"pool/vm<\": false}")
                        + second.replace("{\"pool<\": true}", "{\"pool/vm<\": true}"));
        assertEquals(List.of(), new ConfigLoader().load(file).warnings());
    }

    @Test
    void statusThresholdsDefaultAndOverride() throws Exception {
        Path file = dir.resolve("zreplj.yml");
        Files.writeString(file, "global:\n  zreplj:\n    status:\n      warn: 2h\njobs: []\n");
        assertEquals(
                new StatusThresholds(java.time.Duration.ofHours(2), java.time.Duration.ofHours(49)),
                new ConfigLoader().load(file).global().status());
        Files.writeString(file, "jobs: []\n");
        assertEquals(
                StatusThresholds.DEFAULTS,
                new ConfigLoader().load(file).global().status());
    }

    @Test
    void monitoringAndMetricsTextfile() throws Exception {
        assertEquals(
                "3:34: 'listen' must be HOST:PORT or :PORT (e.g. ':9811', '127.0.0.1:9811'), not '9811'",
                error("global:\n  monitoring:\n    - {type: prometheus, listen: '9811'}\njobs: []\n"));
        assertEquals(
                "3:34: 'listen' must be HOST:PORT or :PORT (e.g. ':9811', '127.0.0.1:9811'), not ':http'",
                error("global:\n  monitoring:\n    - {type: prometheus, listen: ':http'}\njobs: []\n"));
        assertEquals(
                "3:14: monitoring type 'statsd' is not supported (prometheus is)",
                error("global:\n  monitoring:\n    - {type: statsd, listen: ':9811'}\njobs: []\n"));
        assertEquals(
                "4:17: 'textfile' must end in .prom, the only files node_exporter's textfile collector reads,"
                        + " not '/var/lib/node/zreplj.txt'",
                error("global:\n  zreplj:\n    metrics:\n      textfile: /var/lib/node/zreplj.txt\njobs: []\n"));
        assertEquals(
                "4:17: 'textfile' must be an absolute path, not 'zreplj.prom'",
                error("global:\n  zreplj:\n    metrics:\n      textfile: zreplj.prom\njobs: []\n"));

        Path file = dir.resolve("zreplj.yml");
        Files.writeString(
                file,
                "global:\n  monitoring:\n    - {type: prometheus, listen: '[::1]:9811'}\n"
                        + "    - {type: prometheus, listen: ':9812'}\n  zreplj:\n    metrics:\n"
                        + "      textfile: /var/lib/prometheus/node-exporter/zreplj.prom\njobs: []\n");
        Global g = new ConfigLoader().load(file).global();
        assertEquals(
                List.of(new PrometheusListener("::1", 9811, "[::1]:9811"), new PrometheusListener(null, 9812, ":9812")),
                g.monitoring());
        assertEquals(Path.of("/var/lib/prometheus/node-exporter/zreplj.prom"), g.metricsTextfile());
        Files.writeString(file, "jobs: []\n");
        assertEquals(
                new Global(Global.DEFAULT_STATE_DIR, null),
                new ConfigLoader().load(file).global(),
                "no textfile and no endpoint unless configured");
    }
}
