package dev.zreplj.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code zreplj status} run by a monitoring user who cannot read the state directory: UNKNOWN with the
 * advice to run it as the agent's (or the forced command's) user, never "delete the status file" and
 * never "never ran". Needs root (to run the launcher as nobody with runuser).
 */
@Tag("system")
class StatusPermissionIT {
    @TempDir
    Path dir;

    @Test
    void aUserWhoCannotReadTheStateIsToldWhoCanNotToDeleteAGoodFile() throws Exception {
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path state = dir.resolve("state");
        Files.createDirectories(state.resolve("jobs"));
        Files.createDirectories(state.resolve("clients"));
        Files.writeString(state.resolve("jobs/laptop.json"), "{}");
        Files.writeString(state.resolve("clients/laptop.json"), "{}");
        Files.setPosixFilePermissions(state, PosixFilePermissions.fromString("rwx------"));
        Path config = dir.resolve("zreplj.yml");
        Files.writeString(config, TestConfigs.PUSH_AND_SINK.replace("jobs:", "global:\n  zreplj:\n    state_dir: "
                + state + "\njobs:"));
        Files.setPosixFilePermissions(config, PosixFilePermissions.fromString("rw-r--r--"));

        List<String> command = List.of("runuser", "-u", "nobody", "--", EndToEnd.findLauncher().toString(), "--config",
                config.toString(), "status");
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(3, p.waitFor(), out);
        assertTrue(out.contains(state.resolve("jobs/laptop.json") + ": permission denied; run 'zreplj status' as the"
                + " user the agent runs as (root), e.g. through sudo from the monitoring system"), out);
        assertTrue(out.contains(state.resolve("clients/laptop.json") + ": permission denied; run 'zreplj status' as"
                + " the user the forced command runs as, e.g. through sudo from the monitoring system"), out);
        assertFalse(out.contains("delete it"), out);
        assertFalse(out.toLowerCase().contains("never"), out);
    }
}
