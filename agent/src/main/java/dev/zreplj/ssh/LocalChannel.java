package dev.zreplj.ssh;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.time.Duration;
import java.util.List;
import java.util.OptionalInt;
import java.util.concurrent.TimeUnit;

/** One channel of the {@link LocalTransport}: a stdinserver child, its stdin and stdout the protocol's. */
final class LocalChannel implements SshChannel {
    private static final Duration CLOSE_WAIT = Duration.ofSeconds(10);

    private final Process process;
    private final String target;
    private final RemoteStderr stderr;
    private final Thread stderrPump;

    LocalChannel(Process process, String target, RemoteStderr stderr, Thread stderrPump) {
        this.process = process;
        this.target = target;
        this.stderr = stderr;
        this.stderrPump = stderrPump;
    }

    @Override
    public IOException startFailure(IOException failure) {
        boolean ended;
        try {
            ended = process.waitFor(START_FAILURE_WAIT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return failure;
        }
        if (!ended) {
            return failure;
        }
        OpenSshTransport.awaitQuietly(stderrPump);
        int status = process.exitValue();
        List<String> lines = stderr.lastLines();
        if (status == 0 && lines.isEmpty()) {
            return failure;
        }
        String said = lines.isEmpty() ? "" : ": " + StartFailure.why(lines);
        // zreplj exits 2 for a config or command-line error: the sink's side of the same config.
        String advice = status == 2 ? "; run 'zreplj configcheck'" : "; see the log above";
        return new TransportException(
                "the local stdinserver for " + target + " failed to start (exit " + status + ")" + said + advice,
                failure);
    }

    @Override
    public InputStream stdout() {
        return process.getInputStream();
    }

    @Override
    public OutputStream stdin() {
        return process.getOutputStream();
    }

    @Override
    public OptionalInt exitStatus() {
        return process.isAlive() ? OptionalInt.empty() : OptionalInt.of(process.exitValue());
    }

    @Override
    public boolean ended() {
        return !process.isAlive();
    }

    @Override
    public int waitForExit(Duration timeout) throws TransportException {
        try {
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                throw new TransportException(
                        "the local stdinserver for " + target + " did not end within " + timeout.toSeconds() + " s");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new TransportException("interrupted while waiting for the local stdinserver for " + target);
        }
        OpenSshTransport.awaitQuietly(stderrPump);
        return process.exitValue();
    }

    /** Kills the child: its pipes close, which wakes whoever is blocked on {@link #stdin()} or {@link #stdout()}. */
    @Override
    public void abort() {
        process.destroyForcibly();
    }

    @Override
    public void close() throws IOException {
        try {
            process.getOutputStream().close();
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
