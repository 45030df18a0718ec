package dev.zreplj.cli;

import static dev.zreplj.cli.EndToEnd.assertContains;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.zreplj.protocol.ReceiveCommand;
import dev.zreplj.protocol.RemoteException;
import dev.zreplj.protocol.SinkClient;
import dev.zreplj.ssh.SshChannel;
import dev.zreplj.ssh.SshTransport;
import dev.zreplj.ssh.testing.TestSshd;
import dev.zreplj.zfs.DatasetName;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Push replication end to end: real zfs-fuse pools, a real OpenSSH sshd, the built launcher. */
@Tag("system")
class EndToEndIT {
    private static final String HOME_FILTER = "\"SRC/home<\": true\n\"SRC/home/cache\": false";

    @TempDir
    Path tmp;

    /** The source listing as it must look on the box: every name moved into the client's jail. */
    private static String expectedOnBox(EndToEnd e, String sourceListing) {
        return sourceListing.lines()
                .map(l -> e.jail.value() + "/" + l)
                .collect(Collectors.joining("\n", "", sourceListing.isEmpty() ? "" : "\n"));
    }

    @Test
    void replicatesSelectedFilesystemsThenOnlyTheIncrementThenNothing() throws Exception {
        try (EndToEnd e = new EndToEnd(tmp, HOME_FILTER)) {
            DatasetName home = e.pools.createFilesystem(e.src.child("home"));
            DatasetName docs = e.pools.createFilesystem(home.child("docs"));
            DatasetName cache = e.pools.createFilesystem(home.child("cache"));
            DatasetName other = e.pools.createFilesystem(e.src.child("other"));
            e.pools.writeRandomFile(home, "photo.bin", 3 << 20);
            e.pools.writeRandomFile(docs, "note.bin", 1 << 20);

            EndToEnd.Run first = e.agent("agent", "once", "--snapshot");
            assertEquals(0, first.exit(), first::toString);
            assertContains(first.stdout(), "took snapshot @zrepl_", first);

            String source = e.snapshotsWithGuids(home);
            assertEquals(2, source.lines().count(), "one snapshot on home and one on docs:\n" + source);
            assertEquals(1, source.lines().map(l -> l.substring(l.indexOf('@'), l.indexOf('\t'))).distinct().count(),
                    "both snapshots carry the same name:\n" + source);
            assertEquals(List.of(), e.pools.snapshotNames(cache), "a filtered filesystem is not snapshotted");
            assertEquals(List.of(), e.pools.snapshotNames(other), "a filtered filesystem is not snapshotted");
            assertEquals(expectedOnBox(e, source), e.snapshotsWithGuids(e.jail), "same snapshots, same guids");
            assertEquals(List.of(e.jail.value(), e.jail.child(e.src.value()).value(),
                    e.jail.child(home.value()).value(), e.jail.child(docs.value()).value()), e.datasets(e.jail),
                    "children replicated, filtered ones not");
            assertEquals("no", e.pools.get(e.jail.child(home.value()).value(), "mounted"), "never mounted on the box");
            assertEquals("on", e.pools.get(e.jail.child(e.src.value()).value(), "zrepl:placeholder"));

            e.pools.writeRandomFile(docs, "more.bin", 256 << 10);
            EndToEnd.Run second = e.agent("agent", "once", "--snapshot");
            assertEquals(0, second.exit(), second::toString);
            assertContains(second.stdout(), home.value() + ": replicated 1 step,", second);
            assertContains(second.stdout(), docs.value() + ": replicated 1 step,", second);
            String sourceAfter = e.snapshotsWithGuids(home);
            assertEquals(4, sourceAfter.lines().count(), sourceAfter);
            assertEquals(expectedOnBox(e, sourceAfter), e.snapshotsWithGuids(e.jail));

            EndToEnd.Run third = e.agent("agent", "once");
            assertEquals(0, third.exit(), third::toString);
            assertFalse(third.stdout().contains("took snapshot"), "the interval has not passed: " + third);
            assertContains(third.stdout(), home.value() + ": up to date", third);
            assertEquals(sourceAfter, e.snapshotsWithGuids(home));
            assertEquals(expectedOnBox(e, sourceAfter), e.snapshotsWithGuids(e.jail));
        }
    }

