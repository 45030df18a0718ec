package dev.zreplj.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code zreplj status} run by a monitoring user who cannot read the state directory: UNKNOWN with the
 * advice to run it as the agent's (or the forced command's) user, never "delete the status file" and
 * never "never ran"; and {@code agent once} run by a user who is not root is told to run it as root, in one
 * line, where the state directory or zfs refuses it. Needs root (to run the launcher as nobody with runuser)
 * and the zfs-fuse daemon (whose socket is root's).
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
        Files.writeString(
                config,
                TestConfigs.PUSH_AND_SINK.replace("jobs:", "global:\n  zreplj:\n    state_dir: " + state + "\njobs:"));
        Files.setPosixFilePermissions(config, PosixFilePermissions.fromString("rw-r--r--"));

        List<String> command = List.of(
                "runuser",
                "-u",
                "nobody",
                "--",
                EndToEnd.findLauncher().toString(),
                "--config",
                config.toString(),
                "status");
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(3, p.waitFor(), out);
        assertTrue(
                out.contains(state.resolve("jobs/laptop.json") + ": permission denied; run 'zreplj status' as the"
                        + " user the agent runs as (root), e.g. through sudo from the monitoring system"),
                out);
        assertTrue(
                out.contains(state.resolve("clients/laptop.json") + ": permission denied; run 'zreplj status' as"
                        + " the user the forced command runs as, e.g. through sudo from the monitoring system"),
                out);
        assertFalse(out.contains("delete it"), out);
        assertFalse(out.toLowerCase(Locale.ROOT).contains("never"), out);
    }

    @Test
    void anAgentRunByAUserWhoIsNotRootIsToldToRunItAsRoot() throws Exception {
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path state = Files.createDirectories(dir.resolve("state"));
        Path config = dir.resolve("zreplj.yml");
        Files.writeString(
                config,
                TestConfigs.PUSH_AND_SINK.replace("jobs:", "global:\n  zreplj:\n    state_dir: " + state + "\njobs:"));
        Files.setPosixFilePermissions(config, PosixFilePermissions.fromString("rw-r--r--"));

        Run lock = asNobody(config, "agent", "once");
        assertEquals(
                new Run(
                        1,
                        "",
                        "zreplj: cannot take the job lock under " + state.resolve("jobs") + " (" + state.resolve("jobs")
                                + ": permission denied); the agent needs a writable global.zreplj.state_dir\n"),
                lock);

        Files.setPosixFilePermissions(state, PosixFilePermissions.fromString("rwxrwxrwx"));
        Run zfs = asNobody(config, "agent", "once");
        String why = "listing the sender failed: zfs did not print its usage when run without arguments: connect:"
                + " Permission denied; zfs ran as 'nobody', not root, and could not reach the ZFS kernel module or the"
                + " zfs-fuse daemon: run zreplj as root";
        assertEquals(1, zfs.exit(), zfs::toString);
        assertEquals("job laptop: failed: " + why + "\n", zfs.out(), "the summary of a failed pass, also under cron");
        assertTrue(zfs.err().endsWith(" WARN  job laptop: " + why + "\n"), zfs::toString);
    }

    private record Run(int exit, String out, String err) {}

    private static Run asNobody(Path config, String... args) throws Exception {
        List<String> command = new java.util.ArrayList<>(List.of(
                "runuser", "-u", "nobody", "--", EndToEnd.findLauncher().toString(), "--config", config.toString()));
        command.addAll(List.of(args));
        Path err = Files.createTempFile("nobody", ".err");
        try {
            Process p = new ProcessBuilder(command).redirectError(err.toFile()).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            int exit = p.waitFor();
            return new Run(exit, out, Files.readString(err));
        } finally {
            Files.delete(err);
        }
    }
}
