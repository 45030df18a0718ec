package dev.zreplj.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TestFilesystemsCommandTest {
    @TempDir
    Path dir;

    Path config;

    @BeforeEach
    void writeConfig() throws Exception {
        config = dir.resolve("zreplj.yml");
        Files.writeString(config, TestConfigs.PUSH_AND_SINK);
    }

    private CliRun run(String... args) {
        String[] all = new String[args.length + 4];
        all[0] = "--config";
        all[1] = config.toString();
        all[2] = "test";
        all[3] = "filesystems";
        System.arraycopy(args, 0, all, 4, args.length);
        return CliRun.of(all);
    }

    @Test
    void printsVerdictsInInputOrder() {
        assertEquals(
                new CliRun(0, """
                REJECT\tzroot\t
                ACCEPT\trpool/tmp/keep\t
                REJECT\trpool/tmp\t
                ACCEPT\trpool\t
                REJECT\trpool/tmp/keep/below\t
                ACCEPT\trpool/home/user\t
                REJECT\trpoolx\t
                """, ""),
                run(
                        "--job",
                        "laptop",
                        "--input",
                        "zroot",
                        "--input",
                        "rpool/tmp/keep",
                        "--input",
                        "rpool/tmp",
                        "--input",
                        "rpool",
                        "--input",
                        "rpool/tmp/keep/below",
                        "--input",
                        "rpool/home/user",
                        "--input",
                        "rpoolx"));
    }

    @Test
    void unknownJob() {
        assertEquals(
                new CliRun(2, "", "zreplj: no job named 'desktop' in " + config + " (jobs: laptop, box)\n"),
                run("--job", "desktop", "--input", "rpool"));
    }

    @Test
    void sinkJob() {
        assertEquals(
                new CliRun(
                        2, "", "zreplj: job 'box' is a sink job; only push and snap jobs have a filesystems filter\n"),
                run("--job", "box", "--input", "rpool"));
    }

    @Test
    void invalidInputNameIsRejectedBeforeAnyOutput() {
        assertEquals(
                new CliRun(
                        2,
                        "",
                        "zreplj: --input 'rpool/a;b': dataset name component 'a;b' contains ';'; "
                                + "allowed are letters, digits, spaces and _ - . :\n"),
                run("--job", "laptop", "--input", "rpool", "--input", "rpool/a;b"));
        assertEquals(
                new CliRun(
                        2,
                        "",
                        "zreplj: --input '-rpool': dataset name component '-rpool' must not start " + "with '-'\n"),
                run("--job", "laptop", "--input=-rpool"));
    }

    @Test
    void aNameZfsAllowsAndZreplRefusesGetsTheListingsLine() {
        assertEquals(
                new CliRun(0, """
                ACCEPT\trpool/-old\tbut zreplj cannot replicate it: dataset name component '-old' must not \
                start with '-'; a pass fails on it: rename it (zfs rename) or exclude it in the filter
                REJECT\trpool/tmp/-x\t
                ACCEPT\trpool\t
                """, ""),
                run("--job", "laptop", "--input", "rpool/-old", "--input", "rpool/tmp/-x", "--input", "rpool"));
    }

    @Test
    void invalidConfigIsAConfigError() throws Exception {
        Files.writeString(config, "jobs: [{name: x, type: pull}]\n");
        assertEquals(
                new CliRun(
                        2,
                        "",
                        "zreplj: " + config + ":1:24: job type 'pull' is not supported by zreplj "
                                + "(push, sink and snap are)\n"),
                run("--job", "x", "--input", "rpool"));
    }
}
