package dev.zreplj.stdinserver;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ReceiveSlotTest {
    @TempDir
    Path state;

    @Test
    void atMostNSlotsAreHeldAndAFreedOneIsReused() throws Exception {
        ReceiveSlot a = ReceiveSlot.tryAcquire(ReceiveSlot.boxReceives(state), 2);
        ReceiveSlot b = ReceiveSlot.tryAcquire(ReceiveSlot.boxReceives(state), 2);
        assertNotNull(a);
        assertNotNull(b);
        assertNull(ReceiveSlot.tryAcquire(ReceiveSlot.boxReceives(state), 2), "both slots are taken");
        long start = System.nanoTime();
        assertNull(ReceiveSlot.acquire(ReceiveSlot.boxReceives(state), 2, Duration.ofMillis(300)), "none comes free");
        assertTrue(System.nanoTime() - start >= 300_000_000L, "it waited");
        a.close();
        try (ReceiveSlot c = ReceiveSlot.acquire(ReceiveSlot.boxReceives(state), 2, Duration.ofSeconds(5))) {
            assertNotNull(c);
        }
        b.close();
        assertTrue(Files.exists(state.resolve("receive-slots").resolve("0.lock")));
        assertTrue(Files.exists(state.resolve("receive-slots").resolve("1.lock")));
    }
}
