package dev.zreplj.stdinserver;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.zreplj.protocol.ProtocolException;
import java.io.OutputStream;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.io.RandomAccessFile;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(value = 30, unit = TimeUnit.SECONDS)
class IdleOutputTest {
    @TempDir
    Path dir;

    @Test
    void aWriteBlockedLongerThanTheLimitIsCut() throws Exception {
        PipedInputStream client = new PipedInputStream(1024);
        IdleOutput out = new IdleOutput(new PipedOutputStream(client), Duration.ofMillis(300));
        out.write(new byte[1000]);
        assertEquals(1000, client.read(new byte[1000]), "a reading client gets the bytes");
        long start = System.nanoTime();
        ProtocolException e = assertThrows(ProtocolException.class, () -> out.write(new byte[4096]));
        long waited = System.nanoTime() - start;
        assertEquals(
                "the client read nothing for 0.3s while the box was writing its reply; closing the channel",
                e.getMessage());
        assertTrue(waited >= TimeUnit.MILLISECONDS.toNanos(300), "waited " + waited);
        assertFalse(Thread.currentThread().isInterrupted(), "the interrupt does not leak to the caller");
        assertThrows(ProtocolException.class, out::flush, "once cut, the output stays cut");
        out.stop();
    }

    /** The box's stdout is sshd's pipe, written through a FileChannel (StdinserverCommand) so that the cut wakes it. */
    @Test
    void aWriteBlockedOnAFullOsPipeWakes() throws Exception {
        Path fifo = dir.resolve("fifo");
        assertEquals(0, new ProcessBuilder("mkfifo", fifo.toString()).start().waitFor());
        // Held open read-write, so that opening the writing end does not block; never read: the pipe fills.
        try (RandomAccessFile holder = new RandomAccessFile(fifo.toFile(), "rw");
                FileChannel channel = FileChannel.open(fifo, StandardOpenOption.WRITE)) {
            OutputStream out = new IdleOutput(Channels.newOutputStream(channel), Duration.ofMillis(300));
            ProtocolException e = assertThrows(ProtocolException.class, () -> out.write(new byte[1 << 20]));
            assertTrue(e.getMessage().startsWith("the client read nothing for 0.3s"), e.getMessage());
            assertFalse(Thread.currentThread().isInterrupted());
        }
    }
}
