package dev.zreplj.ssh;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.CompletionHandler;
import java.util.ArrayList;
import java.util.List;
import org.apache.sshd.common.io.IoWriteFuture;
import org.junit.jupiter.api.Test;

class GatheringWriterTest {
    /** A socket that takes at most {@code room} bytes per write and completes only when told to. */
    private static final class FakeSocket implements GatheringWriter.Socket {
        final ByteArrayOutputStream received = new ByteArrayOutputStream();
        final List<Integer> buffersPerWrite = new ArrayList<>();
        int room = Integer.MAX_VALUE;
        CompletionHandler<Long, Void> pending;
        long pendingBytes;

        @Override
        public void write(ByteBuffer[] buffers, int offset, int length, CompletionHandler<Long, Void> done) {
            if (pending != null) throw new IllegalStateException("write while a write is pending");
            buffersPerWrite.add(length);
            long n = 0;
            for (int i = offset; i < offset + length && n < room; i++) {
                int take = (int) Math.min(buffers[i].remaining(), room - n);
                byte[] bytes = new byte[take];
                buffers[i].get(bytes);
                received.writeBytes(bytes);
                n += take;
            }
            pending = done;
            pendingBytes = n;
        }

        void complete() {
            CompletionHandler<Long, Void> done = pending;
            pending = null;
            done.completed(pendingBytes, null);
        }

        void fail(Throwable cause) {
            CompletionHandler<Long, Void> done = pending;
            pending = null;
            done.failed(cause, null);
        }
    }

    private static ByteBuffer packet(int size, int seed) {
        byte[] b = new byte[size];
        for (int i = 0; i < size; i++) b[i] = (byte) (seed * 31 + i);
        return ByteBuffer.wrap(b);
    }

    @Test
    void packetsQueuedBehindAWriteGoOutInOneGatheringWriteInOrder() {
        FakeSocket socket = new FakeSocket();
        List<Throwable> failures = new ArrayList<>();
        GatheringWriter writer = new GatheringWriter(socket, failures::add);
        ByteArrayOutputStream expected = new ByteArrayOutputStream();
        List<IoWriteFuture> futures = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            ByteBuffer p = packet(100, i);
            expected.writeBytes(p.array());
            futures.add(writer.write(p));
        }
        assertEquals(List.of(1), socket.buffersPerWrite, "the first packet goes out at once, alone");
        assertTrue(futures.stream().noneMatch(IoWriteFuture::isDone));
        socket.complete();
        assertTrue(futures.get(0).isWritten());
        assertFalse(futures.get(1).isDone(), "the rest is in flight");
        assertEquals(List.of(1, 4), socket.buffersPerWrite, "the four queued behind it: one write");
        socket.complete();
        assertTrue(futures.stream().allMatch(IoWriteFuture::isWritten));
        assertArrayEquals(expected.toByteArray(), socket.received.toByteArray());
        assertEquals(2, writer.writes());
        assertEquals(List.of(), failures);
    }

    @Test
    void aShortWriteResumesAtTheFirstUnwrittenByteAndCompletesOnlyWhatWasWritten() {
        FakeSocket socket = new FakeSocket();
        GatheringWriter writer = new GatheringWriter(socket, e -> { });
        ByteArrayOutputStream expected = new ByteArrayOutputStream();
        List<IoWriteFuture> futures = new ArrayList<>();
        socket.room = 250;
        for (int i = 0; i < 4; i++) {
            ByteBuffer p = packet(100, i);
            expected.writeBytes(p.array());
            futures.add(writer.write(p));
        }
        socket.complete(); // packet 0 written; 1-3 go out, 250 bytes of 300 taken
        socket.complete();
        assertTrue(futures.get(1).isWritten());
        assertTrue(futures.get(2).isWritten());
        assertFalse(futures.get(3).isDone(), "half of packet 3 is still to go");
        assertEquals(List.of(1, 3, 1), socket.buffersPerWrite);
        socket.complete();
        assertTrue(futures.get(3).isWritten());
        assertArrayEquals(expected.toByteArray(), socket.received.toByteArray());
    }

    @Test
    void noMoreThanMaxBatchPacketsPerWrite() {
        FakeSocket socket = new FakeSocket();
        GatheringWriter writer = new GatheringWriter(socket, e -> { });
        for (int i = 0; i < 1 + GatheringWriter.MAX_BATCH + 3; i++) writer.write(packet(10, i));
        socket.complete();
        socket.complete();
        socket.complete();
        assertEquals(List.of(1, GatheringWriter.MAX_BATCH, 3), socket.buffersPerWrite);
    }

    @Test
    void aFailedWriteFailsEverythingQueuedAndLaterWritesAndIsReportedOnce() {
        FakeSocket socket = new FakeSocket();
        List<Throwable> failures = new ArrayList<>();
        GatheringWriter writer = new GatheringWriter(socket, failures::add);
        IoWriteFuture first = writer.write(packet(10, 1));
        IoWriteFuture second = writer.write(packet(10, 2));
        IOException broken = new IOException("Broken pipe");
        socket.fail(broken);
        assertSame(broken, first.getException());
        assertSame(broken, second.getException());
        IoWriteFuture later = writer.write(packet(10, 3));
        assertSame(broken, later.getException());
        assertEquals(List.of(broken), failures);
        assertEquals(1, socket.buffersPerWrite.size(), "nothing written after the failure");
    }

    @Test
    void whenIdleWaitsForTheQueueToDrain() {
        FakeSocket socket = new FakeSocket();
        GatheringWriter writer = new GatheringWriter(socket, e -> { });
        List<String> events = new ArrayList<>();
        writer.write(packet(10, 1));
        writer.write(packet(10, 2));
        writer.whenIdle(() -> events.add("idle"));
        socket.complete();
        assertEquals(List.of(), events, "packet 2 is still in flight");
        socket.complete();
        assertEquals(List.of("idle"), events);
        writer.whenIdle(() -> events.add("at once"));
        assertEquals(List.of("idle", "at once"), events);
    }

    @Test
    void abortFailsWhatIsPendingAndRunsTheIdleActionsButIsNotASocketFailure() {
        FakeSocket socket = new FakeSocket();
        List<Throwable> failures = new ArrayList<>();
        GatheringWriter writer = new GatheringWriter(socket, failures::add);
        IoWriteFuture inFlight = writer.write(packet(10, 1));
        List<String> events = new ArrayList<>();
        writer.whenIdle(() -> events.add("idle"));
        IOException closed = new IOException("closed");
        writer.abort(closed);
        assertSame(closed, inFlight.getException());
        assertEquals(List.of("idle"), events);
        socket.complete(); // the socket's late completion changes nothing
        assertSame(closed, inFlight.getException());
        assertEquals(List.of(), failures);
    }
}
