package dev.zreplj.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigcheckCommandTest {
    @TempDir
    Path dir;

    @Test
    void validConfigPrintsNothingAndExitsZero() throws Exception {
        Path file = dir.resolve("zreplj.yml");
        Files.writeString(file, TestConfigs.PUSH_AND_SINK);
        assertEquals(new CliRun(0, "", ""), CliRun.of("--config", file.toString(), "configcheck"));
    }

    @Test
    void invalidConfigPrintsOneLineWithPositionAndExitsTwo() throws Exception {
        Path file = dir.resolve("zreplj.yml");
        Files.writeString(file, TestConfigs.PUSH_AND_SINK.replace("    filesystems:", "    filesytems:"));
        assertEquals(new CliRun(2, "", "zreplj: " + file + ":10:5: unknown key 'filesytems' (did you mean "
                + "'filesystems'?)\n"), CliRun.of("--config", file.toString(), "configcheck"));
    }

    @Test
    void missingConfigFileExitsTwo() {
        Path file = dir.resolve("nope.yml");
        assertEquals(new CliRun(2, "", "zreplj: " + file + ": cannot read: no such file\n"),
                CliRun.of("--config", file.toString(), "configcheck"));
    }
}