    @Test
    void snapshotsAWholeSubtreeAtomicallyAndOnlyWhenDue() throws Exception {
        try (EndToEnd e = new EndToEnd(tmp, "\"SRC/home<\": true")) {
            DatasetName home = e.pools.createFilesystem(e.src.child("home"));
            DatasetName docs = e.pools.createFilesystem(home.child("docs"));
            DatasetName cache = e.pools.createFilesystem(home.child("cache"));

            EndToEnd.Run first = e.agent("agent", "once", "--snapshot");
            assertEquals(0, first.exit(), first::toString);
            List<String> taken = e.pools.snapshotNames(home);
            assertEquals(1, taken.size(), taken::toString);
            String name = "@" + taken.get(0);
            // One atomic call puts every snapshot into the same transaction group.
            String txg = e.pools.getParsable(home.value() + name, "createtxg");
            for (DatasetName fs : List.of(docs, cache)) {
                assertEquals(taken, e.pools.snapshotNames(fs));
                assertEquals(txg, e.pools.getParsable(fs.value() + name, "createtxg"), fs + " snapshotted in the same txg");
            }

            EndToEnd.Run again = e.agent("agent", "once");
            assertEquals(0, again.exit(), again::toString);
            assertFalse(again.stdout().contains("took snapshot"), again::toString);
            assertEquals(taken, e.pools.snapshotNames(home), "no new snapshot before the interval has passed");
        }
    }

    @Test
    void agentRunSnapshotsAndReplicatesOnItsSchedule() throws Exception {
        try (EndToEnd e = new EndToEnd(tmp, HOME_FILTER)) {
            DatasetName home = e.pools.createFilesystem(e.src.child("home"));
            Files.writeString(e.agentConfig, Files.readString(e.agentConfig).replace("interval: 10m", "interval: 3s"));
            Process agent = e.startAgent("agent", "run");
            try {
                long deadline = System.nanoTime() + 150_000_000_000L;
                while (!e.datasets(e.sinkRoot).contains(e.jail.value())
                        || e.snapshotsWithGuids(e.jail).lines().count() < 3) {
                    assertTrue(agent.isAlive(), () -> "agent run ended: " + log(e));
                    assertTrue(System.nanoTime() < deadline, () -> "fewer than 3 snapshots on the box after 150 s: "
                            + e.datasets(e.sinkRoot) + log(e));
                    Thread.sleep(500);
                }
            } finally {
                agent.destroy();
                agent.waitFor();
            }
            String onBox = e.snapshotsWithGuids(e.jail);
            String source = e.snapshotsWithGuids(home);
            // Every snapshot on the box is the sender's, guid for guid.
            for (String line : onBox.lines().toList()) {
                assertTrue(expectedOnBox(e, source).contains(line + "\n"), line + " not on the sender:\n" + source);
            }
        }
    }

    @Test
    void changedHostKeyIsRefusedBeforeAnythingIsSent() throws Exception {
        try (EndToEnd e = new EndToEnd(tmp, HOME_FILTER)) {
            e.pools.createFilesystem(e.src.child("home"));
            Path impostor = TestSshd.keygen(tmp.resolve("impostor"), TestSshd.KeyType.ED25519, "impostor");
            Files.writeString(e.sshd.knownHosts(), "[127.0.0.1]:" + e.sshd.port() + " "
                    + Files.readString(Path.of(impostor + ".pub")).strip() + "\n");

            EndToEnd.Run run = e.agent("agent", "once", "--snapshot");
            assertEquals(1, run.exit(), run::toString);
            assertTrue(run.stdout().toLowerCase().contains("host key") || run.stderr().toLowerCase().contains("host key"), run::toString);
            assertEquals(List.of(e.sinkRoot.value()), e.datasets(e.sinkRoot), "the forced command never ran");
        }
    }

