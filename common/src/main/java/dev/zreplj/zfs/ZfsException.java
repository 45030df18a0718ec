package dev.zreplj.zfs;

import java.util.List;

/** A zfs invocation that failed; carries the command and zfs's own stderr so the user sees why. */
public final class ZfsException extends Exception {
    private static final long serialVersionUID = 1L;
    private final List<String> command;
    private final int exitCode;
    private final String stderr;

    public ZfsException(List<String> command, int exitCode, String stderr) {
        super("'" + String.join(" ", command) + "' failed (exit " + exitCode + "): " + firstLine(stderr));
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

    private static String firstLine(String s) {
        if (s == null || s.isBlank()) return "(no output)";
        return s.strip().lines().findFirst().orElse("");
    }

    public List<String> command() { return command; }
    public int exitCode() { return exitCode; }
    public String stderr() { return stderr; }
}
