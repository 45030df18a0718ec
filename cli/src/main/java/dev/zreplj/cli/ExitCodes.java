package dev.zreplj.cli;

/** DESIGN.md's exit status: 0 success, 1 a job or runtime failure, 2 usage or config error. */
final class ExitCodes {
    static final int OK = 0;
    static final int FAILURE = 1;
    static final int USAGE = 2;

    private ExitCodes() {}
}
