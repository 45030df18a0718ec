package dev.zreplj.agent;

import dev.zreplj.config.Connect;
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
 * once and the first stream byte comes sooner. A session the pass never takes is closed.
 */
final class EarlyConnect {
    private final CompletableFuture<SshTransport> connecting;
    private boolean taken;

    private EarlyConnect(CompletableFuture<SshTransport> connecting) {
        this.connecting = connecting;
    }

    static EarlyConnect start(Connect connect) {
        CompletableFuture<SshTransport> connecting = new CompletableFuture<>();
        Thread t = new Thread(() -> {
            try {
                connecting.complete(SshTransport.connect(connect));
            } catch (TransportException | RuntimeException e) {
                connecting.completeExceptionally(e);
            }
        }, "ssh-connect");
        t.setDaemon(true);
        t.start();
        return new EarlyConnect(connecting);
    }

    /** The session, once connected; the connect's own failure (one line, as from a direct connect). */
    SshTransport take() throws IOException {
        taken = true;
        try {
            return connecting.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            connecting.thenAccept(SshTransport::close);
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
            connecting.thenAccept(SshTransport::close);
        }
    }
}
