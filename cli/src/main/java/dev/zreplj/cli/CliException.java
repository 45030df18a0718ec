package dev.zreplj.cli;

/** A failure a command reports as one line with a chosen exit status. */
final class CliException extends Exception {
    private static final long serialVersionUID = 1L;
    private final int exitCode;

    CliException(int exitCode, String message) {
        super(message);
        this.exitCode = exitCode;
    }

    static CliException usage(String message) {
        return new CliException(ExitCodes.USAGE, message);
    }

    static CliException failure(String message) {
        return new CliException(ExitCodes.FAILURE, message);
    }

    int exitCode() {
        return exitCode;
    }
}
