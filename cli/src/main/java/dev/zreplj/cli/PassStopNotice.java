package dev.zreplj.cli;

import dev.zreplj.replication.Progress;
import java.io.PrintStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * While a pass runs, a JVM shutdown hook that logs one line if a signal (SIGTERM, SIGINT, SIGHUP) ends the agent
 * inside it: without it the journal shows the pass begin and nothing after, and the admin cannot tell a stop
 * from a hang. A restore gets the same, on stderr where its other lines go.
 */
final class PassStopNotice implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(PassStopNotice.class);

    private final Thread hook;

    private PassStopNotice(Thread hook) {
        this.hook = hook;
    }

    static PassStopNotice during(String job, Progress progress) {
        Thread hook = new Thread(() -> log.warn(line(job, progress.where())), "pass-stop-notice");
        Runtime.getRuntime().addShutdownHook(hook);
        return new PassStopNotice(hook);
    }

    /**
     * While a restore runs: stopped by a signal (Ctrl-C, SIGTERM) it would otherwise end without a word, and the
     * admin would not know that what arrived stays and that the same command finishes it.
     */
    static PassStopNotice duringRestore(Progress progress, PrintStream err) {
        Thread hook = new Thread(
                () -> err.println("zreplj: restore: " + restoreLine(progress.where())), "restore-stop-notice");
        Runtime.getRuntime().addShutdownHook(hook);
        return new PassStopNotice(hook);
    }

    static String restoreLine(String where) {
        return "stopped by a signal (at: " + where + "); the filesystems restored so far stay: run the same restore"
                + " command again to finish";
    }

    static String line(String job, String where) {
        return "job " + job + ": the pass was stopped by a signal (at: " + where + "); it is not recorded, so status"
                + " and metrics keep the last finished pass; the next pass takes it up again (a cut send starts"
                + " over, or resumes where zfs can)";
    }

    @Override
    public void close() {
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException shuttingDown) {
            // The hook runs (or ran): the line is logged.
        }
    }
}
