package dev.zreplj.stdinserver;

import dev.zreplj.config.Config;
import dev.zreplj.protocol.SinkClient;
import dev.zreplj.protocol.StreamCompression;
import dev.zreplj.zfs.Zfs;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/** One stdinserver on piped streams, run on its own thread as sshd would run the process. */
final class PipedServer {
    final PipedOutputStream toServer;
    /** Bytes the client has written towards the server (what would cross the link). */
    final java.util.concurrent.atomic.AtomicLong sent = new java.util.concurrent.atomic.AtomicLong();

    final PipedInputStream fromServer;
    final SinkClient client;
    final ByteArrayOutputStream err = new ByteArrayOutputStream();
    final CompletableFuture<Integer> exit = new CompletableFuture<>();
    /** How often the server said the client's status changed (where the box rewrites its metrics textfile). */
    final java.util.concurrent.atomic.AtomicInteger statusChanges = new java.util.concurrent.atomic.AtomicInteger();

    PipedServer(Config config, Zfs zfs, String clientId) throws IOException {
        this(config, zfs, clientId, false);
    }

    /** @param compress the client compresses streams (ZDATA) where it pays */
    PipedServer(Config config, Zfs zfs, String clientId, boolean compress) throws IOException {
        this(config, zfs, clientId, compress, 2 << 20);
    }

    /** @param replyPipe how many bytes the server may write that the client has not read yet */
    PipedServer(Config config, Zfs zfs, String clientId, boolean compress, int replyPipe) throws IOException {
        PipedInputStream serverIn = new PipedInputStream(2 << 20);
        toServer = new PipedOutputStream(serverIn);
        fromServer = new PipedInputStream(replyPipe);
        PipedOutputStream serverOut = new PipedOutputStream(fromServer);
        java.io.OutputStream counted = new java.io.FilterOutputStream(toServer) {
            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                out.write(b, off, len);
                sent.addAndGet(len);
            }
        };
        client = compress
                ? new SinkClient(fromServer, counted, () -> {}, StreamCompression.ON)
                : new SinkClient(fromServer, counted);
        Thread t = new Thread(
                () -> {
                    int code = new StdinServer(
                                    config,
                                    clientId,
                                    zfs,
                                    serverIn,
                                    serverOut,
                                    new PrintStream(err, true, StandardCharsets.UTF_8),
                                    statusChanges::incrementAndGet)
                            .run();
                    try {
                        serverOut.close();
                        serverIn.close();
                    } catch (IOException ignored) {
                        // pipes only
                    }
                    exit.complete(code);
                },
                "stdinserver-" + clientId);
        t.setDaemon(true);
        t.start();
    }

    int exitCode() throws Exception {
        return exit.get(60, TimeUnit.SECONDS);
    }

    String stderr() {
        return err.toString(StandardCharsets.UTF_8);
    }
}
