package dev.zreplj.ssh;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.InterruptedByTimeoutException;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Future;
import org.apache.sshd.common.io.IoWriteFuture;
import org.junit.jupiter.api.Test;

@SuppressWarnings(
        "ByteBufferBackingArray") // the tests' buffers come from ByteBuffer.allocate(): the array is the buffer
class DirectWriterTest {
    /**
     * A socket that takes up to {@code room} bytes at once (a completed write, on the caller's thread); with
     * no room, the write stays pending until {@link #drainAndComplete} makes room.
     */
    private static final class FakeSocket implements DirectWriter.Socket {
        final ByteArrayOutputStream received = new ByteArrayOutputStream();
        final List<String> writers = new ArrayList<>();
        int room = Integer.MAX_VALUE;
        CompletableFuture<Integer> pending;
        ByteBuffer pendingBuffer;

        @Override
        public Future<Integer> write(ByteBuffer buffer) {
            if (pending != null && !pending.isDone()) throw new IllegalStateException("write while a write is pending");
            writers.add(Thread.currentThread().getName());
            if (room == 0) {
                pending = new CompletableFuture<>();
                pendingBuffer = buffer;
                return pending;
            }
            return CompletableFuture.completedFuture(take(buffer));
        }

        private int take(ByteBuffer buffer) {
            int n = Math.min(buffer.remaining(), room);
            byte[] bytes = new byte[n];
            buffer.get(bytes);
            received.writeBytes(bytes);
            if (room != Integer.MAX_VALUE) room -= n;
            return n;
        }

        void drainAndComplete(int newRoom) {
            room = newRoom;
            pending.complete(take(pendingBuffer));
        }
    }

    /** Runs the waiter's tasks when told to, on the test's thread, as if on another thread later. */
    private static final class ManualExecutor implements java.util.concurrent.Executor {
        final ArrayDeque<Runnable> tasks = new ArrayDeque<>();

        @Override
        public void execute(Runnable task) {
            tasks.add(task);
        }

        void runAll() {
            while (!tasks.isEmpty()) tasks.poll().run();
        }
    }

    private static ByteBuffer packet(int size, int seed) {
        byte[] b = new byte[size];
        for (int i = 0; i < size; i++) b[i] = (byte) (seed * 31 + i);
        return ByteBuffer.wrap(b);
    }

    @Test
    void aSocketWithRoomIsWrittenOnTheCallersThreadAndNoWaiterIsInvolved() {
        FakeSocket socket = new FakeSocket();
        ManualExecutor waiter = new ManualExecutor();
        List<Throwable> failures = new ArrayList<>();
        DirectWriter writer = new DirectWriter(socket, waiter, Duration.ofSeconds(5), failures::add);
        ByteArrayOutputStream expected = new ByteArrayOutputStream();
        for (int i = 0; i < 3; i++) {
            ByteBuffer p = packet(100, i);
            expected.writeBytes(p.array());
            IoWriteFuture f = writer.write(p);
            assertTrue(f.isWritten(), "written before write() returns");
        }
        assertArrayEquals(expected.toByteArray(), socket.received.toByteArray());
        assertEquals(
                List.of(Thread.currentThread().getName()),
                socket.writers.stream().distinct().toList());
        assertTrue(waiter.tasks.isEmpty());
        assertEquals(List.of(), failures);
    }

