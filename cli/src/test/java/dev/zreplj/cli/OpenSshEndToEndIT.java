package dev.zreplj.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.zreplj.zfs.DatasetName;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The push suite with {@code connect.ssh_client: openssh}: the same zfs-fuse pools, sshd and launcher as
 * {@link EndToEndIT}, the session carried by OpenSSH's {@code ssh} as a ControlMaster.
 */
@Tag("system")
class OpenSshEndToEndIT extends PushSuite {
    @Override
    EndToEnd open(Path dir, String filesystemsYaml, String jobTail) throws IOException {
        EndToEnd e = new EndToEnd(dir, filesystemsYaml, jobTail, "");
        try {
            e.replaceInAgentConfig("      known_hosts: ", "      ssh_client: openssh\n      known_hosts: ");
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
    void aKilledAgentLeavesNoSshProcessBehind() throws Exception {
        try (EndToEnd e = open(tmp, HOME_FILTER, EndToEnd.DEFAULT_JOB_TAIL)) {
            DatasetName home = e.createFilesystem(e.src().child("home"));
            for (int i = 0; i < 6; i++) {
                e.writeRandomFile(home, "big" + i + ".bin", 8 << 20);
            }
            String target = e.jail().child(home.value()).value();
            String port = "Port=" + e.sshd.port();
            e.killAgentWhileReceiving(target, "agent", "once", "--snapshot");
            long deadline = System.nanoTime() + 20_000_000_000L;
            List<String> left = sshProcesses(port);
            while (!left.isEmpty() && System.nanoTime() < deadline) {
                Thread.sleep(100);
                left = sshProcesses(port);
            }
            assertEquals(List.of(), left, "ssh processes of the killed agent");

            EndToEnd.Run next = e.agent("agent", "once");
            assertEquals(0, next.exit(), next::toString);
            String source = e.snapshotsWithGuids(home);
            assertEquals(1, source.lines().count(), source);
            assertEquals(expectedOnBox(e, source), e.snapshotsWithGuids(e.jail()));
            assertTrue(sshProcesses(port).isEmpty(), "a pass that ended leaves no ssh running");
        }
    }

    /** Command lines of the processes running ssh against this test's sshd (its port is in their options). */
    private static List<String> sshProcesses(String portOption) throws IOException {
        List<String> found = new ArrayList<>();
        try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
            for (Path p : procs.filter(x -> x.getFileName().toString().matches("\\d+"))
                    .toList()) {
                String cmdline;
                try {
                    cmdline = new String(Files.readAllBytes(p.resolve("cmdline")), StandardCharsets.UTF_8)
                            .replace('\0', ' ');
                } catch (IOException gone) {
                    continue;
                }
                if (cmdline.contains(portOption) && cmdline.contains("ControlPath=")) found.add(p + ": " + cmdline);
            }
        }
        return found;
    }
}
