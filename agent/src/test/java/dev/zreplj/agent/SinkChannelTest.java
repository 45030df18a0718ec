package dev.zreplj.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.zreplj.protocol.DestroyResult;
import dev.zreplj.protocol.DestroyTarget;
import dev.zreplj.protocol.FrameReader;
import dev.zreplj.protocol.FrameType;
import dev.zreplj.protocol.FrameWriter;
import dev.zreplj.protocol.Hello;
import dev.zreplj.protocol.ListRoots;
import dev.zreplj.protocol.Listing;
import dev.zreplj.protocol.RemoteFilesystem;
import dev.zreplj.protocol.SinkClient;
import dev.zreplj.protocol.Wire;
import dev.zreplj.replication.Watchdog;
import java.io.IOException;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The LIST done before the pass asked (EarlyConnect) is what the first LIST returns, without asking the box
 * again, and only while no other request went through the channel; later LISTs ask for the job's roots.
 */
@Timeout(value = 20, unit = TimeUnit.SECONDS)
class SinkChannelTest {
    interface Script {
        void run(FrameReader r, FrameWriter w) throws Exception;
    }

    private static final RemoteFilesystem EARLY = new RemoteFilesystem("tank/early", false, List.of(), null);
    private static final RemoteFilesystem LATER = new RemoteFilesystem("tank/later", false, List.of(), null);

    private final Watchdog watchdog = Watchdog.start(Duration.ofSeconds(10));
    private SinkClient client;
    private CompletableFuture<Void> server;

    private void start(Script script) throws IOException {
        PipedInputStream serverIn = new PipedInputStream(1 << 20);
        PipedOutputStream toServer = new PipedOutputStream(serverIn);
        PipedInputStream clientIn = new PipedInputStream(1 << 20);
        PipedOutputStream toClient = new PipedOutputStream(clientIn);
        client = new SinkClient(clientIn, toServer);
        server = CompletableFuture.runAsync(() -> {
            try (toClient;
                    serverIn) {
                FrameReader r = new FrameReader(serverIn, "client", Wire.MAX_CONTROL_FROM_CLIENT);
                FrameWriter w = new FrameWriter(toClient, Wire.MAX_CONTROL_FROM_SERVER);
                w.writeMagic();
                w.control(FrameType.HELLO, new Hello(Wire.PROTOCOL_VERSION, "9.9", List.of(Wire.LIST_ROOTS)));
                w.flush();
                r.readMagic();
                assertEquals(FrameType.HELLO, r.next());
                script.run(r, w);
                w.flush();
            } catch (Exception e) {
                throw new RuntimeException(e);
            }
        });
        client.handshake();
    }

    @AfterEach
    void finished() throws Exception {
        watchdog.close();
        if (server != null) {
            server.get(10, TimeUnit.SECONDS);
        }
    }

    private static void listing(FrameReader r, FrameWriter w, RemoteFilesystem fs) throws IOException {
        assertEquals(FrameType.LIST_ROOTS, r.next());
        assertEquals(new ListRoots(List.of("tank")), r.json(ListRoots.class));
        w.control(FrameType.LISTING, new Listing(List.of(fs)));
        w.flush();
    }

    @Test
    void theEarlyListingAnswersTheFirstListOnlyAndLaterOnesAskTheBoxForTheRoots() throws Exception {
        start((r, w) -> {
            listing(r, w, LATER);
            assertEquals(FrameType.BYE, r.next());
        });
        SinkChannel channel = new SinkChannel(
                client, watchdog, () -> false, new SinkChannel.EarlyList(List.of(EARLY), null), List.of("tank"), null);
        assertEquals(List.of(EARLY), channel.list());
        assertEquals(List.of(LATER), channel.list());
        client.close();
    }

    @Test
    void theEarlyListsFailureIsTheFirstListsFailure() throws Exception {
        start((r, w) -> assertEquals(FrameType.BYE, r.next()));
        IOException failure = new IOException("LIST: no reply from the backup box in 10s");
        SinkChannel channel = new SinkChannel(
                client, watchdog, () -> false, new SinkChannel.EarlyList(null, failure), List.of("tank"), null);
        assertSame(failure, assertThrows(IOException.class, channel::list));
        client.close();
    }

    @Test
    void anyOtherRequestFirstDropsTheEarlyListing() throws Exception {
        start((r, w) -> {
            assertEquals(FrameType.DESTROY, r.next());
            w.control(FrameType.DESTROYED, new DestroyResult(List.of(), List.of()));
            w.flush();
            listing(r, w, LATER);
            assertEquals(FrameType.BYE, r.next());
        });
        SinkChannel channel = new SinkChannel(
                client, watchdog, () -> false, new SinkChannel.EarlyList(List.of(EARLY), null), List.of("tank"), null);
        channel.destroy("tank/early", List.of(new DestroyTarget("s1", 1L)));
        assertEquals(List.of(LATER), channel.list(), "the box may have changed: asked again");
        client.close();
    }
}
