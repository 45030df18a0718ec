package dev.zreplj.cli;

/**
 * How much a pass prints. Under cron or systemd (no terminal) a successful pass prints nothing, so that
 * cron mails and the journal carry only failures; a terminal, {@code --summary} or {@code -v} asks for more.
 */
enum Output {
    /** Nothing on success; on failure the summary. Logs: warnings and errors only. */
    QUIET,
    /** The summary: a line per job, per failed stage, per filesystem, per snapshot destroyed. Logs: info. */
    SUMMARY,
    /** The summary and why each snapshot was kept. Logs: debug. */
    DETAIL;

    static Output of(boolean quiet, boolean summary, boolean verbose, boolean terminal) {
        if (verbose) return DETAIL;
        if (quiet) return QUIET;
        return summary || terminal ? SUMMARY : QUIET;
    }

    boolean prints(boolean failed) {
        return this != QUIET || failed;
    }
}
