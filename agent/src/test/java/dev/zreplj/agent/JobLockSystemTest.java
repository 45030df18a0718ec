package dev.zreplj.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.zreplj.zfs.DatasetName;
import dev.zreplj.zfs.testing.TestPools;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** The job lock on a state filesystem that is full (zfs-fuse, a filesystem with a small quota). */
@Tag("system")
class JobLockSystemTest {
    private TestPools pools;
    private Path state;

    @BeforeEach
    void setUp() {
        pools = TestPools.open();
        DatasetName fs = pools.createFilesystem(pools.createPool("lock").child("state"), "quota=2M");
        state = Path.of(pools.get(fs.value(), "mountpoint"));
    }

    @AfterEach
    void tearDown() {
        pools.close();
    }

    /**
     * A full state disk made the pid write fail and refused the whole pass: nothing snapshotted or sent while
     * status said OK until the data aged. The OS lock is what excludes; the pid is only named in the message.
     */
    @Test
    void aFullStateFilesystemStillLetsThePassTakeTheLock() throws Exception {
        // The lock file exists from an earlier pass, empty, as every pass leaves it.
        JobLock.acquire(state, List.of("laptop")).close();
        Path file = JobLock.file(state, "laptop");
        assertEquals(0, Files.size(file));
        fill(state.resolve("filler"));

        try (JobLock lock = JobLock.acquire(state, List.of("laptop"))) {
            assertEquals(0, Files.size(file), "the disk is full: no pid could be written");
            JobLock.HeldException held =
                    assertThrows(JobLock.HeldException.class, () -> JobLock.acquire(state, List.of("laptop")));
            assertTrue(held.getMessage().startsWith("job laptop: another pass is running"), held.getMessage());
        }
    }

    private static void fill(Path filler) throws IOException {
        byte[] block = new byte[64 * 1024];
        try (OutputStream out = Files.newOutputStream(filler)) {
            while (true) {
                out.write(block);
                out.flush();
            }
        } catch (IOException full) {
            // ENOSPC or EDQUOT: the filesystem is full.
        }
        assertThrows(IOException.class, () -> Files.write(filler.resolveSibling("probe"), new byte[4096]));
    }
}
