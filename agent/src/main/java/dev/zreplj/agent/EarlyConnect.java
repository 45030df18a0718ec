package dev.zreplj.agent;

import dev.zreplj.config.Connect;
import dev.zreplj.ssh.SshChannel;
import dev.zreplj.ssh.SshTransport;
import dev.zreplj.ssh.TransportException;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;

/**
 * The pass's SSH session, connecting on its own thread from the start of the pass: loading the key,
 * starting MINA, key exchange and auth take longer than listing and snapshotting the sender, so both run at
 * once and the first stream byte comes sooner. Once connected it also opens the first channel, which starts
 * the box's stdinserver JVM (most of a second) while the sender is still being listed; the handshake on it
 * is left to the pass, under its watchdog. A session the pass never takes is closed.
 */
final class EarlyConnect {
    /**
     * The session and its first channel; the channel null when it could not be opened (the pass opens one
     * itself and reports why that fails).
     */
    record Connected(SshTransport ssh, SshChannel channel) {}

    private final CompletableFuture<Connected> connecting;
    private boolean taken;

    private EarlyConnect(CompletableFuture<Connected> connecting) {
        this.connecting = connecting;
    }

    static EarlyConnect start(Connect connect) {
        CompletableFuture<Connected> connecting = new CompletableFuture<>();
        Thread t = new Thread(
                () -> {
                    SshTransport ssh;
                    try {
                        ssh = SshTransport.connect(connect);
                    } catch (TransportException | RuntimeException e) {
                        connecting.completeExceptionally(e);
                        return;
                    }
                    SshChannel channel;
                    try {
                        channel = ssh.openChannel(BoxConnection.REMOTE_COMMAND);
                    } catch (TransportException | RuntimeException e) {
                        channel = null;
                    }
                    connecting.complete(new Connected(ssh, channel));
                },
                "ssh-connect");
        t.setDaemon(true);
        t.start();
        return new EarlyConnect(connecting);
    }

    /** The session, once connected; the connect's own failure (one line, as from a direct connect). */
    Connected take() throws IOException {
        taken = true;
        try {
            return connecting.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            var unused = connecting.thenAccept(c -> c.ssh().close());
            throw new InterruptedIOException("interrupted while connecting to the backup box");
        } catch (ExecutionException e) {
            Throwable cause = e.getCause() instanceof CompletionException c ? c.getCause() : e.getCause();
            if (cause instanceof IOException io) {
                throw io;
            }
            throw (RuntimeException) cause;
        }
    }

    /** Closes the session if the pass did not take it (nothing to replicate, or the pass failed before). */
    void closeUnused() {
        if (!taken) {
            var unused = connecting.thenAccept(c -> c.ssh().close());
        }
    }
}
