package dev.zreplj.ssh;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.OptionalInt;
import java.util.Set;
import org.apache.sshd.client.channel.ChannelExec;
import org.apache.sshd.client.channel.ClientChannelEvent;

/** One exec channel on MINA's session. Each write to {@link #stdin()} is cut into SSH packets without another copy. */
final class MinaChannel implements SshChannel {
    private final ChannelExec channel;
    private final String target;
    private final RemoteStderr stderr;
    private final LinkLoss loss;
    private final InputStream stdout;
    private final OutputStream stdin;

    MinaChannel(ChannelExec channel, String target, RemoteStderr stderr) {
        this.channel = channel;
        this.target = target;
        this.stderr = stderr;
        this.loss = new LinkLoss(
                target,
                () -> channel.getSession().isClosing() || channel.getSession().isClosed(),
                () -> {
                    Integer status = channel.getExitStatus();
                    List<String> lines = stderr.lastLines();
                    return (status == null ? "" : " (exit " + status + ")")
                            + (lines.isEmpty() ? "" : ": " + StartFailure.why(lines));
                });
        this.stdout = loss.in(channel.getInvertedOut());
        this.stdin = loss.out(channel.getInvertedIn());
    }

    @Override
    public IOException startFailure(IOException failure) {
        Set<ClientChannelEvent> events = channel.waitFor(
                EnumSet.of(ClientChannelEvent.CLOSED, ClientChannelEvent.EXIT_STATUS), START_FAILURE_WAIT);
        Integer status = channel.getExitStatus();
        boolean ended = status != null || events.contains(ClientChannelEvent.CLOSED);
        return StartFailure.explain(target, ended, status, stderr.lastLines(), failure);
    }

    /** The remote process's stdout. */
    @Override
    public InputStream stdout() {
        return stdout;
    }

    /** The remote process's stdin; closing it sends EOF. */
    @Override
    public OutputStream stdin() {
        return stdin;
    }

    /** The exit status, once the remote process has reported one. */
    @Override
    public OptionalInt exitStatus() {
        Integer status = channel.getExitStatus();
        return status == null ? OptionalInt.empty() : OptionalInt.of(status);
    }

    /** Whether the remote process has ended or the channel is closing: nothing more can be sent on it. */
    @Override
    public boolean ended() {
        return channel.getExitStatus() != null || channel.isClosing() || channel.isClosed();
    }

    /** Waits for the remote process to end and returns its exit status. */
    @Override
    public int waitForExit(Duration timeout) throws TransportException {
        Set<ClientChannelEvent> events =
                channel.waitFor(EnumSet.of(ClientChannelEvent.CLOSED, ClientChannelEvent.EXIT_STATUS), timeout);
        Integer status = channel.getExitStatus();
        if (status != null) return status;
        if (!events.contains(ClientChannelEvent.CLOSED)) {
            throw new TransportException(
                    "ssh: remote command on " + target + " did not end within " + timeout.toSeconds() + " s");
        }
        String signal = channel.getExitSignal();
        throw new TransportException("ssh: remote command on " + target + " ended without an exit status"
                + (signal != null ? " (killed by signal " + signal + ")" : ""));
    }

    /**
     * Closes the channel at once, without waiting for the remote process: every thread blocked writing
     * to {@link #stdin()} (on the remote window) or reading {@link #stdout()} wakes with an IOException.
     * For a stalled box; {@link #close()} is the polite goodbye.
     */
    @Override
    public void abort() {
        channel.close(true);
    }

    @Override
    public void close() throws IOException {
        channel.close(false).await(Duration.ofSeconds(10));
    }
}
