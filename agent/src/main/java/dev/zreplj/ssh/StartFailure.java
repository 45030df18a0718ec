package dev.zreplj.ssh;

import java.io.IOException;
import java.util.List;

/** {@link SshChannel#startFailure}'s wording, the same whichever client carried the channel. */
final class StartFailure {
    private StartFailure() {}

    /**
     * @param ended  the remote process has ended (or its channel closed)
     * @param status its exit status, null when none was reported
     * @param lines  its last stderr lines, oldest first
     */
    static IOException explain(String target, boolean ended, Integer status, List<String> lines, IOException failure) {
        // Still running (a stalled HELLO), or ended well and silent: nothing the box said explains it.
        if (!ended || (status != null && status == 0) || (status == null && lines.isEmpty())) {
            return failure;
        }
        String said = lines.isEmpty() ? "" : ": " + why(lines);
        String exit = status == null
                ? ""
                : " (exit " + status + (status == 127 ? ": command not found" : status == 126 ? ": not executable" : "")
                        + ")";
        // zreplj exits 2 for a config or command-line error, before it has a log to write to.
        String advice = status != null && (status == 127 || status == 126)
                ? "; the command= of this key in the box's authorized_keys points at a zreplj that is not there"
                        + " (moved or upgraded?): fix the path, 'zreplj authorized-keys' on the box prints the line"
                : status != null && status == 2
                        ? "; the box's zreplj refused its own config or command line: fix it there ('zreplj"
                                + " configcheck' on the box)"
                        : "; see the box's log for more";
        return new TransportException(
                "ssh: the forced command on " + target + " failed to start" + exit + said + advice, failure);
    }

    /**
     * The box's own error line ({@code zreplj: ...}, {@code zreplj stdinserver: ...}), the last one there is, else
     * the last line: a warning logged after it (a box log that a read-only state disk cannot take either) hid the
     * cause behind "cannot write the box log".
     */
    static String why(List<String> lines) {
        for (int i = lines.size() - 1; i >= 0; i--) {
            if (lines.get(i).startsWith("zreplj: ") || lines.get(i).startsWith("zreplj stdinserver: ")) {
                return lines.get(i);
            }
        }
        return lines.get(lines.size() - 1);
    }
}
