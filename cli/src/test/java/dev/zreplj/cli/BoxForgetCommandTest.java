package dev.zreplj.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.zreplj.stdinserver.ClientStatusFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BoxForgetCommandTest {
    @TempDir
    Path dir;

    Path config;
    Path state;

    @BeforeEach
    void writeConfigAndStatus() throws Exception {
        state = dir.resolve("state");
        config = dir.resolve("zreplj.yml");
        Files.writeString(
                config,
                TestConfigs.PUSH_AND_SINK.replace("jobs:", "global:\n  zreplj:\n    state_dir: " + state + "\njobs:"));
        Files.createDirectories(state.resolve("clients"));
        Files.writeString(
                state.resolve("clients/laptop.json"),
                "{\"client\":\"laptop\",\"filesystems\":{"
                        + "\"rpool/home\":{\"snapshot\":\"zrepl_9\",\"guid\":\"9\",\"received\":\"2026-12-05T20:00:00Z\"},"
                        + "\"rpool/old\":{\"snapshot\":\"zrepl_1\",\"guid\":\"1\",\"received\":\"2026-01-01T00:00:00Z\"}}}");
    }

    private CliRun forget(String... args) {
        String[] all = new String[args.length + 4];
        all[0] = "--config";
        all[1] = config.toString();
        all[2] = "box";
        all[3] = "forget";
        System.arraycopy(args, 0, all, 4, args.length);
        return CliRun.of(all);
    }

    @Test
    void aFilesystemTheClientNoLongerPushesLeavesTheStatusAndTheOthersStay() throws Exception {
        CliRun run = forget("laptop", "rpool/old");
        assertEquals(
                new CliRun(
                        0,
                        "forgot laptop rpool/old: no longer judged by status nor in the box's last-received metrics"
                                + " until the client sends it again (its counters stay); its backup on the box is left"
                                + " as it is\n",
                        ""),
                run);
        assertEquals(
                Set.of("rpool/home"),
                ClientStatusFile.read(state, "laptop").filesystems().keySet());
        assertEquals(
                "zrepl_9",
                ClientStatusFile.read(state, "laptop")
                        .filesystems()
                        .get("rpool/home")
                        .snapshot());
    }

    /**
     * docs/cli.md: the forgotten filesystem's zreplj_box_last_received_timestamp_seconds series goes. The box
     * rewrites its textfile only after a receive, so forget must rewrite it, or the series (and the
     * ZrepljBoxFilesystemSilent alert on it) would stay until the next receive of any client.
     */
    @Test
    void theMetricsTextfileLosesTheForgottenFilesystemsSeries() throws Exception {
        Path prom = dir.resolve("metrics/zreplj.prom");
        Files.writeString(
                config,
                TestConfigs.PUSH_AND_SINK.replace(
                        "jobs:",
                        "global:\n  zreplj:\n    state_dir: " + state + "\n    metrics:\n      textfile: " + prom
                                + "\njobs:"));
        Path boxProm = dir.resolve("metrics/zreplj-box.prom");
        dev.zreplj.metrics.Textfile.write(
                boxProm,
                new dev.zreplj.metrics.BoxMetrics(
                        state, new dev.zreplj.config.ConfigLoader().load(config).sinkJobs()));
        assertTrue(Files.readString(boxProm).contains("filesystem=\"rpool/old\""), "the series is there before");

        CliRun run = forget("laptop", "rpool/old");
        assertEquals(0, run.exitCode(), run::toString);
        String after = Files.readString(boxProm);
        assertFalse(
                after.contains("zreplj_box_last_received_timestamp_seconds{client=\"laptop\",filesystem=\"rpool/old\""),
                after);
        assertTrue(
                after.contains(
                        "zreplj_box_last_received_timestamp_seconds{client=\"laptop\",filesystem=\"rpool/home\""),
                after);
    }

    /**
     * The client's last received filesystem, forgotten, left a record without any: status then called the client
     * CRITICAL "nothing received yet: no backup exists" and its last-received metric 0 (never), though its backups
     * are on the box; the opposite of what forget is for. Refused, saying what to do instead.
     */
    @Test
    void theClientsOnlyRecordedFilesystemIsNotForgotten() throws Exception {
        assertEquals(0, forget("laptop", "rpool/old").exitCode());
        String before = Files.readString(state.resolve("clients/laptop.json"));
        CliRun run = forget("laptop", "rpool/home");
        assertEquals(
                new CliRun(
                        1,
                        "",
                        "zreplj: box forget: rpool/home is the only filesystem the box records of client laptop;"
                                + " without it status would call laptop never backed up (nothing received yet),"
                                + " though its backups stay: forget it after the first receive of the filesystem"
                                + " laptop pushes now, or, if laptop is gone, remove it from client_identities\n"),
                run);
        assertEquals(before, Files.readString(state.resolve("clients/laptop.json")));
        CliRun status = CliRun.of("--config", config.toString(), "status");
        assertFalse(status.out().contains("nothing received yet"), status::toString);
    }

    @Test
    void oneNotRecordedIsAFailureAndNothingChanges() throws Exception {
        String before = Files.readString(state.resolve("clients/laptop.json"));
        CliRun run = forget("laptop", "rpool/gone");
        assertEquals(1, run.exitCode(), run::toString);
        assertEquals(
                "zreplj: box forget: client laptop has no recorded filesystem rpool/gone in "
                        + state.resolve("clients/laptop.json") + " ('zreplj status' lists what is recorded)\n",
                run.err());
        assertEquals(before, Files.readString(state.resolve("clients/laptop.json")));
        assertEquals(1, forget("desktop", "rpool/home").exitCode(), "a client without a status file");
    }

    @Test
    void badNamesAndAConfigWithoutSinkAreUsageErrors() throws Exception {
        assertEquals(2, forget("../laptop", "rpool/old").exitCode());
        assertEquals(2, forget("laptop", "rpool/old@x").exitCode());
        Files.writeString(
                config, TestConfigs.PUSH_AND_SINK.substring(0, TestConfigs.PUSH_AND_SINK.indexOf("  - name: box")));
        CliRun run = forget("laptop", "rpool/old");
        assertEquals(2, run.exitCode(), run::toString);
        assertEquals("zreplj: box forget: " + config + " has no sink job: run it on the backup box\n", run.err());
    }
}
