package dev.zreplj.ssh;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.time.Duration;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * One channel as an {@code ssh -S} process on the ControlMaster: its stdin and stdout are the remote
 * command's, its exit status is the remote's (255 when ssh itself failed), its stderr carries the remote's.
 */
final class OpenSshChannel implements SshChannel {
    private final Process process;
    private final String target;
    private final RemoteStderr stderr;
    private final ChildProcess child;
    /** The channel's stdin as a FIFO zfs send can write into; null when it is a pipe. */
    private final ChannelFifo fifo;

    private final OutputStream stdin;

    /** @param fifo the channel's stdin when it is a FIFO ({@code process} reads it), else null */
    OpenSshChannel(Process process, String target, RemoteStderr stderr, Thread stderrPump, ChannelFifo fifo) {
        this.process = process;
        this.target = target;
        this.stderr = stderr;
        this.child = new ChildProcess(process, stderrPump, "ssh: ", "the remote command on " + target);
        this.fifo = fifo;
        this.stdin = fifo == null ? process.getOutputStream() : new BufferedOutputStream(fifo.output());
    }

    @Override
    public IOException startFailure(IOException failure) {
        OptionalInt status = child.endedAtStart();
        if (Thread.currentThread().isInterrupted()) {
            return failure;
        }
        return StartFailure.explain(
                target, status.isPresent(), status.isPresent() ? status.getAsInt() : null, stderr.lastLines(), failure);
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
        return child.exitStatus();
    }

    @Override
    public boolean ended() {
        return child.ended();
    }

    @Override
    public int waitForExit(Duration timeout) throws TransportException {
        return child.waitForExit(timeout);
    }

    /** Kills the {@code ssh -S} process: the master then closes the channel and its ends of the pipes. */
    @Override
    public void abort() {
        child.abort();
    }

    @Override
    public void close() {
        child.close(stdin);
        if (fifo != null) fifo.delete();
    }
}
