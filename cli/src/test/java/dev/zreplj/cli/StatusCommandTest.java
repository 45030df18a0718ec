package dev.zreplj.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.zreplj.agent.JobStatusStore;
import dev.zreplj.agent.PushPass;
import dev.zreplj.replication.FilesystemResult;
import dev.zreplj.stdinserver.ClientStatusFile;
import dev.zreplj.replication.FilesystemResult.Outcome;
import dev.zreplj.zfs.DatasetName;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StatusCommandTest {
    @TempDir
    Path dir;

    @Test
    void printsEachJobAndFilesystemWithLag() {
        JobStatusStore.JobStatus laptop = new JobStatusStore.JobStatus("laptop", 1000, null, List.of(
                new JobStatusStore.FilesystemStatus("rpool/home", "UP_TO_DATE", "rpool/home: up to date (@s)", 1000, 1000),
                new JobStatusStore.FilesystemStatus("rpool/photos", "REPLICATED", "", 1000, 1000, 3L << 20, 3_000_000L),
                new JobStatusStore.FilesystemStatus("rpool/src", "REPLICATED", "", 1000, 1000, 2048L, -1L),
                new JobStatusStore.FilesystemStatus("rpool/vm", "FAILED", "rpool/vm: failed after 0 steps: disk full", 1000, 0)),
                List.of());
        Map<String, Optional<JobStatusStore.JobStatus>> jobs = new LinkedHashMap<>();
        jobs.put("laptop", Optional.of(laptop));
        jobs.put("other", Optional.empty());
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        StatusCommand.print(new PrintStream(out, true, StandardCharsets.UTF_8), jobs, Instant.ofEpochSecond(1000 + 3 * 3600 + 120));
        assertEquals("""
                push job laptop: last run 1970-01-01T00:16:40Z (3h2m ago), some filesystems failed
                  rpool/home: up to date, last success 3h2m ago
                  rpool/photos: replicated 3.0 MiB of 2.9 MiB estimated, last success 3h2m ago
                  rpool/src: replicated 2.0 KiB, last success 3h2m ago
                  rpool/vm: failed, never replicated -- rpool/vm: failed after 0 steps: disk full
                push job other: never run
                """, out.toString(StandardCharsets.UTF_8));
    }

    @Test
    void printsEachClientsLastReceivedSnapshots() {
        Map<String, ClientStatusFile.ClientStatus> clients = new LinkedHashMap<>();
        clients.put("box/laptop", new ClientStatusFile.ClientStatus("laptop", Map.of(
                "rpool/home", new ClientStatusFile.Received("zrepl_2", "123", "1970-01-01T00:00:10Z"))));
        clients.put("box/desktop", null);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        StatusCommand.printClients(new PrintStream(out, true, StandardCharsets.UTF_8), clients, Instant.ofEpochSecond(70));
        assertEquals("""
                sink job box, client laptop: 1 filesystem
                  rpool/home: @zrepl_2 received 1970-01-01T00:00:10Z (1m ago)
                sink job box, client desktop: nothing received yet
                """, out.toString(StandardCharsets.UTF_8));
    }

    @Test
    void exitsOneWhenTheLastPassFailedAndZeroWhenItSucceeded() throws Exception {
        Path config = dir.resolve("zreplj.yml");
        Files.writeString(config, TestConfigs.PUSH_AND_SINK.replace("jobs:", "global:\n  zreplj:\n    state_dir: "
                + dir.resolve("state") + "\njobs:"));
        JobStatusStore store = new JobStatusStore(dir.resolve("state"));

        CliRun never = CliRun.of("--config", config.toString(), "status");
        assertEquals(new CliRun(0, "push job laptop: never run\nsink job box, client laptop: nothing received yet\n", ""),
                never);

        store.record(new PushPass.Result("laptop", Optional.empty(), List.of(), "ssh: connection refused"), Instant.now());
        CliRun failed = CliRun.of("--config", config.toString(), "status");
        assertEquals(1, failed.exitCode(), failed::toString);
        assertTrue(failed.out().contains("failed: ssh: connection refused"), failed::toString);

        store.record(new PushPass.Result("laptop", Optional.empty(), List.of(new FilesystemResult(
                DatasetName.of("rpool/home"), Outcome.REPLICATED, 1, 10, "")), null), Instant.now());
        CliRun ok = CliRun.of("--config", config.toString(), "status", "--json");
        assertEquals(0, ok.exitCode(), ok::toString);
        assertTrue(ok.out().contains("\"outcome\" : \"REPLICATED\""), ok::toString);
    }

    @Test
    void aPassWithAFailedStageIsNotOk() throws Exception {
        Path config = dir.resolve("zreplj.yml");
        Files.writeString(config, TestConfigs.PUSH_AND_SINK.replace("jobs:", "global:\n  zreplj:\n    state_dir: "
                + dir.resolve("state") + "\njobs:"));
        // Every filesystem replicated, but the snapshot of this pass failed: not "ok".
        new JobStatusStore(dir.resolve("state")).record(new PushPass.Result("laptop", Optional.empty(),
                List.of(new FilesystemResult(DatasetName.of("rpool/home"), Outcome.UP_TO_DATE, 0, 0, "@s")), null,
                List.of(), null, List.of("snapshot: taking @zrepl_1 of 1 filesystem failed: out of space")),
                Instant.now());
        CliRun status = CliRun.of("--config", config.toString(), "status");
        assertEquals(1, status.exitCode(), status::toString);
        assertTrue(status.out().contains("failed: snapshot: taking @zrepl_1 of 1 filesystem failed: out of space"),
                status::toString);
    }
}
