package dev.zreplj.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class TestPruneCommandTest {
    private static final String RULES = """
            - type: grid
              grid: 1x1h(keep=all) | 2x1h
              regex: "^zrepl_"
            - type: last_n
              count: 1
              regex: "^other"
            - type: regex
              regex: "^manual_"
              negate: false
            - type: not_replicated
              keep_snapshot_at_cursor: true
            """;

    // grid: now = 10000 (zrepl_now); (6400,10000] keeps all, (2800,6400] and (-800,2800] their oldest;
    // last_n keeps other_b; not_replicated keeps unsent, unknown and zrepl_now (the cursor)
    private static final String INPUT = """
            # name\tcreation\treplicated
            zrepl_now\t10000\treplicated
            zrepl_30m\t8200\treplicated

            zrepl_61m\t6340\treplicated
            zrepl_90m\t4600\treplicated
            pool/fs@zrepl_150m\t1000\treplicated
            zrepl_old\t0\treplicated
            manual_1\t5\treplicated
            other_a\t100\treplicated
            other_b\t200\treplicated
            unsent\t50\tunreplicated
            unknown\t60
            """;

    @TempDir
    Path dir;

    private CliRun run(String... args) {
        return CliRun.of(args);
    }

    private CliRun runWithStdin(byte[] stdin, String... args) {
        return CliRun.withStdin(stdin, args);
    }

    private String file(String name, String content) throws IOException {
        Path p = dir.resolve(name);
        Files.writeString(p, content, StandardCharsets.UTF_8);
        return p.toString();
    }

    private CliRun prune(String rules, String input, String... extra) throws IOException {
        String[] args = new String[5 + extra.length];
        args[0] = "test";
        args[1] = "prune";
        args[2] = "--rules=" + file("rules.yml", rules);
        args[3] = "--input";
        args[4] = file("snaps.txt", input);
        System.arraycopy(extra, 0, args, 5, extra.length);
        return run(args);
    }

    @Test
    void printsKeepOrDestroyPerSnapshotInInputOrder() throws IOException {
        CliRun r = prune(RULES, INPUT);
        assertEquals("", r.err());
        assertEquals("""
                keep\tzrepl_now
                keep\tzrepl_30m
                destroy\tzrepl_61m
                keep\tzrepl_90m
                destroy\tpool/fs@zrepl_150m
                keep\tzrepl_old
                keep\tmanual_1
                destroy\tother_a
                keep\tother_b
                keep\tunsent
                keep\tunknown
                """, r.out());
        assertEquals(0, r.exitCode());
    }

    @Test
    void docsExample() throws IOException {
        CliRun r = prune(
                "- type: last_n\n  count: 1\n  regex: \"^zrepl_\"\n",
                "zrepl_1\t1000\nzrepl_2\t2000\tunreplicated\nmanual_x\t500\n");
        assertEquals("destroy\tzrepl_1\nkeep\tzrepl_2\ndestroy\tmanual_x\n", r.out());
        assertEquals(0, r.exitCode());
    }

    @Test
    void jsonOutput() throws IOException {
        CliRun r = prune("- type: last_n\n  count: 1\n", "a\t1\nb\t2\tunreplicated\n", "--json");
        assertEquals("", r.err());
        assertEquals(
                "[{\"name\":\"a\",\"creation\":1,\"action\":\"destroy\"},"
                        + "{\"name\":\"b\",\"creation\":2,\"action\":\"keep\"}]\n",
                r.out());
        assertEquals(0, r.exitCode());
    }

    @Test
    void emptyRuleListKeepsEverythingAsInZrepl() throws IOException {
        CliRun r = prune("[]\n", "a\t1\nb\t2\tunreplicated\nc\t3\treplicated\n");
        assertEquals("keep\ta\nkeep\tb\nkeep\tc\n", r.out());
        assertEquals(0, r.exitCode());
    }

    @Test
    void emptyInputPrintsNothing() throws IOException {
        CliRun r = prune(RULES, "# nothing\n\n");
        assertEquals("", r.out());
        assertEquals("", r.err());
        assertEquals(0, r.exitCode());
        assertEquals("[]\n", prune(RULES, "", "--json").out());
    }

    @Test
    void crlfLineEndingsAreAccepted() throws IOException {
        CliRun r = prune("- type: last_n\r\n  count: 1\r\n", "a\t1\r\nb\t2\r\n");
        assertEquals("destroy\ta\nkeep\tb\n", r.out());
        assertEquals(0, r.exitCode());
    }

    @Test
    void inputFromStdin() throws IOException {
        CliRun r = runWithStdin(
                "x\t5\ny\t6\n".getBytes(StandardCharsets.UTF_8),
                "test",
                "prune",
                "--rules",
                file("r.yml", "- type: regex\n  regex: y\n"),
                "--input",
                "-");
        assertEquals("destroy\tx\nkeep\ty\n", r.out());
        assertEquals(0, r.exitCode());
    }

    @ParameterizedTest
    @CsvSource(
            delimiterString = " => ",
            value = {
                "'- type: last_n\n  count: 0\n' => 2:10: 'count' must be at least 1, not 0",
                "'- type: last_n\n  count: ten\n' => 2:10: 'count' must be a whole number, not 'ten'",
                "'- type: last_n\n  regex: a\n' => 1:3: missing required key 'count' in each keep rule",
                "'- type: last_n\n  count: 1\n  cout: 2\n' => 3:3: unknown key 'cout' (did you mean 'count'?)",
                "'- type: last_n\n  count: 1\n  count: 2\n' => 3:3: duplicate key 'count' in each keep rule (first at line 2)",
                "'- type: lastn\n  count: 1\n' => 1:9: unknown keep rule type 'lastn' (did you mean 'last_n'?)",
                "'- count: 1\n' => 1:3: missing required key 'type' in each keep rule",
                "'- last_n\n' => 1:3: each keep rule must be a mapping (key: value), not 'last_n'",
                "'type: last_n\n' => 1:1: expected a YAML list of keep rules (keep_sender/keep_receiver syntax), e.g. '- type: last_n'",
                "'' => 1:1: the rules file is empty; expected a YAML list of keep rules",
                "'- type: regex\n  regex: \"(\"\n' => 2:10: invalid regex '(': Unclosed group",
                "'- type: regex\n  regex: [a]\n' => 2:10: 'regex' must be a string, not a list",
                "'- type: regex\n  regex: a\n  negate: maybe\n' => 3:11: 'negate' must be true or false, not 'maybe'",
                "'- type: regex\n  regex: a\n  negate: \"true\"\n' => 3:11: 'negate' must be true or false, not 'true'",
                "'- type: grid\n  regex: \"^z\"\n  grid: 1x1h | 24y1h\n' => 3:9: invalid grid '1x1h | 24y1h': grid interval '24y1h': expected COUNTxDURATION with optional (keep=N) or (keep=all), e.g. 24x1h or 1x1h(keep=all)",
                "'- type: grid\n  grid: 1x1h\n' => 1:3: missing required key 'regex' in each keep rule",
                "'- type: grid\n  grid: 1x1h\n  regex: \"\"\n' => 3:10: 'regex' must not be empty; use '.*' for all snapshots",
                "'- type: not_replicated\n  keep_snapshot_at_cursor: 1\n' => 2:28: 'keep_snapshot_at_cursor' must be true or false, not '1'",
                "'- type: last_n\n  count: \"1\"\n' => 2:10: 'count' must be a whole number, not '1'",
                "'- type: regex\n  regex: \"a\n' => 3:1: YAML syntax: a quoted value is not closed: the file ends inside the quotes",
            })
    void badRulesFileNamesFileLineAndColumn(String rules, String message) throws IOException {
        CliRun r = prune(rules, "a\t1\n");
        assertEquals("", r.out());
        assertEquals("zreplj: " + dir.resolve("rules.yml") + ":" + message + "\n", r.err());
        assertEquals(2, r.exitCode());
    }

    @Test
    void regexRulesTakeWhatZreplCompiles() throws IOException {
        // zrepl compiles any regex a regex or last_n rule gives: "" matches every name, " " those with a space.
        assertEquals(
                "keep\ta\nkeep\tb c\n",
                prune("- type: regex\n  regex: \"\"\n", "a\t1\nb c\t2\n").out());
        assertEquals(
                "keep\ta\ndestroy\tb c\n",
                prune("- type: regex\n  regex: \" \"\n  negate: true\n", "a\t1\nb c\t2\n")
                        .out());
        assertEquals(
                "destroy\ta\ndestroy\tb c\nkeep\td e\n",
                prune("- type: last_n\n  count: 1\n  regex: \" \"\n", "a\t1\nb c\t2\nd e\t3\n")
                        .out());
        CliRun grid = prune("- type: grid\n  grid: 1x1h\n  regex: \" \"\n", "a b\t3600\nc\t7200\n");
        assertEquals("keep\ta b\ndestroy\tc\n", grid.out());
        assertEquals(0, grid.exitCode());
    }

    @ParameterizedTest
    @CsvSource(
            delimiterString = " => ",
            value = {
                "'a 1\n' => 1: expected NAME<TAB>CREATION with an optional <TAB>replicated or <TAB>unreplicated, got 1 tab-separated field",
                "'a\t1\tunreplicated\textra\n' => 1: expected NAME<TAB>CREATION with an optional <TAB>replicated or <TAB>unreplicated, got 4 tab-separated fields",
                "'ok\t1\n\n#c\n\t5\n' => 4: empty snapshot name",
                "'pool/fs@\t5\n' => 1: empty snapshot name",
                "'a\t-1\n' => 1: creation '-1' is not unix seconds (a whole number, 0 or more)",
                "'a\t1.5\n' => 1: creation '1.5' is not unix seconds (a whole number, 0 or more)",
                "'a\t\n' => 1: creation '' is not unix seconds (a whole number, 0 or more)",
                "'a\t99999999999999999999\n' => 1: creation '99999999999999999999' is not unix seconds (a whole number, 0 or more)",
                "'a\t1\tyes\n' => 1: third field must be 'replicated' or 'unreplicated', got 'yes'",
                "'a\t1\nb\t2\np/fs@a\t3\n' => 3: snapshot 'a' is already on line 1; list each snapshot of one filesystem once",
            })
    void badInputNamesFileAndLine(String input, String message) throws IOException {
        CliRun r = prune("- type: last_n\n  count: 1\n", input);
        assertEquals("", r.out());
        assertEquals("zreplj: " + dir.resolve("snaps.txt") + ":" + message + "\n", r.err());
        assertEquals(2, r.exitCode());
    }

    @Test
    void missingFilesAreUsageErrors() throws IOException {
        String input = file("in.txt", "a\t1\n");
        CliRun r = run("test", "prune", "--rules", dir.resolve("nope.yml").toString(), "--input", input);
        assertEquals("zreplj: cannot read rules file " + dir.resolve("nope.yml") + ": no such file\n", r.err());
        assertEquals(2, r.exitCode());

        String rules = file("r.yml", "[]");
        r = run(
                "test",
                "prune",
                "--rules",
                rules,
                "--input",
                dir.resolve("nope.txt").toString());
        assertEquals("zreplj: cannot read input file " + dir.resolve("nope.txt") + ": no such file\n", r.err());
        assertEquals(2, r.exitCode());
    }

    @Test
    void invalidUtf8IsAUsageError() throws IOException {
        Path p = dir.resolve("bad.txt");
        Files.write(p, new byte[] {'a', '\t', '1', (byte) 0xff, '\n'});
        CliRun r = run("test", "prune", "--rules", file("r.yml", "[]"), "--input", p.toString());
        assertEquals("zreplj: cannot read input file " + p + ": not valid UTF-8\n", r.err());
        assertEquals(2, r.exitCode());
    }

    @Test
    void missingOptionsAreUsageErrors() {
        CliRun r = run("test", "prune", "--input", "x");
        assertEquals("", r.out());
        assertEquals("zreplj: Missing required option: '--rules=FILE' (see 'zreplj test prune --help')\n", r.err());
        assertEquals(2, r.exitCode());
    }
}
