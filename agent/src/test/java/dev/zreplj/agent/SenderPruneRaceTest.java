package dev.zreplj.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import dev.zreplj.config.ConfigLoader;
import dev.zreplj.config.PushJob;
import dev.zreplj.zfs.DatasetName;
import dev.zreplj.zfs.VersionType;
import dev.zreplj.zfs.ZfsVersion;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Sender pruning decides from the pass's listing, taken before a replication that may run for hours, and
 * zfs destroys by name: a snapshot taken again under a name the plan destroys is not the one it decided on.
 */
class SenderPruneRaceTest {
    private static final Clock NOON = Clock.fixed(Instant.parse("2026-11-30T12:00:00Z"), ZoneOffset.UTC);

    @TempDir
    Path dir;

    private final FakeBox box = new FakeBox();

    private PushJob job() throws Exception {
        Path file = dir.resolve("zreplj.yml");
        Files.writeString(
                file,
                String.join(
                        "\n",
                        "jobs:",
                        "  - name: laptop",
                        "    type: push",
                        "    connect:",
                        "      type: ssh+stdinserver",
                        "      host: box.example.org",
                        "      user: zreplj",
                        "      identity_file: /etc/zreplj/ssh/identity",
                        "    filesystems: {\"tank/src\": true}",
                        "    snapshotting:",
                        "      type: manual",
                        "    pruning:",
                        "      keep_sender:",
                        "        - type: not_replicated",
                        "        - type: last_n",
                        "          count: 1",
                        "      keep_receiver:",
                        "        - type: last_n",
                        "          count: 10",
                        ""));
        return new ConfigLoader().load(file).pushJobs().get(0);
    }

    private static List<String> snapshots(FakeZfs zfs) throws Exception {
        return zfs.listVersions(DatasetName.of("tank/src")).get(DatasetName.of("tank/src")).stream()
                .filter(v -> v.type() == VersionType.SNAPSHOT)
                .map(ZfsVersion::name)
                .toList();
    }

    @Test
    void aSnapshotTakenAgainUnderADoomedNameDuringThePassStays() throws Exception {
        FakeZfs zfs = new FakeZfs();
        zfs.filesystem("tank/src", "zrepl_1", "backup", "zrepl_2");
        ZfsVersion first = zfs.listVersions(DatasetName.of("tank/src"))
                .get(DatasetName.of("tank/src"))
                .get(0);
        box.holds("tank/src", List.of("zrepl_1"), List.of(first.guid()));
        // A script rotates its fixed-name snapshot while the pass sends: the new @backup is newer than anything
        // the pass replicates, so not_replicated keeps it.
        zfs.duringSendOf("tank/src@zrepl_2", () -> zfs.retake("tank/src", "backup"));

        PushPass.Result r = new PassDriver(job(), zfs, box.opener(), NOON, d -> {}).run(false, PushPass.Connect.ALWAYS);

        assertFalse(r.failed(), r::toString);
        assertEquals(List.of("zrepl_2", "backup"), snapshots(zfs), "the old @zrepl_1 went; the new @backup stays");
    }
}
