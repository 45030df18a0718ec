package dev.zreplj.replication;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.time.Duration;
import java.util.OptionalLong;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class WatchdogTest {
    private static final long SECOND = 1_000_000_000L;
    private final AtomicLong now = new AtomicLong(1000 * SECOND);
    private final Watchdog dog = new Watchdog(Duration.ofSeconds(20), now::get);

    @Test
    void workWithoutProgressIsCancelledOnceWhenTheTimeoutHasPassed() {
        AtomicInteger cancels = new AtomicInteger();
        Watchdog.Watch w = dog.watch(() -> 7, cancels::incrementAndGet);
        now.addAndGet(20 * SECOND - 1);
        dog.check();
        assertEquals(0, cancels.get(), "one nanosecond short of the timeout");
        assertFalse(w.cancelled());
        now.addAndGet(1);
        dog.check();
        assertEquals(1, cancels.get());
        assertTrue(w.cancelled());
        now.addAndGet(60 * SECOND);
        dog.check();
        assertEquals(1, cancels.get(), "cancelled once only");
    }

    @Test
    void eachProgressRestartsTheTimeout() {
        AtomicLong bytes = new AtomicLong();
        AtomicInteger cancels = new AtomicInteger();
        Watchdog.Watch w = dog.watch(bytes::get, cancels::incrementAndGet);
        for (int i = 0; i < 10; i++) {
            now.addAndGet(15 * SECOND);
            bytes.addAndGet(1);
            dog.check();
        }
        assertEquals(0, cancels.get(), "150 s of slow but steady progress");
        now.addAndGet(19 * SECOND);
        dog.check();
        assertEquals(0, cancels.get());
        now.addAndGet(SECOND);
        dog.check();
        assertEquals(1, cancels.get(), "20 s after the last byte");
        assertTrue(w.cancelled());
    }

    @Test
    void progressIsOnlySeenWhenSampled() {
        // A counter that moved and came back is no progress: the watchdog compares samples.
        AtomicLong bytes = new AtomicLong(5);
        AtomicInteger cancels = new AtomicInteger();
        dog.watch(bytes::get, cancels::incrementAndGet);
        now.addAndGet(10 * SECOND);
        bytes.set(6);
        bytes.set(5);
        now.addAndGet(10 * SECOND);
        dog.check();
        assertEquals(1, cancels.get());
    }

    @Test
    void aClosedWatchIsNeverCancelledAndOthersAreIndependent() {
        AtomicInteger first = new AtomicInteger();
        AtomicInteger second = new AtomicInteger();
        AtomicLong secondBytes = new AtomicLong();
        Watchdog.Watch a = dog.watch(() -> 0, first::incrementAndGet);
        dog.watch(secondBytes::get, second::incrementAndGet);
        a.close();
        now.addAndGet(10 * SECOND);
        secondBytes.set(1);
        dog.check();
        now.addAndGet(10 * SECOND);
        dog.check();
        assertEquals(0, first.get(), "closed before it stalled");
        assertEquals(0, second.get(), "moved 10 s ago");
        now.addAndGet(10 * SECOND);
        dog.check();
        assertEquals(1, second.get());
    }

    @Test
    void timeTheProcessWasStoppedIsNoStall() {
        // The agent stopped for 30 s (SIGSTOP, Ctrl-Z) while it waited for HELLO's reply, which came meanwhile
        // and waits unread: its watchdog thread's 1 s sleep took 30 s. The wait counts from the resume.
        AtomicInteger cancels = new AtomicInteger();
        Watchdog.Watch w = dog.watch(() -> 0, cancels::incrementAndGet);
        now.addAndGet(30 * SECOND);
        dog.afterSleep(SECOND, 30 * SECOND);
        assertEquals(0, cancels.get(), "stopped, not stalled");
        now.addAndGet(18 * SECOND);
        dog.afterSleep(SECOND, SECOND);
        assertEquals(0, cancels.get(), "19 s of the 20 s run since the resume");
        now.addAndGet(SECOND);
        dog.afterSleep(SECOND, SECOND);
        assertEquals(1, cancels.get(), "20 s without a reply while the process ran");
        assertTrue(w.cancelled());
    }

    @Test
    void aSleepOnlyALittleLateCountsInFull() {
        // Scheduling jitter (twice the poll at most) is time the process ran: it counts.
        AtomicInteger cancels = new AtomicInteger();
        dog.watch(() -> 0, cancels::incrementAndGet);
        for (int i = 0; i < 10; i++) {
            now.addAndGet(2 * SECOND);
            dog.afterSleep(SECOND, 2 * SECOND);
        }
        assertEquals(1, cancels.get());
    }

    @Test
    void stalledMessageSaysHowLongWhereAndOfWhat() {
        Watchdog.Watch w = dog.watch(() -> 0, () -> {});
        assertEquals(
                "stalled: no progress for 20s at 52.3 MiB of 200.0 MiB; cancelled",
                w.stalledMessage(54_840_524L, OptionalLong.of(200L << 20)));
        assertEquals("stalled: no progress for 20s at 0 B; cancelled", w.stalledMessage(0, OptionalLong.empty()));
    }

    @Test
    void goDurationsAsTheConfigSpellsThem() {
        assertEquals("10m0s", Watchdog.goDuration(Duration.ofMinutes(10)));
        assertEquals("20s", Watchdog.goDuration(Duration.ofSeconds(20)));
        assertEquals("1h0m0s", Watchdog.goDuration(Duration.ofHours(1)));
        assertEquals("1h30m5s", Watchdog.goDuration(Duration.ofSeconds(5405)));
        assertEquals("1.5s", Watchdog.goDuration(Duration.ofMillis(1500)));
        assertEquals("500ms", Watchdog.goDuration(Duration.ofMillis(500)));
    }

    @Test
    void rejectsANonPositiveTimeout() {
        assertThrows(IllegalArgumentException.class, () -> new Watchdog(Duration.ZERO, now::get));
    }

    @Test
    void guardReturnsTheReplyAndCancelsNothingWhenItComes() throws IOException {
        AtomicInteger aborts = new AtomicInteger();
        assertEquals("listing", dog.guard("LIST", () -> "listing", aborts::incrementAndGet));
        now.addAndGet(60 * SECOND);
        dog.check();
        assertEquals(0, aborts.get(), "the watch ended with the request");
    }

    @Test
    void aReplyThatCameAsTheChannelWasCutIsStillAStall() {
        // The channel is aborted either way: the caller must not go on using it.
        StalledException e = assertThrows(
                StalledException.class,
                () -> dog.guard(
                        "HELLO",
                        () -> {
                            now.addAndGet(20 * SECOND);
                            dog.check();
                            return "hello";
                        },
                        () -> {}));
        assertEquals("stalled: no reply from the backup box to HELLO for 20s; cancelled", e.getMessage());
    }

    @Test
    void guardPassesOtherFailuresThrough() {
        IOException broken = new IOException("connection reset");
        IOException thrown = assertThrows(
                IOException.class,
                () -> dog.guard(
                        "LIST",
                        () -> {
                            throw broken;
                        },
                        () -> {}));
        assertSame(broken, thrown);
    }

    @Test
    void theWatchdogThreadCutsARequestWithoutReply() throws Exception {
        CountDownLatch aborted = new CountDownLatch(1);
        try (Watchdog real = Watchdog.start(Duration.ofMillis(200))) {
            long started = System.nanoTime();
            StalledException e = assertThrows(
                    StalledException.class,
                    () -> real.guard(
                            "DESTROY pool/a",
                            () -> {
                                // Blocked as a read from a stalled box is, until the abort tears the channel down.
                                try {
                                    if (!aborted.await(30, TimeUnit.SECONDS)) {
                                        throw new AssertionError("never aborted");
                                    }
                                } catch (InterruptedException ie) {
                                    throw new InterruptedIOException("interrupted");
                                }
                                throw new IOException("channel closed");
                            },
                            aborted::countDown));
            long millis = (System.nanoTime() - started) / 1_000_000;
            assertEquals(
                    "stalled: no reply from the backup box to DESTROY pool/a for 200ms; cancelled", e.getMessage());
            assertTrue(millis >= 200 && millis < 5000, "cut after " + millis + " ms");
        }
    }
}
