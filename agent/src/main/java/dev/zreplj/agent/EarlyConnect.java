package dev.zreplj.agent;

import dev.zreplj.config.Connect;
import dev.zreplj.protocol.RemoteFilesystem;
import dev.zreplj.protocol.SinkClient;
import dev.zreplj.protocol.StreamCompression;
import dev.zreplj.replication.Watchdog;
import dev.zreplj.ssh.SshChannel;
import dev.zreplj.ssh.SshTransport;
import dev.zreplj.ssh.TransportException;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;

/**
 * The pass's SSH session, connecting on its own thread from the start of the pass: loading the key,
 * starting MINA, key exchange and auth take longer than listing and snapshotting the sender, so both run at
 * once and the first stream byte comes sooner. Once connected it opens the first channel (the box's
 * stdinserver JVM starts, most of a second), handshakes and asks for the box's LIST, whose {@code zfs list}
 * on the box takes as long as the sender's own listing (2.6 s each for 1000 filesystems on zfs-fuse): the
 * two listings run at once instead of one after the other. Each request is bounded by the job's
 * replication timeout as under the pass's watchdog. A session the pass never takes is closed.
 */
final class EarlyConnect {
    /**
     * The session and its first channel; the channel null when it could not be opened (the pass opens one
     * itself and reports why that fails). {@code greeting} is what the early handshake and LIST on that
     * channel gave, null without a channel.
     */
    record Connected(SshTransport ssh, SshChannel channel, Greeting greeting) {}

    /**
     * The early handshake's client (used only if {@code handshakeFailure} is null) and, after it, the early
     * LIST's answer or failure (both null when the handshake failed).
     */
    record Greeting(
            SinkClient client, IOException handshakeFailure, List<RemoteFilesystem> listing, IOException listFailure) {}

    private final CompletableFuture<Connected> connecting;
    private boolean taken;

    private EarlyConnect(CompletableFuture<Connected> connecting) {
        this.connecting = connecting;
    }

    /**
     * @param job      the push job's name, sent in the HELLO
     * @param timeout  the job's replication timeout: the longest the handshake and the LIST may each wait
     * @param compression how streams are to go (as {@link BoxConnection#compression})
     * @param roots    what the LIST asks for (as {@link SinkChannel#listRoots})
     */
    static EarlyConnect start(
            Connect connect, String job, Duration timeout, StreamCompression compression, List<String> roots) {
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
                        channel = ssh.openChannel(BoxConnection.REMOTE_COMMAND, timeout);
                    } catch (TransportException | RuntimeException e) {
                        connecting.complete(new Connected(ssh, null, null));
                        return;
                    }
                    Greeting greeting;
                    try {
                        greeting = greet(channel, job, timeout, compression, roots);
                    } catch (RuntimeException e) {
                        // A bug, not the box: the pass opens a channel of its own and sees the same.
                        channel.abort();
                        connecting.complete(new Connected(ssh, null, null));
                        return;
                    }
                    connecting.complete(new Connected(ssh, channel, greeting));
                },
                "ssh-connect");
        t.setDaemon(true);
        t.start();
        return new EarlyConnect(connecting);
    }

    private static Greeting greet(
            SshChannel channel, String job, Duration timeout, StreamCompression compression, List<String> roots) {
        SinkClient client = new SinkClient(channel.stdout(), channel.stdin(), channel::abort, compression);
        try (Watchdog watchdog = Watchdog.start(timeout)) {
            try {
                watchdog.guard(
                        "HELLO",
                        () -> {
                            client.handshake(job);
                            return client;
                        },
                        client::abort);
            } catch (IOException e) {
                return new Greeting(client, e, null, null);
            }
            try {
                return new Greeting(
                        client, null, watchdog.guard("LIST", () -> client.listFilesystems(roots), client::abort), null);
            } catch (IOException e) {
                return new Greeting(client, null, null, e);
            }
        }
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
