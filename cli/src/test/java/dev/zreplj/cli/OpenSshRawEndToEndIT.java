package dev.zreplj.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.zreplj.zfs.DatasetName;
import java.io.IOException;
import java.nio.file.Path;
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
}
