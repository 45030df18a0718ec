package dev.zreplj.ssh;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.time.Duration;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.TimeUnit;

/**
 * One channel as an {@code ssh -S} process on the ControlMaster: its stdin and stdout are the remote
 * command's, its exit status is the remote's (255 when ssh itself failed), its stderr carries the remote's.
 */
final class OpenSshChannel implements SshChannel {
    private static final Duration CLOSE_WAIT = Duration.ofSeconds(10);

    private final Process process;
    private final String target;
    private final RemoteStderr stderr;
    private final Thread stderrPump;
    /** The channel's stdin as a FIFO zfs send can write into; null when it is a pipe. */
    private final ChannelFifo fifo;

    private final OutputStream stdin;

    /** @param fifo the channel's stdin when it is a FIFO ({@code process} reads it), else null */
    OpenSshChannel(Process process, String target, RemoteStderr stderr, Thread stderrPump, ChannelFifo fifo) {
        this.process = process;
        this.target = target;
        this.stderr = stderr;
        this.stderrPump = stderrPump;
        this.fifo = fifo;
        this.stdin = fifo == null ? process.getOutputStream() : new BufferedOutputStream(fifo.output());
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
        if (ended) OpenSshTransport.awaitQuietly(stderrPump);
        Integer status = ended ? process.exitValue() : null;
        return StartFailure.explain(target, ended, status, stderr.lastLines(), failure);
    }

    @Override
    public InputStream stdout() {
        return process.getInputStream();
    }

    @Override
    public OutputStream stdin() {
        return stdin;
    }

    @Override
    public Optional<ChannelFifo> fifo() {
        return Optional.ofNullable(fifo);
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
                        "ssh: remote command on " + target + " did not end within " + timeout.toSeconds() + " s");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new TransportException("ssh: interrupted while waiting for the remote command on " + target);
        }
        OpenSshTransport.awaitQuietly(stderrPump);
        return process.exitValue();
    }

    /**
     * Kills the {@code ssh -S} process: the master then closes the channel and its ends of the pipes, which
     * wakes whoever is blocked on {@link #stdin()} or {@link #stdout()}.
     */
    @Override
    public void abort() {
        process.destroyForcibly();
    }

    @Override
    public void close() throws IOException {
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
        if (fifo != null) fifo.delete();
    }
}
