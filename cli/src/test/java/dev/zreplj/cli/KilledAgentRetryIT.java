package dev.zreplj.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.zreplj.zfs.DatasetName;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The agent SIGKILLed mid-stream (its kernel closes the TCP connection): the box's sshd sees the end at once, and
 * the stdinserver that held the dataset's lock ends with it, so an {@code agent once} run at once is not refused
 * with "another receive into ... is running".
 */
@Tag("system")
class KilledAgentRetryIT {
    @TempDir
    Path tmp;

    @Test
    void aPassRightAfterAKilledAgentIsNotLockedOut() throws Exception {
        try (EndToEnd e = new EndToEnd(tmp, PushSuite.HOME_FILTER)) {
            DatasetName home = e.createFilesystem(e.src().child("home"));
            e.writeRandomFile(home, "base.bin", 1 << 20);
            EndToEnd.Run base = e.agent("agent", "once", "--snapshot");
            assertEquals(0, base.exit(), base::toString);
            e.writeRandomFile(home, "big.bin", 40 << 20);
            e.zfs("snapshot", home.value() + "@s1");
            String target = e.jail().child(home.value()).value();
            Process agent = e.startAgent("agent", "once");
            e.stopReceiver(target, agent);
            List<ProcessHandle> rest = agent.descendants().toList();
            agent.destroyForcibly();
            rest.forEach(ProcessHandle::destroyForcibly);
            assertTrue(agent.waitFor(30, TimeUnit.SECONDS));
            e.continueStopped();

            long started = System.nanoTime();
            EndToEnd.Run next = e.agent("agent", "once");
            long seconds = (System.nanoTime() - started) / 1_000_000_000L;
            assertEquals(0, next.exit(), next::toString);
            assertTrue(seconds < 60, "took " + seconds + " s: " + next);
        }
    }
}
