package dev.zreplj.ssh;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.util.List;
import org.junit.jupiter.api.Test;

class StartFailureTest {
    /**
     * A box whose state directory was read-only said why, then logged that its log could not be written either;
     * the agent quoted that last line only ("failed to start (exit 1): 00:10:32.878 WARN  cannot write the box
     * log ..."), and the cause was lost.
     */
    @Test
    void quotesTheBoxsOwnErrorLineRatherThanAWarningLoggedAfterIt() {
        IOException e = StartFailure.explain(
                "root@box:22",
                true,
                1,
                List.of(
                        "zreplj stdinserver: client 'laptop': /var/lib/zreplj/client-channels/laptop/0.lock: Read-only"
                                + " file system",
                        "00:10:40.467 WARN  cannot write the box log /var/lib/zreplj/log/stdinserver.log: Read-only"
                                + " file system"),
                new IOException("closed"));
        assertEquals(
                "ssh: the forced command on root@box:22 failed to start (exit 1): zreplj stdinserver: client 'laptop':"
                        + " /var/lib/zreplj/client-channels/laptop/0.lock: Read-only file system; see the box's log for"
                        + " more",
                e.getMessage());
        IOException other =
                StartFailure.explain("root@box:22", true, 1, List.of("something", "Killed"), new IOException("closed"));
        assertEquals(
                "ssh: the forced command on root@box:22 failed to start (exit 1): Killed; see the box's log for more",
                other.getMessage());
    }
}
