package dev.zreplj.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.zreplj.ssh.testing.TestSshd;
import dev.zreplj.zfs.DatasetName;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Several clients, and one client twice, pushing to one box at the same moment through the real sshd, each
 * client with its own key and forced command: what the slots, dataset locks and per-client state do when the
 * stdinservers of different passes really overlap.
 */
@Tag("system")
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class ManyClientsIT {
    private static final int MIB = 1 << 20;
    private static final List<String> FILESYSTEMS = List.of("a", "b", "c");
    /** Three channels a pass: four clients want up to 8 receives (2 each) of the box's 4. */
    private static final String TAIL =
            "    replication:\n      concurrency:\n        steps: 3\n" + EndToEnd.DEFAULT_JOB_TAIL;

    @TempDir
    Path tmp;

    /** The client's source filesystems below SRC/CLIENT, each with a file. */
    private static void filesystems(EndToEnd e, String client, int bytes) {
        DatasetName root = e.pools.createFilesystem(e.src.child(client));
        for (String fs : FILESYSTEMS) {
            e.pools.writeRandomFile(e.pools.createFilesystem(root.child(fs)), "data", bytes);
        }
    }

    /**
     * Another client of the same box: its key in sshd's authorized_keys with its own forced command, and an agent
     * config of its own (state directory and key) that pushes SRC/CLIENT.
     */
    private static Path client(EndToEnd e, String client, String stateDir, Path key) throws IOException {
        if (!client.equals(EndToEnd.CLIENT)) {
            Files.writeString(
                    e.sshd.dir().resolve("authorized_keys"),
                    "command=\"" + e.launcher + " --config " + e.sinkConfig + " stdinserver " + client + "\",restrict "
                            + Files.readString(Path.of(key + ".pub")).strip() + "\n",
                    StandardOpenOption.APPEND);
        }
        Path config = e.dir.resolve("agent-" + stateDir + ".yml");
        Files.writeString(
                config,
                EndToEnd.agentYaml(
                        e.dir.resolve(stateDir).toString(),
                        e.sshd.port(),
                        key.toString(),
                        e.sshd.knownHosts().toString(),
                        "\"SRC/" + client + "<\": true",
                        e.src,
                        TAIL));
        return config;
    }

    private static Path newKey(EndToEnd e, String client) throws IOException {
        return TestSshd.keygen(e.dir.resolve("key-" + client), TestSshd.KeyType.ED25519, client);
    }

    /** Runs each config's {@code agent once} (with {@code extra}) at the same moment; results in config order. */
    private static List<Timed> atOnce(EndToEnd e, List<Path> configs, String... extra) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(configs.size());
        try {
            List<Future<Timed>> runs = new ArrayList<>();
            for (Path config : configs) {
                List<String> args =
                        new ArrayList<>(List.of("--config", config.toString(), "--summary", "agent", "once"));
                args.addAll(List.of(extra));
                runs.add(pool.submit(() -> {
                    long start = System.nanoTime();
                    EndToEnd.Run run = e.zreplj(args, null, 180);
                    return new Timed(run, (System.nanoTime() - start) / 1e9);
                }));
            }
            List<Timed> done = new ArrayList<>();
            for (Future<Timed> f : runs) {
                done.add(f.get());
            }
            return done;
        } finally {
            pool.shutdownNow();
        }
    }

    private record Timed(EndToEnd.Run run, double seconds) {}

    /** The client's snapshots on the box, named as on the client, with their guids. */
    private static String onTheBox(EndToEnd e, String client) {
        DatasetName jailed = e.sinkRoot.child(client).child(e.src.value());
        return e.snapshotsWithGuids(jailed.child(client)).replace(jailed.value() + "/", e.src.value() + "/");
    }

    private static String boxLog(EndToEnd e) throws IOException {
        return Files.readString(e.dir.resolve("box-state/log/stdinserver.log"));
    }

    private static void serve(EndToEnd e, String clients) throws IOException {
        String sink = Files.readString(e.sinkConfig);
        assertTrue(sink.contains("[laptop, other]"), sink);
        Files.writeString(e.sinkConfig, sink.replace("[laptop, other]", clients));
    }

    @Test
    void fourClientsPushingAtOnceEachGetTheirOwnSnapshots() throws Exception {
        List<String> clients = List.of(EndToEnd.CLIENT, "c2", "c3", "c4");
        try (EndToEnd e = new EndToEnd(tmp, "\"SRC/laptop<\": true", TAIL, "")) {
            serve(e, "[laptop, other, c2, c3, c4]");
            Map<String, Path> configs = new LinkedHashMap<>();
            for (String client : clients) {
                filesystems(e, client, 4 * MIB);
                Path key = client.equals(EndToEnd.CLIENT) ? e.sshd.clientKey() : newKey(e, client);
                configs.put(client, client(e, client, client + "-state", key));
            }

            List<Timed> first = atOnce(e, List.copyOf(configs.values()), "--snapshot");
            for (String fs : FILESYSTEMS) {
                for (String client : clients) {
                    e.pools.writeRandomFile(e.src.child(client).child(fs), "more", 2 * MIB);
                }
            }
            List<Timed> second = atOnce(e, List.copyOf(configs.values()), "--snapshot");

            String log = boxLog(e);
            for (int i = 0; i < clients.size(); i++) {
                String client = clients.get(i);
                for (Timed t : List.of(first.get(i), second.get(i))) {
                    assertEquals(0, t.run().exit(), client + ": " + t.run());
                    assertTrue(
                            t.run().stdout().contains("job laptop_to_box: 4 filesystems, all ok"),
                            client + ": " + t.run());
                }
                System.out.printf(
                        "ManyClientsIT: client %s: first pass %.1f s, second %.1f s%n",
                        client, first.get(i).seconds(), second.get(i).seconds());
                String sent = e.snapshotsWithGuids(e.src.child(client));
                assertEquals(8, sent.lines().count(), sent);
                assertEquals(sent, onTheBox(e, client), client + "'s snapshots and guids on the box");
                for (String fs : FILESYSTEMS) {
                    assertTrue(
                            log.lines()
                                    .anyMatch(l -> l.contains(" INFO client '" + client + "' [pid ")
                                            && l.contains(": received " + e.sinkRoot.child(client) + "/" + e.src + "/"
                                                    + client + "/" + fs + "@")),
                            log);
                }
                EndToEnd.Run status =
                        e.zreplj(List.of("--config", configs.get(client).toString(), "status"), null);
                assertEquals(0, status.exit(), client + ": " + status);
            }
            assertFalse(log.contains(" WARN "), log);
            EndToEnd.Run box = e.zreplj(List.of("--config", e.sinkConfig.toString(), "status"), null);
            // "other" is listed and has never sent anything: CRITICAL for it alone.
            assertEquals(2, box.exit(), box.toString());
            for (String client : clients) {
                assertTrue(
                        box.stdout().contains("sink job backups, client " + client + ": OK, 4 filesystems"),
                        box.toString());
            }
        }
    }

    /**
     * One client twice at once: a timer's {@code agent once} and one run by hand (here two state directories, so
     * the agent's own job lock does not keep them apart, as on two machines given one key). Both planned the same
     * steps from the same listing; the later one's requests named snapshots the other had just received, and the
     * box refused them as reused guids, so that pass failed on every filesystem, saying nothing of why.
     */
    @Test
    void twoPassesOfOneClientAtOnceBothEndWithEverySnapshot() throws Exception {
        try (EndToEnd e = new EndToEnd(tmp, "\"SRC/laptop<\": true", TAIL, "")) {
            filesystems(e, EndToEnd.CLIENT, 8 * MIB);
            Path timer = client(e, EndToEnd.CLIENT, "timer-state", e.sshd.clientKey());
            Path byHand = client(e, EndToEnd.CLIENT, "by-hand-state", e.sshd.clientKey());
            EndToEnd.Run first = e.zreplj(List.of("--config", timer.toString(), "agent", "once", "--snapshot"), null);
            assertEquals(0, first.exit(), first.toString());
            for (String fs : FILESYSTEMS) {
                DatasetName d = e.src.child(EndToEnd.CLIENT).child(fs);
                e.pools.writeRandomFile(d, "more", 8 * MIB);
                e.pools.snapshot(d, "zrepl_by_hand");
            }

            // Not due (interval 10m): neither takes a snapshot, both send the one made by hand.
            List<Timed> both = atOnce(e, List.of(timer, byHand));
            for (Timed t : both) {
                System.out.printf(
                        "ManyClientsIT: a pass of the same client, %.1f s:%n%s",
                        t.seconds(), t.run().stdout());
                assertEquals(0, t.run().exit(), t.run().toString());
                assertFalse(
                        t.run().stdout().contains("is already the guid of"),
                        t.run().toString());
            }
            String sent = e.snapshotsWithGuids(e.src.child(EndToEnd.CLIENT));
            assertEquals(sent, onTheBox(e, EndToEnd.CLIENT));
            assertTrue(sent.contains("@zrepl_by_hand\t"), sent);
            String log = boxLog(e);
            assertFalse(log.contains("is already the guid of"), log);
        }
    }

    /**
     * A client whose channels are all taken (here by two idle sessions of its own key; the same for a second agent
     * or a stalled one) runs a pass: the box refuses the channel after its HELLO, and the summary must give the
     * box's reason. On a loaded box the agent's first request could fail to write before it read that ERROR, and
     * the summary said only "write(ChannelOutputStream[ChannelExec[...]] SSH_MSG_CHANNEL_DATA) len=30 - channel
     * already closed"; that order is timing, so SinkClientTest pins it, and this pins the line end to end.
     */
    @Test
    void aPassAtTheClientsChannelCapSaysSo() throws Exception {
        String tail = "    replication:\n      attempts: 1\n" + EndToEnd.DEFAULT_JOB_TAIL;
        try (EndToEnd e = new EndToEnd(tmp, "\"SRC/laptop<\": true", tail, "      zreplj: {max_channels: 2}\n")) {
            filesystems(e, EndToEnd.CLIENT, MIB);
            List<Process> held = new ArrayList<>();
            List<dev.zreplj.protocol.SinkClient> idle = new ArrayList<>();
            for (int i = 0; i < 2; i++) {
                Process p = e.rawSession(e.sshd.clientKey(), tmp.resolve("held-" + i + ".err"));
                dev.zreplj.protocol.SinkClient c =
                        new dev.zreplj.protocol.SinkClient(p.getInputStream(), p.getOutputStream());
                c.handshake();
                held.add(p);
                idle.add(c);
            }
            EndToEnd.Run refused = e.agent("agent", "once", "--snapshot");
            assertEquals(1, refused.exit(), refused.toString());
            assertTrue(
                    refused.stdout()
                            .contains("client 'laptop' already has its maximum of 2 channels open on the box"
                                    + " (serve.zreplj.max_channels of sink job 'backups');"
                                    + " close some or raise the cap"),
                    refused.toString());
            assertFalse(refused.stdout().contains("ChannelOutputStream"), refused.toString());

            for (int i = 0; i < 2; i++) {
                idle.get(i).close();
                assertTrue(held.get(i).waitFor(60, TimeUnit.SECONDS));
            }
            EndToEnd.Run next = e.agent("agent", "once");
            assertEquals(0, next.exit(), next.toString());
            String sent = e.snapshotsWithGuids(e.src.child(EndToEnd.CLIENT));
            assertEquals(sent, onTheBox(e, EndToEnd.CLIENT));
        }
    }

    /**
     * zrepl's replication.concurrency.steps is a maximum: a job with more steps than the box's cap on one client's
     * channels failed every pass, each attempt refused its next channel as busy and nothing was replicated. It
     * replicates over the channels the box took, and says so once.
     */
    @Test
    void moreStepsThanTheBoxsChannelCapShareTheChannelsItTakes() throws Exception {
        String tail = "    replication:\n      attempts: 1\n      concurrency:\n        steps: 4\n"
                + EndToEnd.DEFAULT_JOB_TAIL;
        try (EndToEnd e = new EndToEnd(tmp, "\"SRC/laptop<\": true", tail, "      zreplj: {max_channels: 2}\n")) {
            filesystems(e, EndToEnd.CLIENT, MIB);
            EndToEnd.Run run = e.agent("agent", "once", "--snapshot");
            assertEquals(0, run.exit(), run.toString());
            String all = run.stdout() + run.stderr();
            assertEquals(
                    1,
                    all.split("the backup box took 2 of the 4 channels the job's concurrency asks for", -1).length - 1,
                    run.toString());
            String sent = e.snapshotsWithGuids(e.src.child(EndToEnd.CLIENT));
            assertEquals(4, sent.lines().count(), sent);
            assertEquals(sent, onTheBox(e, EndToEnd.CLIENT));
        }
    }
}
