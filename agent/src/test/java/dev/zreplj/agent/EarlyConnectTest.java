package dev.zreplj.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.zreplj.config.Connect;
import dev.zreplj.protocol.StreamCompression;
import dev.zreplj.ssh.SshTransport;
import dev.zreplj.ssh.TransportException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EarlyConnectTest {
    @TempDir
    Path dir;

    private Connect connect() {
        return new Connect(
                "127.0.0.1",
                "root",
                1,
                dir.resolve("no-such-key"),
                List.of(),
                Duration.ofSeconds(2),
                dir.resolve("known_hosts"),
                Connect.HostKeyPolicy.STRICT,
                1);
    }

    /** The pass sees the same one-line failure as from connecting directly, not a wrapper. */
    @Test
    void aFailedConnectIsTheSameFailureAsADirectOne() {
        String direct = assertThrows(TransportException.class, () -> SshTransport.connect(connect()))
                .getMessage();
        EarlyConnect early =
                EarlyConnect.start(connect(), "job", Duration.ofSeconds(2), StreamCompression.OFF, List.of());
        TransportException e = assertThrows(TransportException.class, early::take);
        assertEquals(direct, e.getMessage());
        assertEquals(
                "ssh: identity file " + dir.resolve("no-such-key") + " does not exist; create it with "
                        + "ssh-keygen -t ed25519 -N '' -f " + dir.resolve("no-such-key"),
                e.getMessage());
        early.closeUnused();
    }
}
