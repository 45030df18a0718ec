package dev.zreplj.protocol;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.List;

/**
 * The agent's side of the protocol on one channel (one stdinserver process). Requests are strictly
 * sequential on a channel. SKELETON: filled in by the protocol work.
 */
public final class SinkClient implements AutoCloseable {
    private final InputStream in;
    private final OutputStream out;

    public SinkClient(InputStream fromServer, OutputStream toServer) {
        this.in = fromServer;
        this.out = toServer;
    }

    /** Versioned handshake; a mismatch is a RemoteException naming both versions. */
    public void handshake() throws IOException {
        throw new IOException("not implemented yet");
    }

    /** Every filesystem in the client's jail (placeholders included) with its versions. */
    public List<RemoteFilesystem> listFilesystems() throws IOException {
        throw new IOException("not implemented yet");
    }

    /** Streams {@code stream} (a zfs send's stdout) to the server and waits for its receive to finish. */
    public ReceiveResult receive(ReceiveCommand command, InputStream stream) throws IOException {
        throw new IOException("not implemented yet");
    }

    /** Says goodbye; the server exits 0. */
    @Override
    public void close() throws IOException {
        throw new IOException("not implemented yet");
    }
}
