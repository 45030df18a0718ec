package dev.zreplj.ssh;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.time.Duration;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * One exec channel: the remote process's stdin, stdout, exit status. Its stderr goes to the log. Write big
 * chunks to {@link #stdin()}.
 */
public interface SshChannel extends AutoCloseable {
    /** How long a failed handshake waits for the remote's exit status and last stderr lines. */
    Duration START_FAILURE_WAIT = Duration.ofSeconds(2);

    /**
     * Why the remote command ended before it spoke: after a handshake failed with {@code failure}, a
     * remote that exited non-zero (127: the shell found no such command, 126: not executable) or wrote
     * to stderr is reported with its own last stderr line, which names what is wrong on the box; else
     * {@code failure} as it is. Waits at most {@link #START_FAILURE_WAIT} for the remote to end.
     */
    IOException startFailure(IOException failure);

    /** The remote process's stdout. */
    InputStream stdout();

    /** The remote process's stdin; closing it sends EOF. */
    OutputStream stdin();

    /**
     * The channel's stdin as a FIFO another process can write a stream into between two frames (OpenSSH's
     * {@code ssh -S} reads it); empty where the bytes must go through {@link #stdin()}.
     */
    default Optional<ChannelFifo> fifo() {
        return Optional.empty();
    }

    /** The exit status, once the remote process has reported one. */
    OptionalInt exitStatus();

    /** Whether the remote process has ended or the channel is closing: nothing more can be sent on it. */
    boolean ended();

    /** Waits for the remote process to end and returns its exit status. */
    int waitForExit(Duration timeout) throws TransportException;

    /**
     * Closes the channel at once, without waiting for the remote process: every thread blocked writing
     * to {@link #stdin()} or reading {@link #stdout()} wakes with an IOException. For a stalled box;
     * {@link #close()} is the polite goodbye.
     */
    void abort();

    @Override
    void close() throws IOException;
}
