package dev.zreplj.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.zreplj.replication.Failure;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * docs/troubleshooting.md lists messages as printed: each check here makes the message from the code with
 * real values, puts the doc's placeholders in for them, and looks for it in the doc.
 */
class TroubleshootingDocTest {
    private static final Path DOC = Path.of("..", "docs", "troubleshooting.md");

    @TempDir
    Path dir;

    private static String doc() throws Exception {
        return Files.readString(DOC);
    }

    private static void listed(String message) throws Exception {
        assertTrue(doc().contains("`" + message + "`"), "docs/troubleshooting.md does not list: " + message);
    }

    @Test
    void yamlSyntaxMessages() throws Exception {
        Path file = dir.resolve("zreplj.yml");
        String[][] cases = {
            {"jobs:\n  - name: p\n   type: push\n", "3:4"},
            {"jobs:\n  - name: p\n      type: push\n", "3:11"},
            {"jobs:\n  - name: p\n    type push\n    x: y\n", "3:5"},
            {"jobs:\n  - name: p\n\ttype: push\n", "3:1"},
        };
        for (String[] c : cases) {
            Files.writeString(file, c[0]);
            CliRun r = CliRun.of("--config", file.toString(), "configcheck");
            assertEquals(2, r.exitCode(), r.err());
            listed(r.err().strip().replace(file + ":" + c[1] + ":", "FILE:LINE:COL:"));
        }
    }

    /** The box out of space for a client (its jail's quota or its pool full): the step's line as the agent prints it. */
    @Test
    void theBoxOutOfSpace() throws Exception {
        listed("FS: failed after N steps: step @A -> @B: "
                + Failure.noSpace(
                        "'zfs recv POOL/…/FS' failed (exit 1): cannot receive incremental stream: out of space"));
    }

    @Test
    void usageMessages() throws Exception {
        listed(CliRun.of("agent", "once", "--bogus").err().strip());
        listed(CliRun.of("-q", "-v", "agent", "once").err().strip());
        listed(CliRun.of("help", "agent", "nope").err().strip());
    }
}
