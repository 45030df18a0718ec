package dev.zreplj.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.zreplj.pruning.KeepRule;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The refusals docs/config.md states for a key that no other test held to its one line (what, where):
 * each bad value gives exactly {@code LINE:COLUMN: message}. ConfigLoaderErrorsTest holds the others.
 */
class DocumentedValidationTest {
    @TempDir
    Path dir;

    /** A push job with five holes: a top-level key (line 1), and keys of connect, snapshotting, the job and a rule. */
    private static final String PUSH = """
            %s
            jobs:
              - name: j
                type: push
                connect:
                  type: ssh+stdinserver
                  host: box
                  user: u
                  identity_file: /etc/zreplj/ssh/identity
                  %s
                filesystems: {"tank<": true}
                snapshotting:
                  type: periodic
                  prefix: zrepl_
                  interval: 10m
                  %s
                %s
                pruning:
                  keep_sender: [{type: not_replicated}]
                  keep_receiver:
                    - %s
            """;
    //  2 jobs   10 connect's extra key   16 snapshotting's extra key   17 the job's extra key
    //  21 the keep_receiver rule (a flow mapping at column 11)

    private static String push(String top, String connect, String snapshotting, String job, String rule) {
        return PUSH.formatted(top, connect, snapshotting, job, rule);
    }

    private String error(String yaml) throws Exception {
        Path file = dir.resolve("zreplj.yml");
        Files.writeString(file, yaml);
        ConfigException e = assertThrows(ConfigException.class, () -> new ConfigLoader().load(file));
        assertTrue(e.getMessage().startsWith(file + ":"), e.getMessage());
        assertEquals(1, e.getMessage().lines().count(), e.getMessage());
        return e.getMessage().substring(file.toString().length() + 1);
    }

    private static Arguments row(
            String claim, String top, String connect, String snapshotting, String job, String rule, String expected) {
        return Arguments.of(claim, push(top, connect, snapshotting, job, rule), expected);
    }

