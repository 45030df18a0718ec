package dev.zreplj.stdinserver;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.zreplj.protocol.ProtocolException;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 30, unit = TimeUnit.SECONDS)
class IdleInputTest {
    @Test
    void aReadBlockedLongerThanTheLimitIsCutAndSaysWhatWasAwaited() throws Exception {
        PipedOutputStream client = new PipedOutputStream();
        IdleInput in = new IdleInput(new PipedInputStream(client), Duration.ofMillis(300));
        in.expect("the rest of its RECV request", Duration.ofMillis(300));
        client.write(7);
        assertEquals(7, in.read(), "data within the limit is read");
        long start = System.nanoTime();
        ProtocolException e = assertThrows(ProtocolException.class, () -> in.read(new byte[10], 0, 10));
        long waited = System.nanoTime() - start;
        assertEquals(
                "the client sent nothing for 0.3s while the box waited for the rest of its RECV request;"
                        + " closing the channel",
                e.getMessage());
        assertTrue(waited >= TimeUnit.MILLISECONDS.toNanos(300), "waited " + waited);
        assertFalse(Thread.currentThread().isInterrupted(), "the interrupt does not leak to the caller");
        client.write(8);
        assertThrows(ProtocolException.class, in::read, "once cut, the input stays cut");
        in.close();
    }

    @Test
    void onlyTimeSpentBlockedInAReadCounts() throws Exception {
        PipedOutputStream client = new PipedOutputStream();
        IdleInput in = new IdleInput(new PipedInputStream(client), Duration.ofMillis(200));
        client.write(new byte[] {1, 2});
        assertEquals(1, in.read());
        Thread.sleep(600); // the server at work (zfs recv, a listing): not a wait on the client
        assertEquals(2, in.read());
        in.expect("the next request", Duration.ofSeconds(20));
        Thread writer = new Thread(() -> {
            try {
                Thread.sleep(700);
                client.write(3);
            } catch (Exception ignored) {
                // the test fails below
            }
        });
        writer.start();
        assertEquals(3, in.read(), "a longer limit between requests");
        writer.join();
        in.close();
    }

    /** A request may come after the idle limit's pause; once its first byte is there, the rest is a stream wait. */
    @Test
    void aRequestBegunMustComeWholeWithinTheShorterLimit() throws Exception {
        PipedOutputStream client = new PipedOutputStream();
        IdleInput in = new IdleInput(new PipedInputStream(client), Duration.ofMillis(300));
        in.expect("the next request", Duration.ofSeconds(20), "the rest of its request", Duration.ofMillis(300));
        Thread writer = new Thread(() -> {
            try {
                Thread.sleep(700);
                client.write(0x20);
                // Alive, or the pipe says "Write end dead" instead of waiting.
                Thread.sleep(20_000);
            } catch (Exception ignored) {
                // the test fails below
            }
        });
        writer.setDaemon(true);
        writer.start();
        assertEquals(0x20, in.read(), "the first byte within the longer limit");
        long start = System.nanoTime();
        ProtocolException e = assertThrows(ProtocolException.class, () -> in.read(new byte[4], 0, 4));
        assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(10), "cut by the shorter limit");
        assertEquals(
                "the client sent nothing for 0.3s while the box waited for the rest of its request; closing the"
                        + " channel",
                e.getMessage());
        in.close();
    }
}
