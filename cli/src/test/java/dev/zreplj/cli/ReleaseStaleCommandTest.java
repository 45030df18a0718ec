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
    void aConfigWithoutPushOrSinkJobsIsRefused() throws Exception {
        Path file = dir.resolve("zreplj.yml");
        Files.writeString(file, "include: []\n");
        CliRun run = CliRun.of("--config", file.toString(), "release-stale", "--dry-run");
        assertEquals(2, run.exitCode(), run::toString);
    }
}
