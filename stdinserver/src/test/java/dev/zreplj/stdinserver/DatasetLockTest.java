package dev.zreplj.stdinserver;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.zreplj.zfs.DatasetName;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DatasetLockTest {
    @TempDir
    Path state;

    @Test
    void oneHolderPerDatasetAndReleasedOnClose() throws IOException {
        DatasetName a = DatasetName.of("backup/sink/c/tank/a");
        DatasetLock first = DatasetLock.tryAcquire(state, a);
        assertNotNull(first);
        assertNull(DatasetLock.tryAcquire(state, a), "second receive into the same dataset");
        try (DatasetLock other = DatasetLock.tryAcquire(state, DatasetName.of("backup/sink/c/tank/b"))) {
            assertNotNull(other, "another dataset is independent");
        }
        first.close();
        try (DatasetLock again = DatasetLock.tryAcquire(state, a)) {
            assertNotNull(again);
        }
    }

    /**
     * A receive keeps its lock after its RESULT while it moves its hold: a destroy on another channel waits for
     * that instead of being refused busy, and is refused only when the holder keeps it all of the wait.
     */
    @Test
    void acquireWaitsForAHolderThatLetsGoAndGivesUpAfterTheWait() throws Exception {
        DatasetName a = DatasetName.of("backup/sink/c/tank/a");
        DatasetLock holder = DatasetLock.tryAcquire(state, a);
        assertNotNull(holder);
        long t0 = System.nanoTime();
        assertNull(DatasetLock.acquire(state, a, Duration.ofMillis(300)), "held all of the wait");
        long waited = System.nanoTime() - t0;
        assertTrue(waited >= Duration.ofMillis(300).toNanos(), "gave up after " + waited / 1_000_000 + " ms");

        Thread release = new Thread(() -> {
            try {
                Thread.sleep(300);
                holder.close();
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        release.start();
        try (DatasetLock lock = DatasetLock.acquire(state, a, Duration.ofSeconds(30))) {
            assertNotNull(lock, "taken once the holder let go");
        }
        release.join();
    }

    /** A client that names made-up filesystems without end leaves one file, of no size, not one per name. */
    @Test
    void manyNamesShareOneEmptyFile() throws IOException {
        for (int i = 0; i < 1000; i++) {
            try (DatasetLock lock = DatasetLock.tryAcquire(state, DatasetName.of("backup/sink/c/made-up-" + i))) {
                assertNotNull(lock);
            }
        }
        try (Stream<Path> files = Files.list(state.resolve("locks"))) {
            assertEquals(List.of(DatasetLock.path(state)), files.toList());
        }
        assertEquals(0, Files.size(DatasetLock.path(state)));
    }

    @Test
    void positionsAreStableDistinctAndWithinTheFileLockRange() {
        long a = DatasetLock.position(DatasetName.of("a/b"));
        assertEquals(a, DatasetLock.position(DatasetName.of("a/b")));
        assertNotEquals(a, DatasetLock.position(DatasetName.of("a_b")));
        for (int i = 0; i < 1000; i++) {
            long p = DatasetLock.position(DatasetName.of("pool/fs" + i));
            assertEquals(true, p >= 0 && p < Long.MAX_VALUE, "position " + p);
        }
    }
}
