package dev.zreplj.ssh;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.sshd.common.io.IoWriteFuture;
import org.apache.sshd.common.io.nio2.Nio2DefaultIoWriteFuture;
import org.apache.sshd.common.util.buffer.Buffer;
import org.apache.sshd.common.util.buffer.ByteArrayBuffer;
import org.junit.jupiter.api.Test;

class WriteCoalescerTest {
    /** Records each socket write's bytes; the test completes the writes when it likes. */
    private static final class FakeSocket implements WriteCoalescer.Socket {
        final List<byte[]> written = new ArrayList<>();
        final List<Nio2DefaultIoWriteFuture> futures = new ArrayList<>();
        IOException refuse;

        @Override
        public IoWriteFuture write(Buffer buffer) throws IOException {
            if (refuse != null) throw refuse;
            written.add(Arrays.copyOfRange(buffer.array(), buffer.rpos(), buffer.wpos()));
            Nio2DefaultIoWriteFuture f = new Nio2DefaultIoWriteFuture("fake", null, null);
            futures.add(f);
            return f;
        }
    }

    private static Buffer packet(String text) {
        byte[] framed = ("xx" + text).getBytes();
        // A read position past the start, as MINA's packets have (their header room).
        return new ByteArrayBuffer(framed, 2, framed.length - 2);
    }

    @Test
    void aPacketWithNothingInFlightIsWrittenAtOnceAndAlone() throws IOException {
        FakeSocket socket = new FakeSocket();
        WriteCoalescer coalescer = new WriteCoalescer(socket);
        IoWriteFuture f = coalescer.write(packet("one"));
        assertEquals(1, socket.written.size());
        assertArrayEquals("one".getBytes(), socket.written.get(0));
        assertSame(socket.futures.get(0), f);
    }

    @Test
    void packetsQueuedBehindAWriteGoOutAsOneWriteInOrder() throws IOException {
        FakeSocket socket = new FakeSocket();
        WriteCoalescer coalescer = new WriteCoalescer(socket);
        IoWriteFuture first = coalescer.write(packet("1"));
        IoWriteFuture second = coalescer.write(packet("22"));
        IoWriteFuture third = coalescer.write(packet("333"));
        assertEquals(1, socket.written.size(), "nothing more is written while the first write is in flight");
        assertFalse(second.isDone());

        socket.futures.get(0).setWritten();
        assertTrue(first.isWritten());
        assertEquals(2, socket.written.size());
        assertArrayEquals("22333".getBytes(), socket.written.get(1));
        assertSame(second, third, "one batch, one future");
        assertFalse(second.isDone(), "a batch is done when its write is, not when it is handed over");

        IoWriteFuture fourth = coalescer.write(packet("4444"));
        assertEquals(2, socket.written.size());
        socket.futures.get(1).setWritten();
        assertTrue(second.isWritten());
        assertEquals(3, socket.written.size());
        assertArrayEquals("4444".getBytes(), socket.written.get(2));
        socket.futures.get(2).setWritten();
        assertTrue(fourth.isWritten());

        IoWriteFuture alone = coalescer.write(packet("5"));
        assertEquals(4, socket.written.size(), "idle again: written at once");
        assertSame(socket.futures.get(3), alone);
        assertEquals(4, coalescer.writes());
    }

    @Test
    void aFailedWriteFailsTheBatchBehindItWhenTheSessionRefusesIt() throws IOException {
        FakeSocket socket = new FakeSocket();
        WriteCoalescer coalescer = new WriteCoalescer(socket);
        coalescer.write(packet("1"));
        IoWriteFuture batched = coalescer.write(packet("2"));
        IOException broken = new IOException("connection reset");
        socket.refuse = broken;
        socket.futures.get(0).setException(broken);
        assertTrue(batched.isDone());
        assertSame(broken, batched.getException());
        // The coalescer is idle again: the next packet meets the broken session directly.
        assertSame(broken, assertThrows(IOException.class, () -> coalescer.write(packet("3"))));
    }

    @Test
    void aBatchWhoseWriteFailsReportsThatFailure() throws IOException {
        FakeSocket socket = new FakeSocket();
        WriteCoalescer coalescer = new WriteCoalescer(socket);
        coalescer.write(packet("1"));
        IoWriteFuture batched = coalescer.write(packet("2"));
        socket.futures.get(0).setWritten();
        IOException reset = new IOException("reset");
        socket.futures.get(1).setException(reset);
        assertSame(reset, batched.getException());
        assertFalse(batched.isWritten());
    }

    @Test
    void whenIdleWaitsForTheLastBatch() throws IOException {
        FakeSocket socket = new FakeSocket();
        WriteCoalescer coalescer = new WriteCoalescer(socket);
        AtomicInteger ran = new AtomicInteger();
        coalescer.whenIdle(ran::incrementAndGet);
        assertEquals(1, ran.get(), "idle: runs at once");

        coalescer.write(packet("1"));
        coalescer.write(packet("2"));
        coalescer.whenIdle(ran::incrementAndGet);
        assertEquals(1, ran.get());
        socket.futures.get(0).setWritten();
        assertEquals(1, ran.get(), "the batch is still to be written");
        socket.futures.get(1).setWritten();
        assertEquals(2, ran.get());
    }

    @Test
    void aBatchBufferIsReusedOnceWrittenAndStartsEmpty() throws IOException {
        FakeSocket socket = new FakeSocket();
        WriteCoalescer coalescer = new WriteCoalescer(socket);
        coalescer.write(packet("a"));
        coalescer.write(packet("bb"));
        socket.futures.get(0).setWritten();
        coalescer.write(packet("ccc"));
        socket.futures.get(1).setWritten();
        coalescer.write(packet("dddd"));
        socket.futures.get(2).setWritten();
        assertEquals(List.of("a", "bb", "ccc", "dddd"), socket.written.stream().map(String::new).toList(),
                "the reused buffer holds nothing of its earlier batch");
    }
}
