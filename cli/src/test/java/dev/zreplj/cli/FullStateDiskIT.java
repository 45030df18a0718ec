package dev.zreplj.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.zreplj.files.testing.FullDisk;
import dev.zreplj.zfs.DatasetName;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The state directories of the laptop and of the box on a tmpfs filled to the last byte (a full /var), or remounted
 * read-only (as the kernel does after a disk error), over the real sshd into zfs-fuse: the backup is still made
 * where it can be, the pass says which file could not be written and what to do, status does not read all ok
 * meanwhile, and the first pass after space returns (or the remount) is recorded.
 */
@Tag("system")
class FullStateDiskIT {
    private static final String JOB = "laptop_to_box";

    @TempDir
    Path tmp;

    @Test
    void aFullStateDiskOnTheLaptopThenOnTheBox() throws Exception {
        try (EndToEnd e = new EndToEnd(tmp, PushSuite.HOME_FILTER);
                FullDisk laptop = FullDisk.mount(e.dir.resolve("laptop-state"));
                // Over the 1 MiB the box's status calls full.
                FullDisk box = FullDisk.mount(e.dir.resolve("box-state"), 2048)) {
            DatasetName home = e.createFilesystem(e.src().child("home"));
            EndToEnd.Run first = e.agent("agent", "once", "--snapshot");
            assertEquals(0, first.exit(), first::toString);

            // The laptop's disk full: the snapshot is taken and sent, but the pass cannot be recorded.
            laptop.fill();
            Thread.sleep(1100); // a snapshot name of a later second
            EndToEnd.Run unrecorded = e.agent("agent", "once", "--snapshot");
            assertEquals(1, unrecorded.exit(), unrecorded::toString);
            Path statusFile = laptop.dir().resolve("jobs/" + JOB + ".json");
            assertTrue(
                    unrecorded
                            .stderr()
                            .contains("cannot write the status file for job " + JOB + ": "
                                    + statusFile
                                    + ": No space left on device; free space there; 'zreplj status' warns that"
                                    + " this pass is not recorded until a pass records again"),
                    unrecorded::toString);
            assertFalse(unrecorded.stderr().contains("Exception"), unrecorded::toString);
            List<String> sent = e.snapshotNames(home);
            assertEquals(2, sent.size(), sent::toString);
            assertTrue(
                    e.snapshotsWithGuids(e.jail().child(home.value())).contains("@" + sent.get(1) + "\t"),
                    "the second snapshot is on the box all the same");
            EndToEnd.Run warned = e.agent("status");
            assertEquals(1, warned.exit(), warned::toString);
            assertTrue(
                    warned.stdout().startsWith("ZREPLJ WARNING: job " + JOB + ": last pass failed: the pass of "),
                    warned::toString);
            assertTrue(
                    warned.stdout().contains(" could not record its status in " + statusFile + " (the agent's log"),
                    warned::toString);
            try (Stream<Path> files = Files.list(statusFile.getParent())) {
                assertEquals(
                        List.of("counters", JOB + ".json", JOB + ".lock"),
                        files.map(p -> p.getFileName().toString()).sorted().toList(),
                        "no temp file left behind");
            }
            try (Stream<Path> files = Files.list(statusFile.resolveSibling("counters"))) {
                assertEquals(
                        List.of(JOB + ".json"),
                        files.map(p -> p.getFileName().toString()).sorted().toList(),
                        "no temp file of the counters left behind");
            }

            laptop.free();
            EndToEnd.Run recorded = e.agent("agent", "once");
            assertEquals(0, recorded.exit(), recorded::toString);
            EndToEnd.Run ok = e.agent("status");
            assertEquals(0, ok.exit(), ok::toString);
            assertTrue(ok.stdout().startsWith("ZREPLJ OK: "), ok::toString);

            // The box's disk full: it refuses the receive it could not time, saying where to free space, and
            // takes it at the first pass after.
            String fullBox = "sink job backups, client laptop: WARNING, 1 filesystem -- " + box.dir() + " is full (";
            EndToEnd.Run boxBefore = e.zreplj(List.of("--config", e.sinkConfigPath(), "status"), null);
            assertFalse(boxBefore.stdout().contains(fullBox), boxBefore::toString);
            box.fill();
            Thread.sleep(1100);
            EndToEnd.Run refused = e.agent("agent", "once", "--snapshot");
            assertEquals(1, refused.exit(), refused::toString);
            assertTrue(
                    refused.stdout().contains("on the box (" + box.dir().resolve("received") + "/"), refused::toString);
            assertTrue(
                    refused.stdout()
                            .contains(": No space left on device; free space there); refused: the box receives no"
                                    + " snapshot it cannot time"),
                    refused::toString);
            assertFalse(refused.stdout().contains("Exception"), refused::toString);
            // The box's own status, whose client's last receive is fresh, said OK; it says what the agent saw.
            EndToEnd.Run boxStatus = e.zreplj(List.of("--config", e.sinkConfigPath(), "status"), null);
            assertTrue(boxStatus.stdout().contains(fullBox), boxStatus::toString);
            box.free();
            EndToEnd.Run after = e.agent("agent", "once");
            assertEquals(0, after.exit(), after::toString);
            List<String> all = e.snapshotNames(home);
            assertTrue(
                    e.snapshotsWithGuids(e.jail().child(home.value())).contains("@" + all.get(all.size() - 1) + "\t"),
                    after::toString);
        }
    }

