package dev.zreplj.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.zreplj.protocol.ReceiveCommand;
import dev.zreplj.protocol.RemoteException;
import dev.zreplj.protocol.SinkClient;
import dev.zreplj.ssh.SshChannel;
import dev.zreplj.ssh.SshTransport;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Push replication end to end: real zfs-fuse pools, a real OpenSSH sshd, the built launcher. The
 * shared push suite ({@link PushSuite}) plus what needs the test JVM to reach the box's sshd.
 */
@Tag("system")
class EndToEndIT extends PushSuite {
    @Override
    EndToEnd open(Path dir, String filesystemsYaml) throws IOException {
        return new EndToEnd(dir, filesystemsYaml);
    }

    @Test
    void requestsOutsideTheJailAreRefused() throws Exception {
        try (EndToEnd e = open(tmp, HOME_FILTER)) {
            List<String> before = e.datasets(e.dst);
            try (SshTransport ssh = SshTransport.connect(e.sshd.connect());
                 SshChannel channel = ssh.openChannel("zreplj stdinserver")) {
                SinkClient client = new SinkClient(channel.stdout(), channel.stdin());
                client.handshake();
                for (String path : List.of("../other/x", "/" + e.dst.value(), e.src.value() + "/../../other",
                        "a@b", "-x", "a//b")) {
                    RemoteException refused = assertThrows(RemoteException.class, () -> client.receive(
                            new ReceiveCommand(path, "s1", 1L, null, false, false),
                            new ByteArrayInputStream(new byte[4096])), path);
                    assertEquals("jail", refused.code(), path + ": " + refused.getMessage());
                }
                client.close();
            }
            // The client's own (empty) jail is created when it connects; nothing else may appear.
            List<String> expected = new java.util.ArrayList<>(before);
            expected.add(e.jail.value());
            assertEquals(expected, e.datasets(e.dst), "nothing but the jail exists on the box");
        }
    }
}
