package dev.zreplj.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.zreplj.zfs.DatasetName;
import dev.zreplj.zfs.testing.TestPools;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code test filesystems} without --input asks the real zfs: every filesystem, sorted, with its verdict. */
@Tag("system")
class TestFilesystemsLiveTest {
    @TempDir
    Path dir;

    @Test
    void listsLiveFilesystemsWithVerdicts() throws Exception {
        try (TestPools pools = TestPools.open()) {
            DatasetName pool = pools.createPool("live");
            pools.createFilesystem(pool.child("home"));
            DatasetName tmp = pools.createFilesystem(pool.child("tmp"));
            pools.createFilesystem(tmp.child("keep"));
            pools.createFilesystem(tmp.child("other"));
            // Names zfs takes and zreplj refuses (a leading '-' reads as an option in zfs's arguments).
            pools.zfs("create", pool + "/-old");
            pools.zfs("create", tmp + "/-scratch");
            Path config = dir.resolve("zreplj.yml");
            // pool< accepts, pool/tmp< rejects, the exact pool/tmp/keep accepts again
            Files.writeString(config, TestConfigs.PUSH_AND_SINK.replace("rpool", pool.value()));
            String filter = Files.readString(config);

            CliRun run = CliRun.of("--config", config.toString(), "test", "filesystems", "--job", "laptop");

            assertEquals(0, run.exitCode(), run::toString);
            // Only this test's pool: other pools on the machine are not ours to assert on.
            String ours = run.out()
                    .lines()
                    .filter(l -> l.contains("\t" + pool + "\t") || l.contains("\t" + pool + "/"))
                    .collect(Collectors.joining("\n", "", "\n"));
            assertEquals(
                    String.join(
                            "\n",
                            "ACCEPT\t" + pool + "\t",
                            "ACCEPT\t" + pool + "/-old\tbut zreplj cannot replicate it: dataset name component"
                                    + " '-old' must not start with '-'; a pass fails on it: rename it (zfs rename) or"
                                    + " exclude it in the filter",
                            "ACCEPT\t" + pool + "/home" + "\t",
                            "REJECT\t" + pool + "/tmp" + "\t",
                            "REJECT\t" + pool + "/tmp/-scratch" + "\t",
                            "ACCEPT\t" + pool + "/tmp/keep" + "\t",
                            "REJECT\t" + pool + "/tmp/other" + "\t",
                            ""),
                    ours,
                    "filter:\n" + filter);
        }
    }
}
