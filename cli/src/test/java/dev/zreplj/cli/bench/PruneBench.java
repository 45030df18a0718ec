package dev.zreplj.cli.bench;

import dev.zreplj.agent.SinkChannel;
import dev.zreplj.config.Config;
import dev.zreplj.config.ConfigLoader;
import dev.zreplj.config.PushJob;
import dev.zreplj.protocol.SinkClient;
import dev.zreplj.prune.PruneReport;
import dev.zreplj.prune.PruneRun;
import dev.zreplj.replication.ReplicationCursor;
import dev.zreplj.replication.Watchdog;
import dev.zreplj.stdinserver.StdinServer;
import dev.zreplj.zfs.CursorProperty;
import dev.zreplj.zfs.DatasetName;
import dev.zreplj.zfs.Zfs;
import dev.zreplj.zfs.testing.TestPools;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * The Java side of bench/prune: FILESYSTEMS x SNAPSHOTS on each side of real zfs-fuse pools, the box
 * served in-process by StdinServer over pipes (the transport is not what is measured), then the plan
 * (a dry run) and the prune timed, with the zfs invocations of each side. The rules destroy the two
 * oldest snapshots of every filesystem on each side, as a steady-state run does: what must not grow
 * with the number of snapshots is the cost of looking at them.
 *
 * <p>Arguments: FILESYSTEMS SNAPSHOTS [SNAPSHOTS...]; prints one table row per size.
 */
public final class PruneBench {
    private static final String JOB = "bench";
    private static final String CLIENT = "laptop";

    private PruneBench() {}

    public static void main(String[] args) throws Exception {
        int filesystems = Integer.parseInt(args[0]);
        System.out.printf(
                Locale.ROOT,
                "%-11s %8s %9s %8s %9s %9s %9s %9s %9s%n",
                "size",
                "snapshots",
                "setup s",
                "plan s",
                "plan zfs",
                "plan box",
                "prune s",
                "prune zfs",
                "prune box");
        for (int i = 1; i < args.length; i++) {
            run(filesystems, Integer.parseInt(args[i]));
        }
    }

    private static void run(int filesystems, int snapshots) throws Exception {
        Path dir = Files.createTempDirectory("zreplj-prune-bench");
        try (TestPools pools = TestPools.open()) {
            long setupStart = System.nanoTime();
            DatasetName src = pools.createPool("src");
            DatasetName dst = pools.createPool("dst");
            DatasetName parent = pools.createFilesystem(src.child("p"));
            List<DatasetName> children = new ArrayList<>();
            for (int f = 0; f < filesystems; f++) {
                children.add(pools.createFilesystem(parent.child(String.format("fs%03d", f))));
            }
            DatasetName sinkRoot = pools.createFilesystem(dst.child("sink"));
            Config config = configs(dir, src, sinkRoot);
            PushJob job = config.pushJobs().get(0);
            Zfs agentZfs = new Zfs(pools.zfsBinary());
            Zfs boxZfs = new Zfs(pools.zfsBinary());

            try (Box box = Box.start(config, boxZfs);
                    Watchdog watchdog = Watchdog.start(job.replication().timeout())) {
                // The first snapshot reaches the box by one recursive send: the common snapshot of every
                // filesystem. The box's copies of the later ones are its own (same names, other guids).
                pools.zfs("snapshot", "-r", parent + "@zrepl_000");
                DatasetName jailSrc =
                        pools.createFilesystem(sinkRoot.child(CLIENT).child(src.value()));
                shell(pools.zfsBinary() + " send -R " + parent + "@zrepl_000 | " + pools.zfsBinary() + " recv -d "
                        + jailSrc);
                DatasetName boxParent = sinkRoot.child(CLIENT).child(parent.value());
                for (int s = 1; s <= snapshots; s++) {
                    String name = String.format("zrepl_%03d", s);
                    Process a = new ProcessBuilder(pools.zfsBinary().toString(), "snapshot", "-r", parent + "@" + name)
                            .inheritIO()
                            .start();
                    Process b = new ProcessBuilder(
                                    pools.zfsBinary().toString(), "snapshot", "-r", boxParent + "@" + name)
                            .inheritIO()
                            .start();
                    if (a.waitFor() != 0 || b.waitFor() != 0) {
                        throw new IllegalStateException("zfs snapshot -r @" + name + " failed");
                    }
                }
                // The cursor at the newest snapshot, as replication leaves it (hold + property on zfs-fuse).
                String newest = String.format("zrepl_%03d", snapshots);
                pools.zfs("hold", "-r", ReplicationCursor.holdTag(JOB), parent + "@" + newest);
                for (DatasetName fs : children) {
                    pools.zfs(
                            "set",
                            CursorProperty.of(JOB) + "=" + String.format("%016x", pools.guid(fs + "@" + newest)),
                            fs.value());
                }
                double setup = seconds(setupStart);

                long a0 = agentZfs.invocations();
                agentZfs.capabilities();
                long agentProbe = agentZfs.invocations() - a0;
                long b0 = boxZfs.invocations();
                long t0 = System.nanoTime();
                PruneReport plan =
                        new PruneRun(job, agentZfs).run(children, new SinkChannel(box.client, watchdog), null, true);
                double planSeconds = seconds(t0);
                long planAgent = agentZfs.invocations() - a0 - agentProbe;
                long planBox = boxZfs.invocations() - b0;
                check(plan, 4L * filesystems, "plan");

                long a1 = agentZfs.invocations();
                long b1 = boxZfs.invocations();
                long t1 = System.nanoTime();
                PruneReport done =
                        new PruneRun(job, agentZfs).run(children, new SinkChannel(box.client, watchdog), null, false);
                double pruneSeconds = seconds(t1);
                check(done, 4L * filesystems, "prune");
                System.out.printf(
                        Locale.ROOT,
                        "%-11s %8d %9.1f %8.2f %9d %9d %9.2f %9d %9d%n",
                        filesystems + "x" + snapshots,
                        2L * filesystems * (snapshots + 1),
                        setup,
                        planSeconds,
                        planAgent,
                        planBox,
                        pruneSeconds,
                        agentZfs.invocations() - a1,
                        boxZfs.invocations() - b1);
            }
        }
    }

