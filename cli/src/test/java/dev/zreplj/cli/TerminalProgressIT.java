package dev.zreplj.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code agent once} on a real pseudo-terminal (util-linux's script), 60 columns as stty sets them and no
 * $COLUMNS: the progress line appears from the first moment, fits the terminal's real width, is erased
 * before each log line and before the summary; the same run off a terminal writes none of it. The pass
 * fails early (its filter selects nothing), which is all the line needs. Needs zfs (the listing) and script.
 */
@Tag("system")
class TerminalProgressIT {
    private static final String USER = "a-user-name-long-enough-to-need-shortening";
    private static final Pattern DRAWN = Pattern.compile("\r([^\r\n\033]*)\033\\[K");

    @TempDir
    Path dir;

    @Test
    void theLineFollowsTheRealWidthAndLogLinesAndTheSummaryGoAboveIt() throws Exception {
        Path config = dir.resolve("zreplj.yml");
        Files.writeString(
                config,
                TestConfigs.PUSH_AND_SINK
                        .replace("jobs:", "global:\n  zreplj:\n    state_dir: " + dir.resolve("state") + "\njobs:")
                        .replace("host: backup.example.org", "host: 127.0.0.1\n      port: 1")
                        .replace("user: zreplj", "user: " + USER)
                        .replace(
                                "\"rpool<\": true",
                                "\"zrepljnosuchpool" + ProcessHandle.current().pid() + "<\": true"));
        String command = "stty cols 60 rows 20; unset COLUMNS; TERM=xterm " + EndToEnd.findLauncher() + " --config "
                + config + " agent once";
        Process p = new ProcessBuilder(List.of("script", "-qfec", command, "/dev/null"))
                .redirectErrorStream(true)
                .start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(1, p.waitFor(), out);

        Matcher drawn = DRAWN.matcher(out);
        assertTrue(drawn.find(), "no progress line on a terminal: " + out);
        String first = drawn.group(1);
        assertEquals(59, first.length(), "one column short of the terminal's 60: " + first);
        assertEquals(
                "job laptop: connecting to...ed-shortening@127.0.0.1:1 (0 s)",
                first,
                "the middle of the phase gives way, not its seconds");
        String summary = "job laptop: failed: the filesystems filter selects no filesystem";
        int at = out.indexOf(summary);
        assertTrue(at > 0 && out.startsWith("\r\033[K", at - 4), "the line is erased before the summary: " + out);
        int warn = out.indexOf(" WARN  job laptop: the filesystems filter selects no filesystem");
        int lineStart = warn - "HH:mm:ss.SSS".length();
        assertTrue(
                warn > 0 && out.startsWith("\r\033[K", lineStart - 4),
                "the log line is printed on an erased line, not through the progress line: " + out);
        assertTrue(DRAWN.matcher(out.substring(warn)).find(), "the line is drawn again below the log line: " + out);

        Process plain = new ProcessBuilder(
                        EndToEnd.findLauncher().toString(), "--config", config.toString(), "agent", "once")
                .redirectErrorStream(true)
                .start();
        String off = new String(plain.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(1, plain.waitFor(), off);
        assertTrue(off.contains(summary), off);
        assertFalse(off.contains("\r") || off.contains("\033"), "no progress bytes off a terminal: " + off);
    }
}
