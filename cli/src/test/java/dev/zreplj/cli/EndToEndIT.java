package dev.zreplj.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.zreplj.protocol.ReceiveCommand;
import dev.zreplj.protocol.RemoteException;
import dev.zreplj.protocol.SinkClient;
import dev.zreplj.replication.Failure;
import dev.zreplj.ssh.SshChannel;
import dev.zreplj.ssh.SshTransport;
import dev.zreplj.zfs.DatasetName;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
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

    @Override
    EndToEnd open(Path dir, String filesystemsYaml, String jobTail) throws IOException {
        return new EndToEnd(dir, filesystemsYaml, jobTail, "");
    }

    @Override
    int stallTimeoutSeconds() {
        return 20;
    }

    @Test
    void compressibleStreamGoesZstdCompressedAndArrivesWithTheSameGuids() throws Exception {
        try (EndToEnd e = open(tmp, "\"SRC/text\": true")) {
            DatasetName text = e.createFilesystem(e.src().child("text"));
            StringBuilder sb = new StringBuilder();
            for (int i = 0; sb.length() < 6 << 20; i++) {
                sb.append("line ").append(i).append(": the agent pushes this snapshot to the backup box\n");
            }
            Files.writeString(Path.of(e.get(text.value(), "mountpoint")).resolve("log.txt"), sb);

            EndToEnd.Run run = e.agent("-v", "agent", "once", "--snapshot");
            assertEquals(0, run.exit(), run::toString);
            String source = e.snapshotsWithGuids(text);
            assertEquals(1, source.lines().count(), source);
            assertEquals(expectedOnBox(e, source), e.snapshotsWithGuids(e.jail()), "same snapshot, same guid");
            java.util.regex.Matcher m = java.util.regex.Pattern.compile("(\\d+) stream bytes went as (\\d+)")
                    .matcher(run.stderr());
            assertTrue(m.find(), run::toString);
            long raw = Long.parseLong(m.group(1));
            long wire = Long.parseLong(m.group(2));
            assertTrue(raw > 6 << 20 && wire * 4 < raw, m.group());
        }
    }

    @Test
    void requestsOutsideTheJailAreRefused() throws Exception {
        try (EndToEnd e = open(tmp, HOME_FILTER)) {
            List<String> before = e.datasets(e.dst);
            try (SshTransport ssh = SshTransport.connect(e.sshd.connect());
                    SshChannel channel = ssh.openChannel("zreplj stdinserver")) {
                SinkClient client = new SinkClient(channel.stdout(), channel.stdin());
                client.handshake();
                for (String path : List.of(
                        "../other/x", "/" + e.dst.value(), e.src.value() + "/../../other", "a@b", "-x", "a//b")) {
                    RemoteException refused = assertThrows(
                            RemoteException.class,
                            () -> client.receive(
                                    new ReceiveCommand(path, "s1", 1L, null, false, false),
                                    new ByteArrayInputStream(new byte[4096])),
                            path);
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
                assertEquals(
                        txg, e.pools.getParsable(fs.value() + name, "createtxg"), fs + " snapshotted in the same txg");
            }

            EndToEnd.Run again = e.agent("agent", "once");
            assertEquals(0, again.exit(), again::toString);
            assertFalse(again.stdout().contains("took snapshot"), again::toString);
            assertEquals(taken, e.pools.snapshotNames(home), "no new snapshot before the interval has passed");
        }
    }

    @Test
    void underCronOrSystemdASuccessfulPassPrintsNothingAndAFailedOneItsSummary() throws Exception {
        try (EndToEnd e = new EndToEnd(tmp, HOME_FILTER)) {
            DatasetName home = e.pools.createFilesystem(e.src.child("home"));
            List<String> cron = List.of("--config", e.agentConfig.toString(), "agent", "once", "--snapshot");
            // Not on a terminal (as under cron): nothing at all when the pass went well.
            EndToEnd.Run quiet = e.zreplj(cron, null);
            assertEquals(new EndToEnd.Run(0, "", ""), quiet);
            assertEquals(
                    e.pools.snapshotNames(home),
                    e.snapshotNames(e.jail().child(home.value())),
                    "the silent pass did replicate");

            // A failure is printed, under --quiet too: the box is gone.
            try (ServerSocket closed = new ServerSocket(0)) {
                Files.writeString(
                        e.agentConfig,
                        Files.readString(e.agentConfig)
                                .replace("port: " + e.sshd.port(), "port: " + closed.getLocalPort()));
            }
            List<String> quietFlag = new ArrayList<>(List.of("--quiet"));
            quietFlag.addAll(cron);
            EndToEnd.Run failed = e.zreplj(quietFlag, null);
            assertEquals(1, failed.exit(), failed::toString);
            // The reason once, on the job's line (docs/troubleshooting.md); the prune line points to it.
            assertTrue(
                    failed.stdout()
                            .startsWith("job laptop_to_box: failed: connect: no session with the backup box: ssh: "),
                    failed::toString);
            EndToEnd.assertContains(
                    failed.stdout(),
                    "  prune receiver: skipped: no session with the backup box (see the connect failure)\n",
                    failed);
            assertEquals(
                    1,
                    failed.stdout().split("no session with the backup box: ", -1).length - 1,
                    () -> "the transport's reason once: " + failed);
            assertFalse(failed.stderr().contains(" INFO "), "--quiet logs warnings and errors only: " + failed);
            assertFalse(
                    (failed.stdout() + failed.stderr()).matches("(?s).*[\r\u001b].*"),
                    "no progress line (carriage returns, escape sequences) off a terminal: " + failed);

            // --quiet with --verbose is a usage error naming both.
            List<String> both = new ArrayList<>(List.of("-q", "-v"));
            both.addAll(cron);
            EndToEnd.Run usage = e.zreplj(both, null);
            assertEquals(2, usage.exit(), usage::toString);
            EndToEnd.assertContains(usage.stderr(), "--quiet cannot be combined with --verbose", usage);
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
                    assertTrue(agent.isAlive(), () -> "agent run ended: " + e.killedAgentLog());
                    assertTrue(
                            System.nanoTime() < deadline,
                            () -> "fewer than 3 snapshots on the box after 150 s: " + e.datasets(e.sinkRoot)
                                    + e.killedAgentLog());
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

    /**
     * The laptop's pool is full, so this pass's snapshot fails; the pass still replicates the snapshot
     * that exists, prunes both sides (the sender's pruning is what frees space), names the snapshot
     * failure in its summary, exits 1, and status says so.
     */
    @Test
    void aFullSourcePoolFailsTheSnapshotButStillReplicatesAndPrunes() throws Exception {
        try (EndToEnd e = open(tmp, HOME_FILTER)) {
            DatasetName home = e.createFilesystem(e.src.child("home"));
            e.writeRandomFile(home, "a.bin", 1 << 20);
            e.pools.snapshot(home, "zrepl_a");
            // not_replicated keeps the snapshots created in the cursor's second: let zrepl_a be older.
            Thread.sleep(1100);
            e.pools.snapshot(home, "zrepl_b");
            EndToEnd.Run first = e.agent("agent", "once");
            assertEquals(0, first.exit(), first::toString);
            String target = e.jail.child(home.value()).value();
            assertEquals(List.of("zrepl_b"), e.pools.snapshotNames(DatasetName.of(target)), first::toString);

            e.pools.snapshot(home, "zrepl_c");
            e.pools.snapshot(home, "zrepl_d");
            fill(e, home);
            e.replaceInAgentConfig("count: 100", "count: 1");
            EndToEnd.Run full = e.agent("agent", "once", "--snapshot");

            assertEquals(1, full.exit(), full::toString);
            assertTrue(
                    full.stdout()
                            .lines()
                            .anyMatch(l -> l.startsWith("  failed: snapshot: taking @zrepl_")
                                    && l.contains(" of 1 filesystem failed: ")
                                    && l.endsWith("out of space")),
                    full::toString);
            // Both snapshots went to the box as one -I stream, and the full pool refused to move the cursor
            // after it; the box keeps its newest, the sender what its cursor (still at zrepl_b) guards.
            assertEquals(List.of("zrepl_d"), e.pools.snapshotNames(DatasetName.of(target)), full::toString);
            assertEquals(e.pools.guid(home.value() + "@zrepl_d"), e.pools.guid(target + "@zrepl_d"));
            assertEquals(List.of("zrepl_b", "zrepl_c", "zrepl_d"), e.pools.snapshotNames(home), full::toString);
            EndToEnd.assertContains(
                    full.stdout(),
                    home.value() + ": failed after 2 steps: step @zrepl_b => @zrepl_d (2"
                            + " snapshots in one stream) was received, but moving the replication cursor failed: ",
                    full);
            EndToEnd.assertContains(full.stdout(), "prune sender " + home.value() + ": destroyed @zrepl_a", full);
            EndToEnd.assertContains(
                    full.stdout(), "prune receiver " + home.value() + ": destroyed @zrepl_b @zrepl_c", full);

            EndToEnd.Run status = e.agent("status");
            assertNotEquals(0, status.exit(), status::toString);
            EndToEnd.assertContains(status.stdout(), "last pass failed: snapshot: taking @zrepl_", status);
        }
    }

    /**
     * The client's jail on the box at its quota (docs/box.md tells the admin to set one): the receive fails for
     * lack of space with one line that says so and what to do, is not retried under replication.attempts, and
     * the box is still pruned by keep_receiver; that frees the jail, so the next pass sends with the quota as it
     * was, and nothing partial is left on the box.
     */
    @Test
    void aJailAtItsQuotaFailsThePassSaysWhatToDoAndPruningFreesItForTheNextPass() throws Exception {
        String tail = String.join(
                        "\n",
                        "    replication:",
                        "      attempts: 3",
                        "      retry_backoff: 5s",
                        "    conflict_resolution:",
                        "      initial_replication: all",
                        "")
                + EndToEnd.DEFAULT_JOB_TAIL;
        try (EndToEnd e = open(tmp, HOME_FILTER, tail)) {
            DatasetName home = e.createFilesystem(e.src().child("home"));
            for (String name : List.of("zrepl_a", "zrepl_b", "zrepl_c")) {
                e.writeRandomFile(home, "a.bin", 2 << 20);
                e.pools.snapshot(home, name);
            }
            EndToEnd.Run first = e.agent("agent", "once");
            assertEquals(0, first.exit(), first::toString);
            DatasetName target = e.jail().child(home.value());
            assertEquals(List.of("zrepl_a", "zrepl_b", "zrepl_c"), e.snapshotNames(target));
            long used = Long.parseLong(e.pools.getParsable(e.jail().value(), "used"));
            e.zfs("set", "quota=" + (used + (1 << 20)), e.jail().value());
            e.writeRandomFile(home, "a.bin", 3 << 20);
            e.replaceInAgentConfig(
                    "      keep_receiver:\n        - type: last_n\n          count: 100",
                    "      keep_receiver:\n        - type: last_n\n          count: 1");

            EndToEnd.Run full = e.agent("agent", "once", "--snapshot");
            assertEquals(1, full.exit(), full::toString);
            String taken = full.stdout().lines().findFirst().orElseThrow().replaceAll(".*took snapshot @", "");
            EndToEnd.assertContains(
                    full.stdout(),
                    "  " + home + ": failed after 0 steps: step @zrepl_c -> @" + taken + ": "
                            + Failure.noSpace("'" + e.pools.zfsBinary() + " recv " + target
                                    + "' failed (exit 1): cannot receive incremental stream: out of space")
                            + "\n",
                    full);
            assertFalse(full.stderr().contains("passing reason"), () -> "not retried: " + full);
            EndToEnd.assertContains(full.stdout(), "prune receiver " + home + ": destroyed @zrepl_a @zrepl_b", full);
            assertEquals(List.of("zrepl_c"), e.snapshotNames(target));
            EndToEnd.Run status = e.agent("status");
            assertNotEquals(0, status.exit(), status::toString);
            EndToEnd.assertContains(status.stdout(), Failure.NO_SPACE_ADVICE, status);
            EndToEnd.assertContains(
                    Files.readString(e.dir.resolve("box-state/log/stdinserver.log")),
                    "zfs recv into " + target + " failed: ",
                    full);
            // The box's own status: the last backup is fresh, but only the box's admin can make room for the next.
            EndToEnd.Run boxStatus = e.zreplj(List.of("--config", e.sinkConfig.toString(), "status"), null);
            EndToEnd.assertContains(boxStatus.stdout(), "client laptop: WARNING, 1 filesystem\n", boxStatus);
            EndToEnd.assertContains(boxStatus.stdout(), home + ": WARNING, @zrepl_c received ", boxStatus);
            EndToEnd.assertContains(boxStatus.stdout(), "-- last receive failed: ", boxStatus);
            EndToEnd.assertContains(
                    boxStatus.stdout(),
                    ", the box has no space for it: '" + e.pools.zfsBinary() + " recv " + target
                            + "' failed (exit 1): cannot receive incremental stream: out of space; the client's jail"
                            + " is at its quota or the box's pool is full: raise the jail's quota or free space in the"
                            + " pool (docs/box.md)",
                    boxStatus);

            EndToEnd.Run next = e.agent("agent", "once");
            assertEquals(0, next.exit(), next::toString);
            EndToEnd.Run boxOk = e.zreplj(List.of("--config", e.sinkConfig.toString(), "status"), null);
            EndToEnd.assertContains(boxOk.stdout(), "client laptop: OK, 1 filesystem\n", boxOk);
            assertEquals(
                    expectedOnBox(e, e.snapshotsWithGuids(home))
                            .lines()
                            .filter(l -> l.contains("@" + taken))
                            .toList(),
                    e.snapshotsWithGuids(e.jail()).lines().toList());
            assertEquals(
                    List.of(
                            e.jail().value(),
                            e.jail().child(e.src().value()).value(),
                            target.value(),
                            target + "@" + taken),
                    e.zfs(
                                    "list",
                                    "-H",
                                    "-r",
                                    "-t",
                                    "all",
                                    "-o",
                                    "name",
                                    e.jail().value())
                            .lines()
                            .toList(),
                    "no partial receive, clone or placeholder left");
        }
    }

    /** Writes into {@code fs} until its pool has no space left, and waits until zfs says so. */
    private static void fill(EndToEnd e, DatasetName fs) throws Exception {
        Path file = Path.of(e.get(fs.value(), "mountpoint")).resolve("fill.bin");
        byte[] chunk = new byte[1 << 20];
        new java.util.Random(1).nextBytes(chunk);
        try (var out = Files.newOutputStream(file)) {
            for (int i = 0; i < 1024; i++) {
                out.write(chunk);
            }
        } catch (IOException noSpace) {
            // ENOSPC: the pool is full, which is the point
        }
        long deadline = System.nanoTime() + 60_000_000_000L;
        while (!e.pools.getParsable(fs.value(), "available").equals("0")) {
            assertTrue(
                    System.nanoTime() < deadline,
                    "the pool did not fill: available " + e.pools.getParsable(fs.value(), "available"));
            Thread.sleep(500);
        }
    }

    /** ZFS and zrepl allow spaces in dataset and snapshot names; so does zreplj, on both sides. */
    @Test
    void namesWithSpacesReplicateWithTheirGuids() throws Exception {
        try (EndToEnd e = new EndToEnd(tmp, "\"SRC/my home<\": true", EndToEnd.DEFAULT_JOB_TAIL, "")) {
            Files.writeString(
                    e.agentConfig, Files.readString(e.agentConfig).replace("prefix: zrepl_", "prefix: \"auto snap_\""));
            DatasetName home = e.pools.createFilesystem(e.src.child("my home"));
            DatasetName docs = e.pools.createFilesystem(home.child("my docs"));
            e.pools.writeRandomFile(docs, "a.bin", 256 << 10);
            EndToEnd.Run run = e.agent("agent", "once", "--snapshot");
            assertEquals(0, run.exit(), run::toString);
            String source = e.snapshotsWithGuids(home);
            assertEquals(2, source.lines().count(), source);
            assertTrue(source.contains("/my home/my docs@auto snap_"), source);
            assertEquals(expectedOnBox(e, source), e.snapshotsWithGuids(e.jail), "same snapshots, same guids");
            EndToEnd.Run again = e.agent("agent", "once", "--snapshot");
            assertEquals(0, again.exit(), again::toString);
            assertEquals(
                    expectedOnBox(e, e.snapshotsWithGuids(home)),
                    e.snapshotsWithGuids(e.jail),
                    "the increment arrives too");
        }
    }

    /** zfs-fuse has no zfs send -c/-L/-e/-b: one clear line each. */
    @Test
    void sendFlagsThisZfsCannotHonourFailThePassBeforeAnySend() throws Exception {
        for (String send : List.of("compressed: true", "backup_properties: true")) {
            Path dir = Files.createDirectories(tmp.resolve(send.substring(0, send.indexOf(':'))));
            try (EndToEnd e =
                    new EndToEnd(dir, HOME_FILTER, "    send:\n      " + send + "\n" + EndToEnd.DEFAULT_JOB_TAIL, "")) {
                DatasetName home = e.pools.createFilesystem(e.src.child("home"));
                EndToEnd.Run run = e.agent("agent", "once", "--snapshot");
                assertEquals(1, run.exit(), run::toString);
                String key = send.substring(0, send.indexOf(':'));
                String flag = key.equals("compressed") ? "-c" : "-b";
                EndToEnd.assertContains(
                        run.stdout() + run.stderr(),
                        "send." + key + " (zfs send " + flag + ") is set"
                                + " but this zfs (zfs-fuse) cannot do it; remove it from the job's send section",
                        run);
                assertEquals(1, e.pools.snapshotNames(home).size(), "the snapshot is taken before replication");
                assertEquals("", e.snapshotsWithGuids(e.jail), "nothing was sent");
            }
        }
    }

    /**
     * zfs-fuse has no native encryption (docs/config.md): every filesystem is unencrypted, so send.raw sends it
     * as a plain stream and send.encrypted refuses it on its own line; neither fails the job as a whole.
     */
    @Test
    void sendRawAndEncryptedOnAZfsWithoutEncryptionDecidePerFilesystem() throws Exception {
        Path raw = Files.createDirectories(tmp.resolve("raw"));
        try (EndToEnd e =
                new EndToEnd(raw, HOME_FILTER, "    send:\n      raw: true\n" + EndToEnd.DEFAULT_JOB_TAIL, "")) {
            DatasetName home = e.pools.createFilesystem(e.src.child("home"));
            e.pools.writeRandomFile(home, "one.bin", 1 << 20);
            EndToEnd.Run run = e.agent("agent", "once", "--snapshot");
            assertEquals(0, run.exit(), run::toString);
            String source = e.snapshotsWithGuids(home);
            assertEquals(1, source.lines().count(), source);
            assertEquals(expectedOnBox(e, source), e.snapshotsWithGuids(e.jail), "same snapshot, same guid");
        }
        Path encrypted = Files.createDirectories(tmp.resolve("encrypted"));
        try (EndToEnd e = new EndToEnd(
                encrypted, HOME_FILTER, "    send:\n      encrypted: true\n" + EndToEnd.DEFAULT_JOB_TAIL, "")) {
            DatasetName home = e.pools.createFilesystem(e.src.child("home"));
            EndToEnd.Run run = e.agent("agent", "once", "--snapshot");
            assertEquals(1, run.exit(), run::toString);
            EndToEnd.assertContains(
                    run.stdout(),
                    home + ": failed after 0 steps: not sent: send.encrypted is true but this filesystem is not"
                            + " encrypted",
                    run);
            assertFalse(run.stdout().contains("planning the replication failed"), run::toString);
            assertEquals("", e.snapshotsWithGuids(e.jail), "nothing was sent");
        }
    }

    /**
     * send_properties on zfs-fuse, whose zfs recv has no -x: the box reads the properties the stream sets and
     * takes it (full, then incremental) when none of them mounts anything; the properties arrive as received
     * ones. A source with a local mountpoint is refused, naming it, and nothing of it arrives.
     */
    @Test
    void sendPropertiesArriveAsReceivedPropertiesAndAMountpointIsRefusedWithoutRecvX() throws Exception {
        try (EndToEnd e = new EndToEnd(
                tmp,
                "\"SRC/home<\": true",
                "    send:\n      send_properties: true\n" + EndToEnd.DEFAULT_JOB_TAIL,
                "")) {
            DatasetName home = e.pools.createFilesystem(e.src.child("home"), "org.zreplj:label=src", "compression=on");
            EndToEnd.Run run = e.agent("agent", "once", "--snapshot");
            assertEquals(0, run.exit(), run::toString);
            String copy = e.jail.child(home.value()).value();
            assertEquals(
                    expectedOnBox(e, e.snapshotsWithGuids(home)),
                    e.snapshotsWithGuids(e.jail),
                    "same snapshots, same guids");
            assertEquals(
                    "src\treceived",
                    e.pools
                            .zfs("get", "-H", "-o", "value,source", "org.zreplj:label", copy)
                            .strip());
            assertEquals(
                    "on\treceived",
                    e.pools
                            .zfs("get", "-H", "-o", "value,source", "compression", copy)
                            .strip());
            assertEquals("none", e.pools.get(copy, "mountpoint"), "inherited from the jail");
            assertEquals("no", e.pools.get(copy, "mounted"));

            e.pools.zfs("set", "org.zreplj:label=changed", home.value());
            EndToEnd.Run again = e.agent("agent", "once", "--snapshot");
            assertEquals(0, again.exit(), again::toString);
            assertEquals(
                    expectedOnBox(e, e.snapshotsWithGuids(home)),
                    e.snapshotsWithGuids(e.jail),
                    "the increment arrives too");
            assertEquals("changed", e.pools.get(copy, "org.zreplj:label"));

            DatasetName mounted =
                    e.pools.createFilesystem(home.child("mounted"), "mountpoint=" + tmp.resolve("client-mnt"));
            EndToEnd.Run refused = e.agent("agent", "once", "--snapshot");
            assertEquals(1, refused.exit(), refused::toString);
            EndToEnd.assertContains(
                    refused.stdout() + refused.stderr(),
                    "the stream carries properties (zfs send"
                            + " -p/-b), but it sets mountpoint, and this box's zfs cannot exclude them on receive (no 'zfs"
                            + " recv -x'); inherit it on the source or send without send_properties/backup_properties",
                    refused);
            assertFalse(
                    e.datasets(e.jail).contains(e.jail.child(mounted.value()).value()), "nothing of it arrived");
            assertEquals(
                    expectedOnBox(
                            e,
                            e.snapshotsWithGuids(home)
                                    .lines()
                                    .filter(l -> !l.contains("/mounted@"))
                                    .reduce("", (a, b) -> a + b + "\n")),
                    e.snapshotsWithGuids(e.jail),
                    "the others still replicate");
        }
    }

    /**
     * zfs clears a dataset's local properties the first time a stream with properties is received into it (the
     * received ones take over): send_properties turned on for a filesystem already on the box, or a hostile client's
     * {@code zfs send -p -i}, took with them the box's own records on the copy, its placeholder flag (the copy then
     * inherited "on" from the jail) and the other push jobs' last-received records, whose holds zfs-fuse cannot
     * list: held for ever, every prune of them refused. The box puts its records back after such a receive.
     */
    @Test
    void aFirstPropertyStreamIntoACopyLeavesTheBoxsOwnRecordsOnIt() throws Exception {
        try (EndToEnd e = new EndToEnd(
                tmp,
                "\"SRC/home<\": true",
                "    send:\n      send_properties: false\n" + EndToEnd.DEFAULT_JOB_TAIL,
                "")) {
            DatasetName home = e.pools.createFilesystem(e.src.child("home"), "org.zreplj:label=src");
            EndToEnd.Run run = e.agent("agent", "once", "--snapshot");
            assertEquals(0, run.exit(), run::toString);
            String copy = e.jail.child(home.value()).value();
            String first = e.pools.snapshotNames(home).get(0);
            // Another push job of this client received the same snapshot (a job renamed, a second job): its record.
            e.pools.zfs("set", "zreplj:last_received_j_other=" + first, copy);
            assertEquals("off\tlocal", valueAndSource(e, "zrepl:placeholder", copy));

            e.replaceInAgentConfig("send_properties: false", "send_properties: true");
            EndToEnd.Run properties = e.agent("agent", "once", "--snapshot");
            assertEquals(0, properties.exit(), properties::toString);
            assertEquals(
                    expectedOnBox(e, e.snapshotsWithGuids(home)),
                    e.snapshotsWithGuids(e.jail),
                    "the increment arrived");
            assertEquals("src\treceived", valueAndSource(e, "org.zreplj:label", copy), "the stream's properties too");
            assertEquals("off\tlocal", valueAndSource(e, "zrepl:placeholder", copy), "still a copy, not a placeholder");
            assertEquals(first + "\tlocal", valueAndSource(e, "zreplj:last_received_j_other", copy));
        }
    }

    private static String valueAndSource(EndToEnd e, String property, String dataset) {
        return e.pools.zfs("get", "-H", "-o", "value,source", property, dataset).strip();
    }

    private static Path executable(Path file, String script) throws IOException {
        Files.writeString(file, script);
        Files.setPosixFilePermissions(file, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
        return file;
    }

    /**
     * zrepl's command hooks on a real pass: pre in config order per filesystem, one snapshot, post in reverse;
     * a fatal pre failure keeps its filesystem out of the snapshot; a hook over its timeout is killed; both
     * reported in the summary with the hook's output.
     */
    @Test
    void snapshotHooksRunInOrderWithZreplsEnvironmentAndTheirFailuresAreReported() throws Exception {
        try (EndToEnd e = new EndToEnd(tmp, HOME_FILTER)) {
            DatasetName home = e.pools.createFilesystem(e.src.child("home"));
            DatasetName db = e.pools.createFilesystem(home.child("db"));
            Path log = tmp.resolve("hooks.log");
            Path record = executable(
                    tmp.resolve("record.sh"),
                    "#!/bin/sh\necho \"record $ZREPL_HOOKTYPE $ZREPL_FS"
                            + " $ZREPL_SNAPNAME dryrun=[$ZREPL_DRYRUN] timeout=$ZREPL_TIMEOUT\" >> " + log + "\n");
            Path dbBusy = executable(
                    tmp.resolve("db-busy.sh"),
                    "#!/bin/sh\necho \"dbbusy $ZREPL_HOOKTYPE $ZREPL_FS\" >> " + log
                            + "\necho 'database is busy' >&2\nexit 4\n");
            Path slow = executable(
                    tmp.resolve("slow.sh"),
                    "#!/bin/sh\necho \"slow $ZREPL_HOOKTYPE $ZREPL_FS\" >> " + log
                            + "\necho 'waiting forever'\nsleep 120\n");
            String hooks = String.join(
                    "\n",
                    "      interval: 10m",
                    "      hooks:",
                    "        - type: command",
                    "          path: " + record,
                    "          timeout: 20s",
                    "        - type: command",
                    "          path: " + dbBusy,
                    "          err_is_fatal: true",
                    "          filesystems: {\"" + db + "\": true}",
                    "        - type: command",
                    "          path: " + slow,
                    "          timeout: 2s",
                    "          filesystems: {\"" + home + "\": true}");
            Files.writeString(e.agentConfig, Files.readString(e.agentConfig).replace("      interval: 10m", hooks));

            long start = System.nanoTime();
            EndToEnd.Run run = e.agent("agent", "once", "--snapshot");
            long seconds = (System.nanoTime() - start) / 1_000_000_000L;
            // db has no new snapshot because its fatal hook failed: a failed snapshot stage, so exit 1
            assertEquals(1, run.exit(), run::toString);
            assertTrue(seconds < 60, "the 120 s hook was killed after 2 s; the pass took " + seconds + " s");

            List<String> homeSnaps = e.pools.snapshotNames(home);
            assertEquals(1, homeSnaps.size(), homeSnaps::toString);
            String snap = homeSnaps.get(0);
            assertEquals(List.of(), e.pools.snapshotNames(db), "the fatal pre hook kept db out of the snapshot");
            EndToEnd.assertContains(
                    run.stdout(),
                    "  failed: snapshot: @" + snap + " of " + db
                            + " not taken: a pre_snapshot hook with err_is_fatal failed\n",
                    run);
            assertEquals(
                    List.of(
                            "record pre_snapshot " + home + " " + snap + " dryrun=[] timeout=20",
                            "slow pre_snapshot " + home,
                            "record pre_snapshot " + db + " " + snap + " dryrun=[] timeout=20",
                            "dbbusy pre_snapshot " + db,
                            "record post_snapshot " + home + " " + snap + " dryrun=[] timeout=20",
                            "record post_snapshot " + db + " " + snap + " dryrun=[] timeout=20"),
                    Files.readAllLines(log),
                    "slow failed (killed), so no post run for it; db's post runs only for record, which succeeded");
            EndToEnd.assertContains(
                    run.stdout(),
                    "  warning: hook " + slow + " (pre_snapshot, " + home
                            + ") failed: killed after its timeout of 2 s\n    | waiting forever\n",
                    run);
            EndToEnd.assertContains(
                    run.stdout(),
                    "  warning: hook " + dbBusy + " (pre_snapshot, " + db + ") failed: exit status 4; snapshot of " + db
                            + " skipped (err_is_fatal)\n    | database is busy\n",
                    run);
            assertEquals(
                    expectedOnBox(e, e.snapshotsWithGuids(home)),
                    e.snapshotsWithGuids(e.jail),
                    "what was snapshotted is replicated");
        }
    }
}
