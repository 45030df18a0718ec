package dev.zreplj.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ReleaseStaleCommandTest {
    @TempDir
    Path dir;

    @Test
    void aConfigWithoutPushJobsIsRefusedForEverythingWouldLookStale() throws Exception {
        Path file = dir.resolve("zreplj.yml");
        Files.writeString(file, "jobs:\n  - {name: box, type: sink, root_fs: pool/sink, serve: {type: stdinserver, "
                + "client_identities: [laptop]}}\n");
        assertEquals(new CliRun(2, "", "zreplj: release-stale: the config has no push job, so every mark would look "
                + "stale; run it on the agent, with the agent's config (on the backup box, holds are named after the "
                + "agents' jobs, which the box's config does not list)\n"),
                CliRun.of("--config", file.toString(), "release-stale", "--dry-run"));
    }
}
