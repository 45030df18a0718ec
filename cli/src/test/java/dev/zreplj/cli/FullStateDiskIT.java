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
 * The state directories of the laptop and of the box on a tmpfs filled to the last byte (a full /var), over the
 * real sshd into zfs-fuse: the backup is still made where it can be, the pass says which file could not be written
 * and what to do, status does not read all ok meanwhile, and the first pass after space returns is recorded.
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
                FullDisk box = FullDisk.mount(e.dir.resolve("box-state"))) {
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
                        List.of(JOB + ".json", JOB + ".lock"),
                        files.map(p -> p.getFileName().toString()).sorted().toList(),
                        "no temp file left behind");
            }

            laptop.free();
            EndToEnd.Run recorded = e.agent("agent", "once");
            assertEquals(0, recorded.exit(), recorded::toString);
            EndToEnd.Run ok = e.agent("status");
            assertEquals(0, ok.exit(), ok::toString);
            assertTrue(ok.stdout().startsWith("ZREPLJ OK: "), ok::toString);

            // The box's disk full: it refuses the receive it could not time, saying where to free space, and
            // takes it at the first pass after.
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
            box.free();
            EndToEnd.Run after = e.agent("agent", "once");
            assertEquals(0, after.exit(), after::toString);
            List<String> all = e.snapshotNames(home);
            assertTrue(
                    e.snapshotsWithGuids(e.jail().child(home.value())).contains("@" + all.get(all.size() - 1) + "\t"),
                    after::toString);
        }
    }
}