    @Test
    void aReadOnlyStateDiskOnTheBoxThenOnTheLaptop() throws Exception {
        try (EndToEnd e = new EndToEnd(tmp, PushSuite.HOME_FILTER);
                FullDisk laptop = FullDisk.mount(e.dir.resolve("laptop-state"));
                FullDisk box = FullDisk.mount(e.dir.resolve("box-state"))) {
            e.createFilesystem(e.src().child("home"));
            EndToEnd.Run first = e.agent("agent", "once", "--snapshot");
            assertEquals(0, first.exit(), first::toString);

            // The box's channel lock cannot be taken: its own line reaches the agent, not the log warning after it.
            box.readOnly();
            EndToEnd.Run refused = e.agent("agent", "once");
            assertEquals(1, refused.exit(), refused::toString);
            assertTrue(
                    refused.stdout()
                            .contains("failed to start (exit 1): zreplj stdinserver: client 'laptop': "
                                    + box.dir().resolve("client-channels/laptop/0.lock") + ": Read-only file system;"
                                    + " the kernel remounts a file system read-only after a disk error: check dmesg,"
                                    + " then remount it read-write; see the box's log for more"),
                    refused::toString);
            EndToEnd.Run boxStatus = e.zreplj(List.of("--config", e.sinkConfigPath(), "status"), null);
            assertEquals(2, boxStatus.exit(), "the box's other client never connected: " + boxStatus);
            assertTrue(
                    boxStatus
                            .stdout()
                            .contains("sink job backups, client laptop: WARNING, 1 filesystem -- " + box.dir()
                                    + " is on a read-only file system: the box refuses every receive"),
                    boxStatus::toString);
            box.readWrite();

            laptop.readOnly();
            EndToEnd.Run locked = e.agent("agent", "once");
            assertEquals(1, locked.exit(), locked::toString);
            assertEquals(
                    "zreplj: cannot take the job lock under " + laptop.dir().resolve("jobs") + " ("
                            + laptop.dir().resolve("jobs/" + JOB + ".lock") + ": Read-only file system; the kernel"
                            + " remounts a file system read-only after a disk error: check dmesg, then remount it"
                            + " read-write); the agent needs a writable global.zreplj.state_dir\n",
                    locked.stderr(),
                    locked::toString);
            EndToEnd.Run warned = e.agent("status");
            assertEquals(1, warned.exit(), warned::toString);
            // The pass before as it was recorded (the box's lock refused), and that no pass can run now.
            assertTrue(
                    warned.stdout()
                            .startsWith("ZREPLJ WARNING: job " + JOB + ": last pass failed: connect: no session with"
                                    + " the backup box: "),
                    warned::toString);
            assertTrue(
                    warned.stdout()
                            .contains("; last pass failed: " + laptop.dir().resolve("jobs")
                                    + " is on a read-only file system: "),
                    warned::toString);
            laptop.readWrite();
            EndToEnd.Run again = e.agent("agent", "once");
            assertEquals(0, again.exit(), again::toString);
            EndToEnd.Run ok = e.agent("status");
            assertEquals(0, ok.exit(), ok::toString);
        }
    }
}