    @Test
    void aFullSocketIsWaitedForByTheWaiterWhichWritesWhatQueuedMeanwhileInOrder() {
        FakeSocket socket = new FakeSocket();
        ManualExecutor waiter = new ManualExecutor();
        DirectWriter writer = new DirectWriter(socket, waiter, Duration.ofSeconds(5), e -> {});
        ByteArrayOutputStream expected = new ByteArrayOutputStream();
        socket.room = 150; // packet 0 and half of packet 1 fit, then the socket is full
        List<IoWriteFuture> futures = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            ByteBuffer p = packet(100, i);
            expected.writeBytes(p.array());
            futures.add(writer.write(p));
        }
        assertTrue(futures.get(0).isWritten());
        assertFalse(futures.get(1).isDone(), "half of it waits for room");
        assertFalse(futures.get(3).isDone());
        assertEquals(1, waiter.tasks.size(), "the caller handed the wait over and returned");
        socket.drainAndComplete(Integer.MAX_VALUE);
        waiter.runAll();
        assertTrue(futures.stream().allMatch(IoWriteFuture::isWritten));
        assertArrayEquals(expected.toByteArray(), socket.received.toByteArray());
        // once idle again, a write goes out on the caller's thread
        assertTrue(writer.write(packet(10, 9)).isWritten());
    }

    @Test
    void aFailedWriteFailsEverythingQueuedAndLaterWritesAndIsReportedOnce() {
        IOException broken = new IOException("Broken pipe");
        List<Throwable> failures = new ArrayList<>();
        ManualExecutor waiter = new ManualExecutor();
        List<CompletableFuture<Integer>> writes = new ArrayList<>();
        DirectWriter writer = new DirectWriter(
                b -> {
                    CompletableFuture<Integer> f = new CompletableFuture<>();
                    writes.add(f);
                    return f;
                },
                waiter,
                Duration.ofSeconds(5),
                failures::add);
        IoWriteFuture first = writer.write(packet(10, 1));
        IoWriteFuture second = writer.write(packet(10, 2));
        writes.get(0).completeExceptionally(broken);
        waiter.runAll();
        assertSame(broken, first.getException());
        assertSame(broken, second.getException());
        assertSame(broken, writer.write(packet(10, 3)).getException());
        assertEquals(List.of(broken), failures);
        assertEquals(1, writes.size(), "nothing written after the failure");
    }

    @Test
    void aWriteTheSocketDoesNotTakeWithinTheTimeoutFailsTheSession() {
        List<Throwable> failures = new ArrayList<>();
        ManualExecutor waiter = new ManualExecutor();
        DirectWriter writer =
                new DirectWriter(b -> new CompletableFuture<>(), waiter, Duration.ofMillis(50), failures::add);
        IoWriteFuture stuck = writer.write(packet(10, 1));
        waiter.runAll();
        assertInstanceOf(InterruptedByTimeoutException.class, stuck.getException());
        assertEquals(1, failures.size());
    }

    @Test
    void whenIdleWaitsForTheQueueToDrain() {
        FakeSocket socket = new FakeSocket();
        ManualExecutor waiter = new ManualExecutor();
        DirectWriter writer = new DirectWriter(socket, waiter, Duration.ofSeconds(5), e -> {});
        List<String> events = new ArrayList<>();
        socket.room = 0;
        writer.write(packet(10, 1));
        writer.whenIdle(() -> events.add("idle"));
        assertEquals(List.of(), events, "packet 1 waits for room");
        socket.drainAndComplete(Integer.MAX_VALUE);
        waiter.runAll();
        assertEquals(List.of("idle"), events);
        writer.whenIdle(() -> events.add("at once"));
        assertEquals(List.of("idle", "at once"), events);
    }

    @Test
    void abortFailsWhatIsQueuedAndRunsTheIdleActionsButIsNotASocketFailure() {
        FakeSocket socket = new FakeSocket();
        ManualExecutor waiter = new ManualExecutor();
        List<Throwable> failures = new ArrayList<>();
        DirectWriter writer = new DirectWriter(socket, waiter, Duration.ofSeconds(5), failures::add);
        socket.room = 0;
        IoWriteFuture queued = writer.write(packet(10, 1));
        List<String> events = new ArrayList<>();
        writer.whenIdle(() -> events.add("idle"));
        IOException closed = new IOException("closed");
        writer.abort(closed);
        assertSame(closed, queued.getException());
        assertEquals(List.of("idle"), events);
        assertEquals(List.of(), failures);
    }
}
