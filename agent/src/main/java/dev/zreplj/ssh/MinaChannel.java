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

/**
 * One exec channel: the remote process's stdin, stdout, exit status. Its stderr goes to the log.
 * Write big chunks to {@link #stdin()}: each write is cut into SSH packets without another copy.
 */
public final class SshChannel implements AutoCloseable {
    /** How long a failed handshake waits for the remote's exit status and last stderr lines. */
    static final Duration START_FAILURE_WAIT = Duration.ofSeconds(2);

    private final ChannelExec channel;
    private final String target;
    private final RemoteStderr stderr;

    SshChannel(ChannelExec channel, String target, RemoteStderr stderr) {
        this.channel = channel;
        this.target = target;
        this.stderr = stderr;
    }

    /**
     * Why the remote command ended before it spoke: after a handshake failed with {@code failure}, a
     * remote that exited non-zero (127: the shell found no such command, 126: not executable) or wrote
     * to stderr is reported with its own last stderr line, which names what is wrong on the box; else
     * {@code failure} as it is. Waits at most {@link #START_FAILURE_WAIT} for the remote to end.
     */
    public IOException startFailure(IOException failure) {
        Set<ClientChannelEvent> events = channel.waitFor(
                EnumSet.of(ClientChannelEvent.CLOSED, ClientChannelEvent.EXIT_STATUS), START_FAILURE_WAIT);
        Integer status = channel.getExitStatus();
        List<String> lines = stderr.lastLines();
        boolean ended = status != null || events.contains(ClientChannelEvent.CLOSED);
        // Still running (a stalled HELLO), or ended well and silent: nothing the box said explains it.
        if (!ended || (status != null && status == 0) || (status == null && lines.isEmpty())) {
            return failure;
        }
        String said = lines.isEmpty() ? "" : ": " + lines.get(lines.size() - 1);
        String exit = status == null
                ? ""
                : " (exit " + status + (status == 127 ? ": command not found" : status == 126 ? ": not executable" : "")
                        + ")";
        String advice = status != null && (status == 127 || status == 126)
                ? "; the command= of this key in the box's authorized_keys points at a zreplj that is not there"
                        + " (moved or upgraded?): fix the path, 'zreplj authorized-keys' on the box prints the line"
                : "; see the box's log for more";
        return new TransportException(
                "ssh: the forced command on " + target + " failed to start" + exit + said + advice, failure);
    }

    /** The remote process's stdout. */
    public InputStream stdout() {
        return channel.getInvertedOut();
    }

    /** The remote process's stdin; closing it sends EOF. */
    public OutputStream stdin() {
        return channel.getInvertedIn();
    }

    /** The exit status, once the remote process has reported one. */
    public OptionalInt exitStatus() {
        Integer status = channel.getExitStatus();
        return status == null ? OptionalInt.empty() : OptionalInt.of(status);
    }

    /** Whether the remote process has ended or the channel is closing: nothing more can be sent on it. */
    public boolean ended() {
        return channel.getExitStatus() != null || channel.isClosing() || channel.isClosed();
    }

    /** Waits for the remote process to end and returns its exit status. */
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
    public void abort() {
        channel.close(true);
    }

    @Override
    public void close() throws IOException {
        channel.close(false).await(Duration.ofSeconds(10));
    }
}
