package dev.zreplj.stdinserver;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.zreplj.zfs.DatasetName;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
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
        assertTrue(Files.exists(state.resolve("locks").resolve("backup%2Fsink%2Fc%2Ftank%2Fa.lock")));
    }

    @Test
    void fileNamesAreUnambiguous() {
        assertEquals("a%2Fb.lock", DatasetLock.fileName(DatasetName.of("a/b")));
        assertEquals("a_b.lock", DatasetLock.fileName(DatasetName.of("a_b")));
    }
}
