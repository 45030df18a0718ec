package dev.zreplj.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The shipped units, judged by systemd's own tools: {@code systemd-analyze verify} accepts them, and
 * {@code systemd-analyze security --offline} rates each agent service at an exposure of 4.0 or less
 * (issue 13). Needs systemd-analyze (Debian's systemd package), which the test run installs; tagged system
 * for it, so that the README's tests without root leave it out.
 */
@Tag("system")
class SystemdUnitsTest {
    private static final Path UNITS = Path.of("..", "contrib", "systemd");
    private static final Pattern EXPOSURE = Pattern.compile("Overall exposure level for \\S+: (\\d+\\.\\d)");

    @TempDir
    Path dir;

    @Test
    void systemdAnalyzeVerifyAcceptsTheUnits() throws Exception {
        // --man=no: the units name the man pages the package installs (DebPackageIT), not installed here.
        List<String> cmd = new ArrayList<>(List.of("systemd-analyze", "verify", "--man=no"));
        for (Path unit : copiedUnits()) cmd.add(unit.toString());
        Result r = run(cmd);
        assertEquals(0, r.exit(), r.output());
        assertEquals("", r.output().strip());
    }

    @Test
    void theAgentServicesAreHardenedToAnExposureOfAtMostFour() throws Exception {
        for (Path unit : copiedUnits()) {
            if (!unit.toString().endsWith(".service")) continue;
            Result r = run(List.of("systemd-analyze", "security", "--offline=true", unit.toString()));
            Matcher m = EXPOSURE.matcher(r.output());
            assertTrue(m.find(), r.output());
            double exposure = Double.parseDouble(m.group(1));
            assertTrue(exposure <= 4.0, unit.getFileName() + " exposure " + exposure + ":\n" + r.output());
        }
    }

    @Test
    void theTimerCatchesUpOnMissedRunsAndTheDaemonStopsCleanly() throws IOException {
        String timer = Files.readString(UNITS.resolve("zreplj-agent.timer"));
        assertTrue(timer.contains("\nOnCalendar=") && timer.contains("\nPersistent=true"), timer);
        String daemon = Files.readString(UNITS.resolve("zreplj-agent-daemon.service"));
        assertTrue(daemon.contains("\nSuccessExitStatus=143"), daemon);
        assertTrue(daemon.contains("\nConflicts=zreplj-agent.service"), daemon);
        // A broken config: agent run exits 2 (below), which must stop the restarts. systemd restarts a
        // unit whose ExecStartPre fails, whatever RestartPreventExitStatus says, so no check may sit there.
        assertTrue(
                daemon.contains("\nRestart=on-failure") && daemon.contains("\nRestartPreventExitStatus=2\n"), daemon);
        for (String line : daemon.split("\n")) {
            assertTrue(
                    !line.startsWith("ExecStartPre=") || line.equals("ExecStartPre=+/bin/mkdir -p /var/lib/zreplj"),
                    line);
        }
        String once = Files.readString(UNITS.resolve("zreplj-agent.service"));
        assertTrue(once.contains("\nConflicts=zreplj-agent-daemon.service"), once);
        // Starting the daemon stops a running pass (Conflicts=): a clean stop, not a failed unit.
        assertTrue(once.contains("\nSuccessExitStatus=143"), once);
    }

    @Test
    void aHangingPassDoesNotStopTheTimerForEver() throws IOException {
        // A oneshot unit has no start timeout by default, and a timer starts no unit that is still active:
        // one zfs call hanging on a suspended pool would end every later pass.
        String once = Files.readString(UNITS.resolve("zreplj-agent.service"));
        assertTrue(once.contains("\nTimeoutStartSec=12h\n"), once);
    }

    @Test
    void aBrokenConfigMakesAgentRunExitWithTheStatusTheDaemonDoesNotRestart() throws IOException {
        Path config = dir.resolve("zreplj.yml");
        Files.writeString(config, "jobs:\n  - name: laptop\n    type: pushh\n");
        CliRun run = CliRun.of("--config", config.toString(), "agent", "run");
        assertEquals(2, run.exitCode(), run::toString);
        assertTrue(run.err().startsWith("zreplj: " + config + ":3:11: "), run::toString);
        assertEquals(1, run.err().lines().count(), run::toString);
    }

    /** The units with their ExecStart path pointing at the built launcher, which verify requires to exist. */
    private List<Path> copiedUnits() throws IOException {
        Path launcher = Path.of("..", "zreplj").toAbsolutePath().normalize();
        List<Path> out = new ArrayList<>();
        try (Stream<Path> units = Files.list(UNITS)) {
            for (Path unit : units.sorted().toList()) {
                Path copy = dir.resolve(unit.getFileName());
                Files.writeString(copy, Files.readString(unit).replace("/usr/bin/zreplj", launcher.toString()));
                out.add(copy);
            }
        }
        assertEquals(3, out.size(), out.toString());
        return out;
    }

    private record Result(int exit, String output) {}

    private static Result run(List<String> cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        return new Result(p.waitFor(), out);
    }
}
