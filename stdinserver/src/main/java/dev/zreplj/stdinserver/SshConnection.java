package dev.zreplj.stdinserver;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.OptionalLong;

/**
 * When the SSH connection this process serves was opened, from its sshd ancestors in /proc. sshd forks one
 * process per connection when it accepts it, before authentication (and, for a user other than root, a second one
 * after it), and the listener stays above them: the oldest sshd ancestor that is not the listener began no later
 * than the connection authenticated. The listener's title says {@code [listener]} (OpenSSH 8.2 and later).
 */
final class SshConnection {
    private SshConnection() {}

    /**
     * Centiseconds since boot at which the connection's oldest sshd process started (/proc's start times are in
     * clock ticks, which Linux exposes as 100 a second on every architecture); empty when no sshd ancestor is found
     * (not under sshd, or /proc hides them).
     */
    static OptionalLong startCentis(Path proc, long pid) {
        OptionalLong oldest = OptionalLong.empty();
        long p = pid;
        for (int depth = 0; depth < 64 && p > 1; depth++) {
            String stat;
            try {
                stat = Files.readString(proc.resolve(p + "/stat"), StandardCharsets.UTF_8);
            } catch (IOException | RuntimeException e) {
                break;
            }
            int open = stat.indexOf('(');
            int close = stat.lastIndexOf(')');
            if (open < 0 || close < open) break;
            String comm = stat.substring(open + 1, close);
            String[] fields = stat.substring(close + 2).split(" ");
            if (fields.length < 20) break;
            if ((comm.equals("sshd") || comm.equals("sshd-session")) && !isListener(proc, p)) {
                long start = startTicks(stat);
                if (oldest.isEmpty() || start < oldest.getAsLong()) {
                    oldest = OptionalLong.of(start);
                }
            }
            p = Long.parseLong(fields[1]);
        }
        return oldest;
    }

    /**
     * The start time in a {@code /proc/PID/stat} line (its 22nd field, clock ticks since boot: 100 a second), read
     * after the command's closing parenthesis, which may hold spaces and parentheses itself.
     *
     * @throws IllegalArgumentException when the line is not such a line
     */
    static long startTicks(String stat) {
        int close = stat.lastIndexOf(')');
        String[] fields = close < 0 || close + 2 > stat.length()
                ? new String[0]
                : stat.substring(close + 2).split(" ");
        if (fields.length < 20) {
            throw new IllegalArgumentException("not a /proc stat line: " + stat.strip());
        }
        return Long.parseLong(fields[19]);
    }

    private static boolean isListener(Path proc, long pid) {
        try {
            String cmdline = Files.readString(proc.resolve(pid + "/cmdline"), StandardCharsets.UTF_8);
            return cmdline.contains("[listener]");
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }
}
