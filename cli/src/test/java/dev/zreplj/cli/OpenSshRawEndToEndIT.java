package dev.zreplj.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.zreplj.zfs.DatasetName;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The push suite with {@code connect.ssh_client: openssh} and {@code stream_compression: off}: every stream
 * goes from {@code zfs send} straight into the channel's FIFO and the box reads it unframed (RECV_RAW), its
 * end found from the stream's own records. The same zfs-fuse pools, sshd and launcher as {@link EndToEndIT}.
 */
@Tag("system")
class OpenSshRawEndToEndIT extends PushSuite {
    @Override
    EndToEnd open(Path dir, String filesystemsYaml, String jobTail) throws IOException {
        EndToEnd e = new EndToEnd(dir, filesystemsYaml, jobTail, "");
        try {
            e.replaceInAgentConfig(
                    "      known_hosts: ",
                    "      ssh_client: openssh\n      stream_compression: off\n      known_hosts: ");
            return e;
        } catch (IOException | RuntimeException x) {
            e.close();
            throw x;
        }
    }

    @Override
    int stallTimeoutSeconds() {
        return 20;
    }

    @Test
    void streamsGoStraightFromZfsSendIntoTheChannelAndTheBoxKeepsTheConversation() throws Exception {
        try (EndToEnd e = open(tmp, HOME_FILTER, EndToEnd.DEFAULT_JOB_TAIL)) {
            DatasetName home = e.createFilesystem(e.src().child("home"));
            DatasetName docs = e.createFilesystem(home.child("docs"));
            e.writeRandomFile(home, "a.bin", 3 << 20);
            e.writeRandomFile(docs, "b.bin", 1 << 20);
            EndToEnd.Run first = e.agent("agent", "once", "--snapshot", "-v");
            assertEquals(0, first.exit(), first::toString);
            // Two filesystems on one channel: the second request is read right after the first stream's END.
            assertTrue(first.toString().contains("(zfs send straight into the channel)"), first::toString);

            e.writeRandomFile(home, "c.bin", 2 << 20);
            EndToEnd.Run second = e.agent("agent", "once", "--snapshot", "-v");
            assertEquals(0, second.exit(), second::toString);
            String source = e.snapshotsWithGuids(home);
            assertEquals(4, source.lines().count(), source);
            assertEquals(expectedOnBox(e, source), e.snapshotsWithGuids(e.jail()));
        }
    }

    /**
     * systemd's stop under the units' KillMode=mixed: SIGTERM to the JVM alone, then SIGKILL to what is left. A
     * zfs-fuse {@code zfs send -I} killed while it writes into a full FIFO leaves its snapshots held ("dataset is
     * busy" to every later prune); the JVM's shutdown ends the channel's ssh first, so the send ends on EPIPE.
     */
    @Test
    void anAgentToldToStopMidStreamLeavesNoSnapshotHeld() throws Exception {
        try (EndToEnd e = open(tmp, HOME_FILTER, EndToEnd.DEFAULT_JOB_TAIL)) {
            DatasetName home = e.createFilesystem(e.src().child("home"));
            e.writeRandomFile(home, "base.bin", 1 << 20);
            EndToEnd.Run base = e.agent("agent", "once", "--snapshot");
            assertEquals(0, base.exit(), base::toString);
            List<String> series = List.of("s1", "s2", "s3");
            for (String s : series) {
                e.writeRandomFile(home, s + ".bin", 14 << 20);
                e.zfs("snapshot", home.value() + "@" + s);
            }
            String target = e.jail().child(home.value()).value();
            Process agent = e.startAgent("agent", "once");
            // The box stops reading: the stream backs up until zfs send blocks in the full FIFO.
            e.stopReceiver(target, agent);
            Thread.sleep(1500);
            List<ProcessHandle> rest = agent.descendants().toList();
            agent.destroy();
            assertTrue(agent.waitFor(30, TimeUnit.SECONDS), e::killedAgentLog);
            assertNotEquals(0, agent.exitValue(), () -> "the pass ended before it was stopped: " + e.killedAgentLog());
            rest.forEach(ProcessHandle::destroyForcibly);
            e.continueStopped();

            List<String> held = series;
            for (int i = 0; i < 50 && !held.isEmpty(); i++) {
                Thread.sleep(200);
                held = series.stream()
                        .filter(s -> !e.get(home.value() + "@" + s, "userrefs").equals("0"))
                        .toList();
            }
            assertEquals(List.of(), held, "snapshots still held by the stopped agent's zfs send");

            EndToEnd.Run next = e.agent("agent", "once");
            assertEquals(0, next.exit(), next::toString);
            assertEquals(expectedOnBox(e, e.snapshotsWithGuids(home)), e.snapshotsWithGuids(e.jail()));
        }
    }

    /**
     * The link dies in the middle of a stream zfs send writes into the channel (the box's sshd session killed while
     * its stdinserver is held still): zfs send ends on EPIPE and the channel with it, which is a lost connection,
     * retried in the same pass, not zfs's failure.
     */
    @Test
    void aLinkLostMidStreamIsALostConnectionAndTheRetryLandsTheSnapshot() throws Exception {
        try (EndToEnd e = open(tmp, HOME_FILTER, EndToEnd.DEFAULT_JOB_TAIL)) {
            DatasetName home = e.createFilesystem(e.src().child("home"));
            e.writeRandomFile(home, "a.bin", 8 << 20);
            String target = e.jail().child(home.value()).value();
            Process agent = e.startAgent("agent", "once", "--snapshot");
            e.stopReceiver(target, agent);
            Thread.sleep(500);
            e.cutLinkOfStopped();
            e.continueStopped();
            assertTrue(agent.waitFor(120, TimeUnit.SECONDS), e::killedAgentLog);
            String log = e.killedAgentLog();
            assertEquals(0, agent.exitValue(), log);
            assertTrue(log.contains("connection to the backup box lost"), log);
            assertFalse(log.contains("failed (exit"), log);
            assertEquals(expectedOnBox(e, e.snapshotsWithGuids(home)), e.snapshotsWithGuids(e.jail()));
        }
    }
}