    @Test
    void stdinserverRefusesUnknownAndPathLikeClientsAndGarbage() throws Exception {
        try (EndToEnd e = new EndToEnd(tmp, HOME_FILTER)) {
            List<String> before = e.datasets(e.dst);
            String config = e.sinkConfig.toString();

            EndToEnd.Run stranger = e.zreplj(List.of("--config", config, "stdinserver", "stranger"), new byte[0]);
            assertEquals(1, stranger.exit(), stranger::toString);
            assertContains(stranger.stderr(), "stranger", stranger);

            for (String bad : List.of("../laptop", "laptop/x", "-x", "a@b", "")) {
                EndToEnd.Run run = e.zreplj(List.of("--config", config, "stdinserver", bad), new byte[0]);
                assertEquals(2, run.exit(), "client id '" + bad + "': " + run);
                assertEquals(1, run.stderr().strip().lines().count(), "one line: " + run);
            }

            byte[] garbage = "Welcome to the box!\n\u0000\u0001garbage".getBytes(StandardCharsets.UTF_8);
            EndToEnd.Run noise = e.zreplj(List.of("--config", config, "stdinserver", EndToEnd.CLIENT), garbage);
            assertNotEquals(0, noise.exit(), noise::toString);
            assertFalse(noise.stderr().contains("\tat "), "no stack trace: " + noise);
            assertFalse(noise.stderr().isBlank(), "says why: " + noise);

            assertEquals(before, e.datasets(e.dst), "no change to the box's pool");
            assertEquals("", e.snapshotsWithGuids(e.dst));
        }
    }

    @Test
    void requestsOutsideTheJailAreRefused() throws Exception {
        try (EndToEnd e = new EndToEnd(tmp, HOME_FILTER)) {
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

    @Test
    void agentKilledMidStreamLeavesNothingThatBlocksTheNextRun() throws Exception {
        try (EndToEnd e = new EndToEnd(tmp, HOME_FILTER)) {
            DatasetName home = e.pools.createFilesystem(e.src.child("home"));
            for (int i = 0; i < 6; i++) {
                e.pools.writeRandomFile(home, "big" + i + ".bin", 8 << 20);
            }
            Process agent = e.startAgent("agent", "once", "--snapshot");
            String target = e.jail.child(home.value()).value();
            long deadline = System.nanoTime() + 120_000_000_000L;
            while (!receiving(target)) {
                assertTrue(agent.isAlive(), () -> "agent ended before the stream started: " + log(e));
                assertTrue(System.nanoTime() < deadline, "no zfs recv into " + target + " within 120 s");
                Thread.sleep(5);
            }
            Thread.sleep(150);
            agent.destroyForcibly().waitFor();
            // Let the box notice the dead connection and clean up its side.
            long settle = System.nanoTime() + 60_000_000_000L;
            while (receiving(target) && System.nanoTime() < settle) {
                Thread.sleep(50);
            }
            assertFalse(receiving(target), "zfs recv still running 60 s after the agent died");

            EndToEnd.Run next = e.agent("agent", "once");
            assertEquals(0, next.exit(), next::toString);
            String source = e.snapshotsWithGuids(home);
            assertEquals(1, source.lines().count(), source);
            assertEquals(expectedOnBox(e, source), e.snapshotsWithGuids(e.jail));
        }
    }

    private static boolean receiving(String target) {
        return ProcessHandle.allProcesses().anyMatch(p -> p.info().commandLine()
                .map(c -> (c.contains(" recv ") || c.contains(" receive ")) && c.contains(target)).orElse(false));
    }

    private static String log(EndToEnd e) {
        try {
            return Files.readString(e.dir.resolve("killed-agent.log"));
        } catch (IOException ex) {
            return "(no log)";
        }
    }
}