    static Stream<Arguments> refusals() {
        String lastN = "{type: last_n, count: 1}";
        return Stream.of(
                // keep rules: a grid interval is one whole number with a unit, as in zrepl's grid grammar
                row(
                        "grid 1h30m",
                        "",
                        "",
                        "",
                        "",
                        "{type: grid, grid: 1x1h30m, regex: ^z}",
                        "21:30: invalid grid '1x1h30m': grid interval '1x1h30m': duration '1h30m' must be a whole"
                                + " number with unit s, m, h, d or w, e.g. 1h"),
                row(
                        "regex rule without regex",
                        "",
                        "",
                        "",
                        "",
                        "{type: regex}",
                        "21:11: missing required key 'regex' in each keep rule"),
                row(
                        "grid without regex",
                        "",
                        "",
                        "",
                        "",
                        "{type: grid, grid: 1x1h}",
                        "21:11: missing required key 'regex' in each keep rule"),
                // replication: validated as zrepl would, then warned about
                row(
                        "size_estimates 0",
                        "",
                        "",
                        "",
                        "replication: {concurrency: {size_estimates: 0}}",
                        lastN,
                        "17:49: 'size_estimates' must be between 1 and 1024, not 0"),
                row(
                        "size_estimates 1025",
                        "",
                        "",
                        "",
                        "replication: {concurrency: {size_estimates: 1025}}",
                        lastN,
                        "17:49: 'size_estimates' must be between 1 and 1024, not 1025"),
                row(
                        "protection.incremental",
                        "",
                        "",
                        "",
                        "replication: {protection: {incremental: guarantee_all}}",
                        lastN,
                        "17:45: 'incremental' must be one of guarantee_resumability, guarantee_incremental,"
                                + " guarantee_nothing, not 'guarantee_all'"),
                // global.zreplj and global.monitoring
                row(
                        "zfs_binary relative",
                        "global: {zreplj: {zfs_binary: zfs}}",
                        "",
                        "",
                        "",
                        lastN,
                        "1:31: 'zfs_binary' must be an absolute path, not 'zfs'"),
                row(
                        "status.warn 0",
                        "global: {zreplj: {status: {warn: 0, crit: 1h}}}",
                        "",
                        "",
                        "",
                        lastN,
                        "1:34: 'warn': duration '0' must be greater than zero"),
                row(
                        "listen_freebind not a bool",
                        "global: {monitoring: [{type: prometheus, listen: ':9811', listen_freebind: maybe}]}",
                        "",
                        "",
                        "",
                        lastN,
                        "1:76: 'listen_freebind' must be true or false, not 'maybe'"),
                // connect
                row(
                        "known_hosts relative",
                        "",
                        "known_hosts: kh",
                        "",
                        "",
                        lastN,
                        "10:20: 'known_hosts' must be an absolute path, not 'kh'"),
                // snapshotting: only iso-8601 and layouts may leave UTC
                row(
                        "human in Europe/Berlin",
                        "",
                        "",
                        "timestamp_location: Europe/Berlin\n      timestamp_format: human",
                        "",
                        lastN,
                        "16:27: timestamp format 'human' is always in UTC (it shows no zone offset), as in zrepl:"
                                + " remove timestamp_location 'Europe/Berlin', or use 'iso-8601' or a layout with an"
                                + " offset such as '2006-01-02_15:04:05-07:00'"),
                row(
                        "unix-seconds in Local",
                        "",
                        "",
                        "timestamp_location: Local\n      timestamp_format: unix-seconds",
                        "",
                        lastN,
                        "16:27: timestamp format 'unix-seconds' is always in UTC (it shows no zone offset), as in"
                                + " zrepl: remove timestamp_location 'Local', or use 'iso-8601' or a layout with an"
                                + " offset such as '2006-01-02_15:04:05-07:00'"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("refusals")
    void theDocumentedRefusalIsOneLineWithItsPosition(String claim, String config, String expected) throws Exception {
        assertEquals(expected, error(config), claim);
    }

    /**
     * docs/config.md: "Booleans are read as zrepl's parser (YAML 1.1) reads them: true/false, yes/no, on/off, y/n, in
     * lower case, capitalised or upper case" (go-yaml v2's resolve table); any other casing is no boolean there.
     */
    @ParameterizedTest
    @CsvSource({
        "true,true",
        "True,true",
        "TRUE,true",
        "yes,true",
        "Yes,true",
        "YES,true",
        "on,true",
        "On,true",
        "ON,true",
        "y,true",
        "Y,true",
        "false,false",
        "False,false",
        "FALSE,false",
        "no,false",
        "No,false",
        "NO,false",
        "off,false",
        "Off,false",
        "OFF,false",
        "n,false",
        "N,false"
    })
    void yaml11BooleansInTheThreeCasings(String spelling, boolean value) throws Exception {
        Path file = dir.resolve("zreplj.yml");
        Files.writeString(
                file,
                push("", "", "", "conflict_resolution: {allow_rollback: " + spelling + "}", "{type: regex, regex: x}"));
        assertEquals(
                value,
                new ConfigLoader()
                        .load(file)
                        .pushJobs()
                        .get(0)
                        .conflictResolution()
                        .allowRollback());
    }

    @ParameterizedTest
    @CsvSource({"tRue", "yEs", "oN", "OfF", "nO"})
    void otherCasingsAreNoBooleans(String spelling) throws Exception {
        assertEquals(
                "17:43: 'allow_rollback' must be true or false, not '" + spelling + "'",
                error(push(
                        "",
                        "",
                        "",
                        "conflict_resolution: {allow_rollback: " + spelling + "}",
                        "{type: regex, regex: x}")));
    }

    /**
     * docs/config.md: YAML merge keys (which zrepl's parser expands) are refused "with a line saying to write the
     * keys out; anchors and aliases themselves work".
     */
    @Test
    void mergeKeysAreRefusedAnchorsAndAliasesWork() throws Exception {
        String merged = push("", "", "", "", "{type: last_n, count: 1}")
                .replace("    connect:\n", "    connect:\n      <<: {user: u}\n")
                .replace("      user: u\n", "");
        assertEquals("6:7: YAML merge keys (<<) are not supported; write the keys out", error(merged));

        Path file = dir.resolve("zreplj.yml");
        Files.writeString(
                file,
                push("", "", "", "", "{type: last_n, count: 1}")
                        .replace(
                                "keep_sender: [{type: not_replicated}]",
                                "keep_sender: &rules [{type: last_n, count: 7}]")
                        .replace("keep_receiver:\n        - {type: last_n, count: 1}", "keep_receiver: *rules"));
        Pruning pruning = new ConfigLoader().load(file).pushJobs().get(0).pruning();
        assertEquals(7, ((KeepRule.LastN) pruning.keepReceiver().get(0)).count());
        assertEquals(1, pruning.keepReceiver().size());
    }

    /** docs/config.md, keep rules: "zrepl's keep=-1 means keep=all, and + may precede a duration or keep count". */
    @Test
    void zreplsKeepMinusOneAndPlusSignsAreTheGridsItWrites() throws Exception {
        Path file = dir.resolve("zreplj.yml");
        Files.writeString(
                file, push("", "", "", "", "{type: grid, grid: '1x1h(keep=-1) | 2x+1h(keep=+2)', regex: ^z}"));
        KeepRule.Grid grid = (KeepRule.Grid) new ConfigLoader()
                .load(file)
                .pushJobs()
                .get(0)
                .pruning()
                .keepReceiver()
                .get(0);
        assertEquals(
                List.of(
                        new KeepRule.GridInterval(Duration.ofHours(1), KeepRule.GridInterval.KEEP_ALL),
                        new KeepRule.GridInterval(Duration.ofHours(1), 2),
                        new KeepRule.GridInterval(Duration.ofHours(1), 2)),
                grid.intervals());
    }
}
