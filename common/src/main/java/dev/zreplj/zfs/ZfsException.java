package dev.zreplj.zfs;

import java.util.List;
import java.util.Locale;
import org.jspecify.annotations.Nullable;

/** A zfs invocation that failed; carries the command and zfs's own stderr so the user sees why. */
public final class ZfsException extends Exception {
    private static final long serialVersionUID = 1L;
    private final List<String> command;
    private final int exitCode;
    private final String stderr;

    public ZfsException(List<String> command, int exitCode, String stderr) {
        this(command, exitCode, stderr, System.getProperty("user.name"));
    }

    /** @param user the account zfs ran as: a permission zfs denies to a non-root account gets the way out */
    ZfsException(List<String> command, int exitCode, String stderr, String user) {
        super("'" + String.join(" ", command) + "' failed (exit " + exitCode + "): " + firstLine(stderr)
                + delegationHint(stderr, user));
        this.command = List.copyOf(command);
        this.exitCode = exitCode;
        this.stderr = stderr == null ? "" : stderr;
    }

    public ZfsException(String message) {
        super(message);
        this.command = List.of();
        this.exitCode = -1;
        this.stderr = "";
    }

    private static String delegationHint(String stderr, String user) {
        if (stderr == null
                || user == null
                || user.equals("root")
                || !stderr.toLowerCase(java.util.Locale.ROOT).contains("permission denied")) {
            return "";
        }
        return "; zfs ran as '" + user + "', not root: run zreplj as root, or delegate what it needs with 'zfs allow "
                + user + " ...' (docs/troubleshooting.md lists the permissions)";
    }

    /**
     * zfs-fuse answers a non-root account with "connect: Permission denied" before any command runs (its
     * socket is root's), so no 'zfs allow' helps there: only root does.
     */
    static String unreachableHint(String output, String user) {
        if (output == null
                || user == null
                || user.equals("root")
                || !output.toLowerCase(java.util.Locale.ROOT).contains("permission denied")) {
            return "";
        }
        return "; zfs ran as '" + user + "', not root, and could not reach the ZFS kernel module or the zfs-fuse"
                + " daemon: run zreplj as root";
    }

    private static String firstLine(String s) {
        if (s == null || s.isBlank()) return "(no output)";
        return s.strip().lines().findFirst().orElse("");
    }

    /**
     * zfs's words for ENOSPC and EDQUOT: libzfs's {@code out of space} (both, zfs-fuse and OpenZFS), OpenZFS's
     * receive-side {@code destination ... space quota exceeded.}, and the C library's strerror texts.
     */
    private static final List<String> NO_SPACE_WORDS =
            List.of("out of space", "space quota exceeded", "no space left on device", "disk quota exceeded");

    /** Whether zfs's words say it failed for lack of space (a full pool, a quota); its stderr, where it has one. */
    public static boolean isNoSpace(@Nullable String zfsWords) {
        String words = String.valueOf(zfsWords).toLowerCase(Locale.ROOT);
        return NO_SPACE_WORDS.stream().anyMatch(words::contains);
    }

    /** Whether this failure is for lack of space; stderr alone where there is one (a name may hold any word). */
    public boolean noSpace() {
        return isNoSpace(stderr.isBlank() ? getMessage() : stderr);
    }

    public List<String> command() {
        return command;
    }

    public int exitCode() {
        return exitCode;
    }

    public String stderr() {
        return stderr;
    }
}
