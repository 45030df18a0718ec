package dev.zreplj.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.zreplj.zfs.Zfs;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

class VersionCommandTest {

    @Test
    void withoutZfsStillPrintsVersionsAndWhy() {
        List<String> lines =
                print(null, "zfs not found on PATH nor in /sbin, /usr/sbin, /usr/local/sbin: install OpenZFS");
        assertEquals(
                List.of(
                        "zreplj 1.2.3",
                        "java " + System.getProperty("java.version") + " (" + System.getProperty("java.vendor") + ")",
                        "zfs: not found (zfs not found on PATH nor in /sbin, /usr/sbin, /usr/local/sbin: install OpenZFS)"),
                lines);
    }

    @Test
    void aZfsThatCannotRunIsReportedNotThrown() {
        List<String> lines = print(new Zfs(Path.of("/nonexistent/zfs")), null);
        assertEquals(3, lines.size());
        assertTrue(
                lines.get(2).startsWith("zfs /nonexistent/zfs: does not answer (cannot run '/nonexistent/zfs'"),
                lines.get(2));
    }

    @Test
    void theConfiguredZfsBinaryIsTheOneDescribed(@org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
        // global.zreplj.zfs_binary is the zfs every other command runs; version must describe that one.
        Path config = dir.resolve("zreplj.yml");
        java.nio.file.Files.writeString(
                config,
                TestConfigs.PUSH_AND_SINK.replace(
                        "jobs:", "global:\n  zreplj:\n    zfs_binary: /nonexistent/zfs\njobs:"));
        CliRun run = CliRun.of("--config", config.toString(), "version");
        assertEquals(0, run.exitCode(), run::toString);
        assertTrue(
                run.out().lines().toList().get(2).startsWith("zfs /nonexistent/zfs: does not answer"), run::toString);
        assertEquals("", run.err(), run::toString);

        java.nio.file.Files.writeString(config, "jobs: nope\n");
        CliRun broken = CliRun.of("--config", config.toString(), "version");
        assertEquals(0, broken.exitCode(), broken::toString);
        assertTrue(broken.out().startsWith("zreplj "), broken::toString);
        assertEquals(
                "zreplj: the config is not read, so the zfs below is the one on PATH: " + config
                        + ":1:7: 'jobs' must be a list, not 'nope'\n",
                broken.err());
    }

    @Test
    void versionFromClassesIsDev() {
        assertEquals("dev", VersionCommand.zrepljVersion());
    }

    /** Needs the zfs-fuse daemon (contrib/dev/start-zfs-fuse). */
    @Tag("system")
    @Test
    void mainPrintsZfsFuseAndItsGaps() {
        PrintStream saved = System.out;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        int exit;
        try {
            System.setOut(new PrintStream(buf, true, StandardCharsets.UTF_8));
            exit = Main.run("version");
        } finally {
            System.setOut(saved);
        }
        String out = buf.toString(StandardCharsets.UTF_8);
        assertEquals(0, exit, out);
        List<String> lines = out.lines().toList();
        assertEquals("zreplj dev", lines.get(0));
        assertTrue(lines.get(1).startsWith("java " + System.getProperty("java.version") + " ("), lines.get(1));
        assertTrue(
                lines.get(2).matches("zfs /\\S*/zfs \\(zfs-fuse\\)"),
                "zfs-fuse not available: run contrib/dev/start-zfs-fuse as root; got: " + lines.get(2));
        assertEquals("  bookmarks: no", lines.get(3));
        assertEquals("  receive without mounting (zfs recv -u): no", lines.get(7));
        assertEquals("  compressed send (zfs send -c): no", lines.get(12));
        assertEquals("  properties send (zfs send -p): yes", lines.get(15));
        assertEquals("missing:", lines.get(17));
        assertEquals("  - bookmarks (replication cursors fall back to holds)", lines.get(18));
        assertEquals("zstd: available", lines.get(27), "zstd-jni loads in the test JVM (its tmpdir is executable)");
        assertEquals(28, lines.size(), out);
    }

    private static List<String> print(Zfs zfs, String notFound) {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        VersionCommand.print(new PrintStream(buf, true, StandardCharsets.UTF_8), "1.2.3", zfs, notFound);
        return buf.toString(StandardCharsets.UTF_8).lines().toList();
    }
}
