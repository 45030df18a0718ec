package dev.zreplj.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.zreplj.config.ConfigLoader;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StdinserverCommandTest {
    private PrintStream savedOut;
    private PrintStream savedErr;
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();
    private PrintStream testOut;

    @BeforeEach
    void capture() {
        savedOut = System.out;
        savedErr = System.err;
        testOut = new PrintStream(out, true, StandardCharsets.UTF_8);
        System.setOut(testOut);
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    @AfterEach
    void restore() {
        System.setOut(savedOut);
        System.setErr(savedErr);
    }

    /**
     * Agent and box each replace their whole textfile; on one machine with both kinds of jobs the box's
     * series were gone after every pass, so its client alerts could never fire. The box writes beside it.
     */
    @Test
    void onAMachineThatIsAgentAndBoxTheBoxWritesItsOwnTextfile(@TempDir Path dir) throws Exception {
        String metrics = "global:\n  zreplj:\n    metrics:\n      textfile: /var/lib/node/zreplj.prom\n";
        Path both = dir.resolve("both.yml");
        Files.writeString(both, metrics + TestConfigs.PUSH_AND_SINK);
        assertEquals(
                Path.of("/var/lib/node/zreplj-box.prom"),
                StdinserverCommand.boxTextfile(new ConfigLoader().load(both)));
        Path boxOnly = dir.resolve("box.yml");
        Files.writeString(
                boxOnly,
                metrics + "jobs:\n  - {name: box, type: sink, root_fs: backup/clients,"
                        + " serve: {type: stdinserver, client_identities: [laptop]}}\n");
        assertEquals(
                Path.of("/var/lib/node/zreplj.prom"), StdinserverCommand.boxTextfile(new ConfigLoader().load(boxOnly)));
    }

    @Test
    void invalidClientIdIsAUsageErrorBeforeAnythingElse() {
        int code = Main.run("--config", "/nonexistent/zreplj.yml", "stdinserver", "../other");
        assertEquals(2, code);
        assertEquals(
                "zreplj: stdinserver: invalid CLIENT_ID: CLIENT_ID '../other' contains '/'; allowed are"
                        + " letters, digits and _ - . : (fix the forced command in authorized_keys)\n",
                err.toString(StandardCharsets.UTF_8));
        assertEquals(0, out.size(), "stdout belongs to the protocol");
        assertSame(testOut, System.out, "System.out is restored");
    }

    @Test
    void unreadableConfigIsAConfigError() {
        int code = Main.run("--config", "/nonexistent/zreplj.yml", "stdinserver", "laptop");
        assertEquals(2, code);
        String e = err.toString(StandardCharsets.UTF_8);
        assertEquals(1, e.lines().count(), e);
        assertTrue(e.startsWith("zreplj: ") && e.contains("/nonexistent/zreplj.yml"), e);
        assertEquals(0, out.size(), "stdout belongs to the protocol");
    }

    @Test
    void missingClientIdIsAUsageError() {
        assertEquals(2, Main.run("stdinserver"));
        assertEquals(0, out.size());
    }
}