    private static void check(PruneReport report, long expected, String what) {
        if (report.failed() || report.destroyedCount() != expected) {
            throw new IllegalStateException(what + ": expected " + expected + " destroys without failure, got "
                    + report.destroyedCount() + ":\n" + String.join("\n", report.lines()));
        }
    }

    private static Config configs(Path dir, DatasetName src, DatasetName sinkRoot) throws Exception {
        Path file = dir.resolve("bench.yml");
        Files.writeString(
                file,
                String.join(
                        "\n",
                        "jobs:",
                        "  - name: " + JOB,
                        "    type: push",
                        "    connect: {type: ssh+stdinserver, host: 127.0.0.1, user: root, identity_file: /nonexistent}",
                        "    filesystems: {\"" + src + "/p<\": true, \"" + src + "/p\": false}",
                        "    snapshotting: {type: manual}",
                        "    pruning:",
                        "      keep_sender:",
                        "        - {type: regex, regex: \"^zrepl_00[12]$\", negate: true}",
                        "      keep_receiver:",
                        "        - {type: regex, regex: \"^zrepl_00[12]$\", negate: true}",
                        "  - name: box",
                        "    type: sink",
                        "    root_fs: " + sinkRoot,
                        "    serve: {type: stdinserver, client_identities: [" + CLIENT + "]}",
                        "global:",
                        "  zreplj:",
                        "    state_dir: " + dir.resolve("state"),
                        ""));
        return new ConfigLoader().load(file);
    }

    private static void shell(String command) throws Exception {
        Process p = new ProcessBuilder("sh", "-c", command).inheritIO().start();
        if (!p.waitFor(600, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IllegalStateException("failed: " + command);
        }
    }

    private static double seconds(long startNanos) {
        return (System.nanoTime() - startNanos) / 1e9;
    }

    /** The box's stdinserver in a thread, one SinkClient to it over pipes. */
    private static final class Box implements AutoCloseable {
        final SinkClient client;
        private final Thread server;

        private Box(SinkClient client, Thread server) {
            this.client = client;
            this.server = server;
        }

        static Box start(Config config, Zfs zfs) throws IOException {
            PipedInputStream serverIn = new PipedInputStream(1 << 20);
            PipedOutputStream toServer = new PipedOutputStream(serverIn);
            PipedInputStream clientIn = new PipedInputStream(1 << 20);
            PipedOutputStream toClient = new PipedOutputStream(clientIn);
            Thread server = new Thread(
                    () -> {
                        new StdinServer(config, CLIENT, zfs, serverIn, toClient).run();
                        try {
                            toClient.close();
                        } catch (IOException ignored) {
                            // the client is gone already
                        }
                    },
                    "stdinserver");
            server.start();
            SinkClient client = new SinkClient(new BufferedInputStream(clientIn), new BufferedOutputStream(toServer));
            client.handshake(JOB);
            // The box sets up the client's jail after the handshake; the first answer means it is there.
            client.listFilesystems();
            return new Box(client, server);
        }

        @Override
        public void close() throws Exception {
            client.close();
            server.join(30_000);
        }
    }
}
