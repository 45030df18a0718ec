package dev.zreplj.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.zreplj.zfs.DatasetName;
import dev.zreplj.zfs.testing.TestPools;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * On the box: a client renamed its push job "Old_Job" to "laptop"; the old name's last-received hold on @s1
 * keeps that snapshot from being destroyed until release-stale lets it go (zfs-fuse).
 */
@Tag("system")
class ReleaseStaleBoxSystemTest {
    @TempDir
    Path dir;

    private TestPools pools;
    private DatasetName sink;
    private DatasetName home;
    private DatasetName other;
    private Path config;

    @BeforeEach
    void setUp() throws Exception {
        pools = TestPools.open();
        sink = pools.createFilesystem(pools.createPool("box").child("sink"));
        DatasetName jail = pools.createFilesystem(sink.child("laptop"));
        home = pools.createFilesystem(jail.child("home"));
        other = pools.createFilesystem(jail.child("other"));
        for (String s : List.of("s1", "s2", "s3")) {
            pools.snapshot(home, s);
        }
        pools.snapshot(other, "s1");
        // what ReceiverHolds leaves: a hold per job and the property naming the held snapshots
        pools.zfs("hold", "zrepl_last_received_J_Old_Job", home + "@s1");
        pools.zfs("set", "zreplj:last_received_j__old___job=s1", home.value());
        pools.zfs("hold", "zrepl_last_received_J_laptop", home + "@s3");
        pools.zfs("set", "zreplj:last_received_j_laptop=s3", home.value());
        // a job that alone holds a filesystem is never stale, whatever its name
        pools.zfs("hold", "zrepl_last_received_J_Old_Job", other + "@s1");
        pools.zfs("set", "zreplj:last_received_j__old___job=s1", other.value());
        config = dir.resolve("zreplj.yml");
        Files.writeString(
                config,
                "global:\n  zreplj:\n    state_dir: " + dir.resolve("state") + "\n    zfs_binary: "
                        + pools.zfsBinary() + "\njobs:\n  - name: box\n    type: sink\n    root_fs: " + sink
                        + "\n    serve: {type: stdinserver, client_identities: [laptop]}\n");
    }

    @AfterEach
    void tearDown() {
        pools.close();
    }

    @Test
    void theSupersededJobsHoldIsListedThenReleasedAndItsSnapshotCanGo() {
        String hold =
                "hold zrepl_last_received_J_Old_Job on " + home + "@s1 (job 'Old_Job', superseded by job 'laptop')";
        String property = "property zreplj:last_received_j__old___job on " + home
                + " (job 'Old_Job', superseded by job 'laptop')";
        assertThrows(IllegalStateException.class, () -> pools.zfs("destroy", home + "@s1"), "held: dataset is busy");

        CliRun dry = CliRun.of("--config", config.toString(), "release-stale", "--dry-run");
        assertEquals(new CliRun(0, "stale\t" + hold + "\nstale\t" + property + "\n", ""), dry);
        assertEquals("s1", pools.get(home.value(), "zreplj:last_received_j__old___job"), "--dry-run changes nothing");

        CliRun run = CliRun.of("--config", config.toString(), "release-stale");
        assertEquals(new CliRun(0, "released\t" + hold + "\nreleased\t" + property + "\n", ""), run);
        assertEquals("-", pools.get(home.value(), "zreplj:last_received_j__old___job"));
        pools.zfs("destroy", home + "@s1");
        assertEquals(List.of("s2", "s3"), pools.snapshotNames(home));
        assertThrows(
                IllegalStateException.class,
                () -> pools.zfs("destroy", home + "@s3"),
                "the current job still holds the newest snapshot");
        assertThrows(IllegalStateException.class, () -> pools.zfs("destroy", other + "@s1"), "a lone job's hold stays");
        assertEquals(
                new CliRun(0, "", ""),
                CliRun.of("--config", config.toString(), "release-stale"),
                "a second run finds nothing");
    }

    /**
     * A machine that is agent and box: both parts run, and the agent part leaves the sink's tree alone (the
     * marks there are the clients', named after their jobs).
     */
    @Test
    void aConfigWithPushAndSinkJobsDoesBothAndTheAgentPartSkipsTheSinksTree() throws Exception {
        DatasetName own = pools.createFilesystem(DatasetName.of(sink.pool()).child("own"));
        String cursor = dev.zreplj.zfs.CursorProperty.of("gone");
        pools.zfs("set", cursor + "=1", own.value());
        pools.zfs("set", cursor + "=1", home.value());
        Path both = dir.resolve("both.yml");
        Files.writeString(
                both,
                "global:\n  zreplj:\n    state_dir: " + dir.resolve("state") + "\n    zfs_binary: "
                        + pools.zfsBinary() + "\n"
                        // The push job selects the sink's pool, and (as every config must) not the sink's tree.
                        + TestConfigs.PUSH_AND_SINK
                                .replace(
                                        "\"rpool/tmp<\": false,",
                                        "\"rpool/tmp<\": false,\n      \"backup/clients<\": false,")
                                .replace("rpool", sink.pool())
                                .replace("backup/clients", sink.value()));
        CliRun dry = CliRun.of("--config", both.toString(), "release-stale", "--dry-run");
        String superseded = " (job 'Old_Job', superseded by job 'laptop')";
        // other pools on the machine are not ours to assert on
        String ours = dry.out()
                .lines()
                .filter(l -> l.contains(" " + sink.pool() + "/") || l.contains(" " + sink.pool() + "@"))
                .collect(java.util.stream.Collectors.joining("\n", "", "\n"));
        assertEquals(
                "stale\tproperty " + cursor + " on " + own + " (job 'gone')\n"
                        + "stale\thold zrepl_last_received_J_Old_Job on " + home + "@s1" + superseded + "\n"
                        + "stale\tproperty zreplj:last_received_j__old___job on " + home + superseded + "\n",
                ours,
                dry::toString);
        assertEquals(0, dry.exitCode(), dry::toString);
    }
}
