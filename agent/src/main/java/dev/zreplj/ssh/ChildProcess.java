package dev.zreplj.ssh;

import java.io.Closeable;
import java.io.IOException;
import java.time.Duration;
import java.util.OptionalInt;
import java.util.concurrent.TimeUnit;

/**
 * The process behind a channel that is a child of the agent (OpenSSH's {@code ssh -S}, the local transport's
 * stdinserver): its end, as {@link SshChannel} reports it, the same for both.
 */
final class ChildProcess {
    private static final Duration CLOSE_WAIT = Duration.ofSeconds(10);

    private final Process process;
    private final Thread stderrPump;
    /** Begins its messages: "ssh: " for OpenSSH's, as its other messages begin. */
    private final String prefix;
    /** How messages name it: "the remote command on T", "the local stdinserver for T". */
    private final String what;

    ChildProcess(Process process, Thread stderrPump, String prefix, String what) {
        this.process = process;
        this.stderrPump = stderrPump;
        this.prefix = prefix;
        this.what = what;
    }

    /**
     * Its exit status if it ends within {@link SshChannel#START_FAILURE_WAIT} (its stderr read to the end), else
     * empty; empty too when interrupted (the flag stays set).
     */
    OptionalInt endedAtStart() {
        try {
            if (!process.waitFor(SshChannel.START_FAILURE_WAIT.toMillis(), TimeUnit.MILLISECONDS)) {
                return OptionalInt.empty();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return OptionalInt.empty();
        }
        OpenSshTransport.awaitQuietly(stderrPump);
        return OptionalInt.of(process.exitValue());
    }

    OptionalInt exitStatus() {
        return process.isAlive() ? OptionalInt.empty() : OptionalInt.of(process.exitValue());
    }

    boolean ended() {
        return !process.isAlive();
    }

    int waitForExit(Duration timeout) throws TransportException {
        try {
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                throw new TransportException(prefix + what + " did not end within " + timeout.toSeconds() + " s");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new TransportException(prefix + "interrupted while waiting for " + what);
        }
        OpenSshTransport.awaitQuietly(stderrPump);
        return process.exitValue();
    }

    /** Kills it: its pipes close, which wakes whoever is blocked on the channel's stdin or stdout. */
    void abort() {
        process.destroyForcibly();
    }

    /** Closes its stdin (end of input, as a channel's EOF) and gives it a while to end, then kills it. */
    void close(Closeable stdin) {
        try {
            stdin.close();
        } catch (IOException e) {
            // Already gone: nothing to say goodbye to.
        }
        try {
            if (!process.waitFor(CLOSE_WAIT.toMillis(), TimeUnit.MILLISECONDS)) process.destroyForcibly();
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }
}
