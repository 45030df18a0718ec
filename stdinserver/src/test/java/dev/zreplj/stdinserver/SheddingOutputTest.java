package dev.zreplj.stdinserver;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.Test;

class SheddingOutputTest {
    @Test
    void everythingArrivesInOrderWhileTheClientReads() throws Exception {
        ByteArrayOutputStream client = new ByteArrayOutputStream();
        SheddingOutput err = new SheddingOutput(client, 1 << 16);
        StringBuilder expected = new StringBuilder();
        for (int i = 0; i < 1000; i++) {
            String line = "line " + i + "\n";
            err.write(line.getBytes(StandardCharsets.UTF_8));
            expected.append(line);
            if (i % 100 == 0) {
                assertTrue(err.drain(Duration.ofSeconds(10)));
            }
        }
        assertTrue(err.drain(Duration.ofSeconds(10)));
        synchronized (client) {
            assertEquals(expected.toString(), client.toString(StandardCharsets.UTF_8));
        }
    }

    /** A client that never opens its window: before, the first log line past the pipe's 64 KiB blocked for good. */
    @Test
    void aClientThatReadsNothingNeverBlocksAWriter() throws Exception {
        CountDownLatch never = new CountDownLatch(1);
        OutputStream stuck = new OutputStream() {
            @Override
            public void write(int b) {
                write(new byte[] {(byte) b}, 0, 1);
            }

            @Override
            public void write(byte[] b, int off, int len) {
                try {
                    never.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        };
        SheddingOutput err = new SheddingOutput(stuck, 1 << 16);
        byte[] line = "received tank/a@zrepl_1 from laptop: 200 bytes of log\n".getBytes(StandardCharsets.UTF_8);
        assertTimeoutPreemptively(Duration.ofSeconds(10), () -> {
            for (int i = 0; i < 100_000; i++) {
                err.write(line);
            }
        });
        assertFalse(err.drain(Duration.ofMillis(200)), "the queued lines did not reach the client");
    }
}
