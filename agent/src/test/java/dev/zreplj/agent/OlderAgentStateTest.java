package dev.zreplj.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An agent upgraded over the status file an older zreplj wrote ({@code golden/<date>-<commit>/jobs/lap.json}, from
 * the builds of those commits after two passes over a real sshd): read as that version meant it, each filesystem's
 * last success kept, the fields it did not write yet unknown (null), not "never".
 */
class OlderAgentStateTest {
    @TempDir
    Path state;

    private JobStatusStore.JobStatus read(String version) throws IOException {
        JobStatusStore store = new JobStatusStore(state);
        try (InputStream in = getClass().getResourceAsStream("/golden/" + version + "/jobs/lap.json")) {
            if (in == null) {
                throw new IllegalStateException("missing test resource golden/" + version + "/jobs/lap.json");
            }
            Files.createDirectories(store.file("lap").getParent());
            Files.copy(in, store.file("lap"), StandardCopyOption.REPLACE_EXISTING);
        }
        return store.read("lap").orElseThrow();
    }

    @Test
    void theStatusOfTheLast2026_11_30AgentIsRead() throws Exception {
        JobStatusStore.JobStatus s = read("2026-11-30-d242988");
        assertEquals("lap", s.job());
        assertEquals(1796570124L, s.lastRun());
        assertNull(s.lastSuccess(), "not written then: unknown until a pass succeeds");
        JobStatusStore.FilesystemStatus fs = s.filesystems().get(0);
        assertEquals(List.of("xvrsrc/data", "REPLICATED"), List.of(fs.filesystem(), fs.outcome()));
        assertEquals(1796570124L, fs.lastSuccess());
        assertEquals(1796570124L, fs.lastSnapshot());
        assertNull(fs.newestOnBox());
    }

    @Test
    void theStatusOfTheLast2026_12_02AgentIsRead() throws Exception {
        JobStatusStore.JobStatus s = read("2026-12-02-c2fc9b4");
        assertEquals(1796570222L, s.lastRun());
        assertNull(s.lastSuccess());
        JobStatusStore.FilesystemStatus fs = s.filesystems().get(0);
        assertEquals(List.of("xvrsrc/d2", "REPLICATED"), List.of(fs.filesystem(), fs.outcome()));
        assertEquals(1796570222L, fs.lastSuccess());
        assertEquals(1796570217L, fs.newestOnBox());
    }
}
