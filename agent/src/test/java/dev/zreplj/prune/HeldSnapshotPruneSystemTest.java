package dev.zreplj.prune;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.zreplj.config.ConfigLoader;
import dev.zreplj.config.PushJob;
import dev.zreplj.replication.ReplicationCursor;
import dev.zreplj.zfs.DatasetName;
import dev.zreplj.zfs.Zfs;
import dev.zreplj.zfs.ZfsVersion;
import dev.zreplj.zfs.testing.TestPools;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** On real zfs: a snapshot someone else holds stays, and the sender's other prunable snapshots go anyway. */
@Tag("system")
class HeldSnapshotPruneSystemTest {
    @TempDir
    Path dir;

    private TestPools pools;
    private Zfs zfs;
    private DatasetName fs;

    @BeforeEach
    void setUp() {
        pools = TestPools.open();
        zfs = new Zfs(pools.zfsBinary());
        fs = pools.createFilesystem(pools.createPool("src").child("home"));
        for (int i = 1; i <= 4; i++) {
            pools.snapshot(fs, "zrepl_" + i);
        }
    }

    @AfterEach
    void tearDown() {
        pools.close();
    }

    @Test
    void anAdminsHoldKeepsItsSnapshotAndNoOther() throws Exception {
        PushJob job = job(1);
        replicatedUpToTheNewest();
        pools.zfs("hold", "admin", fs + "@zrepl_2");

        PruneReport report = new PruneRun(job, zfs).run(List.of(fs), null, "no box in this test", false);

        assertEquals(List.of("zrepl_2", "zrepl_4"), pools.snapshotNames(fs));
        FilesystemPruneResult sender = report.filesystems().get(0);
        assertEquals(Side.SENDER, sender.plan().side());
        assertEquals(List.of("zrepl_1", "zrepl_3"), sender.destroyed());
        assertEquals(
                "@zrepl_2: '" + pools.zfsBinary() + " destroy " + fs + "@zrepl_2' failed (exit 1): cannot destroy '"
                        + fs + "@zrepl_2': dataset is busy",
                sender.error());
        assertTrue(report.failed(), "the prune is incomplete while zrepl_2 stays");
        pools.zfs("release", "admin", fs + "@zrepl_2");
    }

    /** One snapshot to destroy, refused: the same "@NAME: " line as when one of several is (docs/pruning.md). */
    @Test
    void aSingleHeldSnapshotIsNamedInTheFailure() throws Exception {
        PushJob job = job(3);
        replicatedUpToTheNewest();
        pools.zfs("hold", "admin", fs + "@zrepl_1");

        PruneReport report = new PruneRun(job, zfs).run(List.of(fs), null, "no box in this test", false);

        assertEquals(List.of("zrepl_1", "zrepl_2", "zrepl_3", "zrepl_4"), pools.snapshotNames(fs));
        FilesystemPruneResult sender = report.filesystems().get(0);
        assertEquals(List.of(), sender.destroyed());
        assertEquals(
                "@zrepl_1: '" + pools.zfsBinary() + " destroy " + fs + "@zrepl_1' failed (exit 1): cannot destroy '"
                        + fs + "@zrepl_1': dataset is busy",
                sender.error());
        assertTrue(report.failed());
        pools.zfs("release", "admin", fs + "@zrepl_1");
    }

    /** The cursor where a replication left it: without one the sender destroys nothing. */
    private void replicatedUpToTheNewest() throws Exception {
        Map<DatasetName, List<ZfsVersion>> versions = zfs.listVersions(fs);
        ReplicationCursor.load(zfs, "laptop", versions)
                .move(versions.get(fs).stream()
                        .filter(v -> v.name().equals("zrepl_4"))
                        .findFirst()
                        .orElseThrow());
    }

    private PushJob job(int keep) throws Exception {
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
                        "    filesystems: {\"" + fs + "\": true}",
                        "    snapshotting:",
                        "      type: manual",
                        "    pruning:",
                        "      keep_sender:",
                        "        - type: last_n",
                        "          count: " + keep,
                        "      keep_receiver:",
                        "        - type: last_n",
                        "          count: 1",
                        ""));
        return new ConfigLoader().load(file).pushJobs().get(0);
    }
}
