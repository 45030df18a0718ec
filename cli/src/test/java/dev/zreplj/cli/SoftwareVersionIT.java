package dev.zreplj.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The installed distribution's HELLO names the version {@code zreplj --version} prints: an agent and a box of
 * different versions name each other by it (a version mismatch, "update zreplj on the box"), and docs/protocol.md
 * promises {@code "software": "0.1.0"}. Only the cli jar carried Implementation-Version, so the HELLO, read
 * from the common jar's manifest, said "dev" on every installation.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
@Tag("system")
class SoftwareVersionIT {
    @TempDir
    Path dir;

    @Test
    void theBoxsHelloNamesTheInstalledVersion() throws Exception {
        Path launcher = EndToEnd.findLauncher();
        String version =
                output(new ProcessBuilder(launcher.toString(), "--version")).strip();
        assertTrue(version.startsWith("zreplj "), version);
        version = version.substring("zreplj ".length());
        assertNotEquals("dev", version, "the distribution's cli jar has a version");

        Path config = dir.resolve("zreplj.yml");
        Files.writeString(
                config,
                String.join(
                        "\n",
                        "global:",
                        "  zreplj:",
                        "    state_dir: " + dir.resolve("state"),
                        "jobs:",
                        "  - name: sink",
                        "    type: sink",
                        "    root_fs: nopool/zreplj",
                        "    serve:",
                        "      type: stdinserver",
                        "      client_identities: [laptop]",
                        ""));
        // stdin closed: the server writes its magic and HELLO without waiting for the client's, then gives up.
        String hello =
                output(new ProcessBuilder(launcher.toString(), "--config", config.toString(), "stdinserver", "laptop")
                        .redirectError(ProcessBuilder.Redirect.DISCARD));
        Matcher m = Pattern.compile("\"software\":\"([^\"]*)\"").matcher(hello);
        assertTrue(m.find(), "no HELLO on the stdinserver's stdout: " + hello);
        assertEquals(version, m.group(1), "the box's HELLO names the version zreplj --version prints");
    }

    private static String output(ProcessBuilder pb) throws Exception {
        Process p = pb.start();
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), pb.command() + " did not end");
        return out;
    }
}
