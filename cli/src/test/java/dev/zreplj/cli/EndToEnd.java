package dev.zreplj.cli;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.zreplj.ssh.testing.TestSshd;
import dev.zreplj.zfs.DatasetName;
import dev.zreplj.zfs.testing.TestPools;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A laptop pool, a backup-box pool, a real sshd whose forced command is the built {@code zreplj}
 * launcher, and the agent run through the same launcher: the product exactly as a user runs it.
 */
final class EndToEnd implements PushSetup {
    static final String CLIENT = "laptop";

    final Path dir;
    final Path launcher;
    final TestPools pools;
    final DatasetName src;
    final DatasetName dst;
    final DatasetName sinkRoot;
    final DatasetName jail;
    final Path sinkConfig;
    final TestSshd sshd;
    final Path agentConfig;
    /** The second (epoch) in which the last --snapshot pass ended; see {@link #awaitNextSecond}. */
    private long lastSnapshotPassEnded;
    /** The stdinserver {@link #stallReceiver} stopped, 0 for none. */
    private long stopped;

    record Run(int exit, String stdout, String stderr) {
        @Override
        public String toString() {
            return "exit " + exit + "\n--- stdout\n" + stdout + "--- stderr\n" + stderr;
        }
    }

    /** The push job's pruning section (and anything after it) when a test does not give its own. */
    static final String DEFAULT_JOB_TAIL = String.join(
            "\n",
            "    pruning:",
            "      keep_sender:",
            "        - type: not_replicated",
            "        - type: last_n",
            "          count: 100",
            "      keep_receiver:",
            "        - type: last_n",
            "          count: 100",
            "");

    /** A pruning section that keeps one snapshot on each side beyond what is not replicated yet. */
    static final String KEEP_LAST_ONE_TAIL = String.join(
            "\n",
            "    pruning:",
            "      keep_sender:",
            "        - type: not_replicated",
            "        - type: last_n",
            "          count: 1",
            "      keep_receiver:",
            "        - type: last_n",
            "          count: 1",
            "");

    EndToEnd(Path dir, String filesystemsYaml) throws IOException {
        this(dir, filesystemsYaml, DEFAULT_JOB_TAIL, "");
    }

    /**
     * @param jobTail    YAML after the push job's snapshotting section, indented 4 (pruning, conflict_resolution)
     * @param sinkPolicy YAML appended to the sink job, indented 4 (e.g. its {@code policy: keep_floor})
     */
    EndToEnd(Path dir, String filesystemsYaml, String jobTail, String sinkPolicy) throws IOException {
        this(dir, filesystemsYaml, jobTail, sinkPolicy, "");
    }

    /**
     * @param forcedCommandPrefix put before the forced command, e.g. a script that records each start and
     *                            execs its arguments; "" for none
     */
    EndToEnd(Path dir, String filesystemsYaml, String jobTail, String sinkPolicy, String forcedCommandPrefix)
            throws IOException {
        this.dir = dir;
        this.launcher = findLauncher();
        this.pools = TestPools.open();
        try {
            src = pools.createPool("src");
            dst = pools.createPool("dst");
            sinkRoot = pools.createFilesystem(dst.child("sink"));
            jail = sinkRoot.child(CLIENT);
            sinkConfig = dir.resolve("sink.yml");
            Files.writeString(sinkConfig, sinkYaml(dir.resolve("box-state").toString(), sinkRoot, sinkPolicy));
            Path sshdDir = Files.createDirectories(dir.resolve("sshd"));
            sshd = TestSshd.start(
                    sshdDir, forcedCommandPrefix + launcher + " --config " + sinkConfig + " stdinserver " + CLIENT);
            agentConfig = dir.resolve("agent.yml");
            Files.writeString(
                    agentConfig,
                    agentYaml(
                            dir.resolve("laptop-state").toString(),
                            sshd.port(),
                            sshd.clientKey().toString(),
                            sshd.knownHosts().toString(),
                            filesystemsYaml,
                            src,
                            jobTail));
        } catch (RuntimeException | IOException e) {
            pools.close();
            throw e;
        }
    }

    /**
     * The box's config: one sink job serving {@link #CLIENT} (and "other") below {@code sinkRoot}.
     *
     * @param sinkPolicy YAML appended to the sink job, indented 4 (e.g. its {@code policy: keep_floor})
     */
    static String sinkYaml(String stateDir, DatasetName sinkRoot, String sinkPolicy) {
        return String.join(
                        "\n",
                        "global:",
                        "  zreplj:",
                        "    state_dir: " + stateDir,
                        "jobs:",
                        "  - name: backups",
                        "    type: sink",
                        "    root_fs: " + sinkRoot,
                        "    serve:",
                        "      type: stdinserver",
                        "      client_identities: [" + CLIENT + ", other]",
                        "")
                + sinkPolicy;
    }

    /**
     * The laptop's config: one push job to the sshd on 127.0.0.1:port; "SRC" in the filter is the source pool.
     *
     * @param jobTail YAML after the push job's snapshotting section, indented 4 (pruning, conflict_resolution)
     */
    static String agentYaml(
            String stateDir,
            int port,
            String identityFile,
            String knownHosts,
            String filesystemsYaml,
            DatasetName src,
            String jobTail) {
        return String.join(
                        "\n",
                        "global:",
                        "  zreplj:",
                        "    state_dir: " + stateDir,
                        "jobs:",
                        "  - name: laptop_to_box",
                        "    type: push",
                        "    connect:",
                        "      type: ssh+stdinserver",
                        "      host: 127.0.0.1",
                        "      port: " + port,
                        "      user: root",
                        "      identity_file: " + identityFile,
                        "      known_hosts: " + knownHosts,
                        "    filesystems:",
                        filesystemsYaml.replace("SRC", src.value()).indent(6).stripTrailing(),
                        "    snapshotting:",
                        "      type: periodic",
                        "      prefix: zrepl_",
                        "      interval: 10m",
                        "")
                + jobTail;
    }

    static Path findLauncher() throws IOException {
        Path dist = Path.of("target", "zreplj");
        try (Stream<Path> s = Files.list(dist)) {
            Path home = s.filter(p -> p.getFileName().toString().startsWith("zreplj-"))
                    .findFirst()
                    .orElseThrow(() -> new IllegalStateException("no distribution under " + dist.toAbsolutePath()
                            + ": the end-to-end tests run after 'mvn package'"));
            return home.resolve("bin/zreplj").toAbsolutePath();
        }
    }

    @Override
    /** Runs the agent as a user would, with --summary: not on a terminal it would print nothing on success. */
    public Run agent(String... args) {
        List<String> command = new ArrayList<>(List.of("--config", agentConfig.toString(), "--summary"));
        command.addAll(List.of(args));
        boolean snapshots = command.contains("--snapshot");
        if (snapshots) {
            awaitNextSecond();
        }
        Run run = zreplj(command, null);
        if (snapshots) {
            lastSnapshotPassEnded = System.currentTimeMillis() / 1000;
        }
        return run;
    }

    /**
     * A pass can take less than a second here, and the default timestamp_format counts seconds: a --snapshot pass
     * in the second the last one ended in could name its snapshot as that one did, and fail with "dataset already
     * exists" (as it would for a user; docs/troubleshooting.md). The tests mean two snapshots.
     */
    private void awaitNextSecond() {
        while (System.currentTimeMillis() / 1000 <= lastSnapshotPassEnded) {
            try {
                Thread.sleep(1000 - System.currentTimeMillis() % 1000 + 5);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    Process startAgent(String... args) throws IOException {
        return startAgent(List.of(), args);
    }

    /**
     * The agent in a process group (and session) of its own, run by {@code setsid}, which execs it: the process's
     * pid is the group's, so {@code kill -TERM -PID} signals the agent and all it started in that group, as
     * timeout(1) or a shell's job control do, and not this test's JVM.
     */
    Process startAgentInGroupOfItsOwn(String... args) throws IOException {
        return startAgent(List.of("setsid"), args);
    }

    private Process startAgent(List<String> prefix, String... args) throws IOException {
        if (List.of(args).contains("--snapshot")) {
            awaitNextSecond();
        }
        List<String> command = new ArrayList<>(prefix);
        command.addAll(List.of(launcher.toString(), "--config", agentConfig.toString(), "--summary"));
        command.addAll(List.of(args));
        return new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(dir.resolve("killed-agent.log").toFile())
                .start();
    }

    @Override
    public Run zreplj(List<String> args, byte[] stdin) {
        return zreplj(args, stdin, 180);
    }

    /** @param seconds how long the command may run before it is killed and the test fails */
    Run zreplj(List<String> args, byte[] stdin, int seconds) {
        List<String> command = new ArrayList<>(List.of(launcher.toString()));
        command.addAll(args);
        try {
            Process p = new ProcessBuilder(command).start();
            Thread feeder = new Thread(() -> {
                try (var in = p.getOutputStream()) {
                    if (stdin != null) in.write(stdin);
                } catch (IOException ignored) {
                    // the process may exit before reading everything; its exit status tells
                }
            });
            feeder.start();
            var out = readAsync(p.getInputStream());
            var err = readAsync(p.getErrorStream());
            if (!p.waitFor(seconds, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new AssertionError(
                        "zreplj " + args + " did not finish within " + seconds + " s; stderr so far:\n" + err.text());
            }
            feeder.join();
            return new Run(p.exitValue(), out.text(), err.text());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
    }

    private static final class Drain extends Thread {
        private final InputStream in;
        private final StringBuilder sb = new StringBuilder();

        Drain(InputStream in) {
            this.in = in;
        }

        @Override
        public void run() {
            try {
                sb.append(new String(in.readAllBytes(), StandardCharsets.UTF_8));
            } catch (IOException e) {
                sb.append("(read failed: ").append(e.getMessage()).append(')');
            }
        }

        String text() throws InterruptedException {
            join(10_000);
            return sb.toString();
        }
    }

    private static Drain readAsync(InputStream in) {
        Drain d = new Drain(in);
        d.start();
        return d;
    }

    /** Names and exact guids of every snapshot below a dataset, "name\tguid" per line, sorted by name. */
    @Override
    public String snapshotsWithGuids(DatasetName root) {
        // zfs-fuse has neither `list -p` nor `get -t`: take every dataset's guid and keep the snapshots.
        return pools.zfs("get", "-Hp", "-r", "-o", "name,value", "guid", root.value())
                .lines()
                .filter(l -> l.contains("@"))
                .sorted()
                .map(l -> l + "\n")
                .collect(java.util.stream.Collectors.joining());
    }

    @Override
    public List<String> datasets(DatasetName root) {
        return pools.zfs("list", "-H", "-r", "-o", "name", "-s", "name", root.value())
                .lines()
                .toList();
    }

    @Override
    public DatasetName src() {
        return src;
    }

    @Override
    public DatasetName dst() {
        return dst;
    }

    @Override
    public DatasetName sinkRoot() {
        return sinkRoot;
    }

    @Override
    public DatasetName jail() {
        return jail;
    }

    @Override
    public String sinkConfigPath() {
        return sinkConfig.toString();
    }

    @Override
    public DatasetName createFilesystem(DatasetName name) {
        return pools.createFilesystem(name);
    }

    @Override
    public void writeRandomFile(DatasetName fs, String fileName, int bytes) {
        pools.writeRandomFile(fs, fileName, bytes);
    }

    @Override
    public String zfs(String... args) {
        return pools.zfs(args);
    }

    @Override
    public List<String> snapshotNames(DatasetName fs) {
        return pools.snapshotNames(fs);
    }

    @Override
    public String get(String dataset, String property) {
        return pools.get(dataset, property);
    }

    @Override
    public void replaceInAgentConfig(String from, String to) throws IOException {
        String config = Files.readString(agentConfig);
        assertTrue(config.contains(from), () -> "no '" + from + "' in " + config);
        Files.writeString(agentConfig, config.replace(from, to));
    }

    @Override
    public void pinImpostorHostKey() throws IOException {
        Path impostor = TestSshd.keygen(dir.resolve("impostor"), TestSshd.KeyType.ED25519, "impostor");
        Files.writeString(
                sshd.knownHosts(),
                "[127.0.0.1]:" + sshd.port() + " "
                        + Files.readString(Path.of(impostor + ".pub")).strip() + "\n");
    }

    @Override
    public void killAgentWhileReceiving(String target, String... args) throws IOException, InterruptedException {
        Process agent = startAgent(args);
        long deadline = System.nanoTime() + 120_000_000_000L;
        while (!receiving(target)) {
            assertTrue(agent.isAlive(), () -> "agent ended before the stream started: " + killedAgentLog());
            assertTrue(System.nanoTime() < deadline, "no zfs recv into " + target + " within 120 s");
            Thread.sleep(5);
        }
        Thread.sleep(150);
        agent.destroyForcibly().waitFor();
    }

    @Override
    public Stalled stallReceiver(String target, int limitSeconds, String... args)
            throws IOException, InterruptedException {
        Process agent = startAgent(args);
        try {
            stopReceiver(target, agent);
            long stoppedAt = System.nanoTime();
            assertTrue(
                    agent.waitFor(limitSeconds, TimeUnit.SECONDS),
                    () -> "the agent still runs " + limitSeconds + " s after its stdinserver was stopped: "
                            + killedAgentLog());
            return new Stalled(agent.exitValue(), killedAgentLog(), (System.nanoTime() - stoppedAt) / 1e9);
        } finally {
            agent.destroyForcibly().waitFor();
        }
    }

    /** The stdinserver serving a zfs receive into target: the receive's parent (the launcher execs java). */
    private static Optional<ProcessHandle> receiveParent(String target) {
        return ProcessHandle.allProcesses()
                .filter(p ->
                        p.info().commandLine().map(c -> isReceive(c, target)).orElse(false))
                .findFirst()
                .flatMap(ProcessHandle::parent);
    }

    /**
     * SIGSTOPs the stdinserver receiving into {@code target} once {@code agent} has started that receive, so that
     * the stream backs up into the agent's side; {@link #continueStopped} lets it go on.
     */
    void stopReceiver(String target, Process agent) throws InterruptedException {
        long deadline = System.nanoTime() + 120_000_000_000L;
        Optional<ProcessHandle> server;
        while ((server = receiveParent(target)).isEmpty()) {
            assertTrue(agent.isAlive(), () -> "agent ended before the stream started: " + killedAgentLog());
            assertTrue(System.nanoTime() < deadline, "no zfs recv into " + target + " within 120 s");
            Thread.sleep(5);
        }
        stopped = server.get().pid();
        signal("STOP", stopped);
    }

    /**
     * Kills the sshd process serving the stdinserver {@link #stopReceiver} stopped, as a link that dies would end
     * it: the agent's ssh sees its connection close in the middle of the stream.
     */
    void cutLinkOfStopped() {
        Optional<ProcessHandle> p = ProcessHandle.of(stopped).flatMap(ProcessHandle::parent);
        while (p.isPresent() && !p.get().info().command().orElse("").endsWith("/sshd")) {
            p = p.get().parent();
        }
        signal(
                "KILL",
                p.orElseThrow(() -> new AssertionError("no sshd above stdinserver " + stopped))
                        .pid());
    }

    @Override
    public void continueStopped() {
        if (stopped > 0) {
            signal("CONT", stopped);
            stopped = 0;
        }
    }

    private static void signal(String name, long pid) {
        try {
            Process kill = new ProcessBuilder("kill", "-" + name, Long.toString(pid))
                    .inheritIO()
                    .start();
            if (kill.waitFor() != 0) {
                throw new AssertionError("kill -" + name + " " + pid + " failed");
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
    }

    @Override
    public boolean receiving(String target) {
        return ProcessHandle.allProcesses()
                .anyMatch(p ->
                        p.info().commandLine().map(c -> isReceive(c, target)).orElse(false));
    }

    /** Whether a process command line is a zfs receive into {@code target}. */
    static boolean isReceive(String commandLine, String target) {
        return (commandLine.contains(" recv ") || commandLine.contains(" receive ")) && commandLine.contains(target);
    }

    /** What the agent started by {@link #startAgent} printed. */
    String killedAgentLog() {
        try {
            return Files.readString(dir.resolve("killed-agent.log"));
        } catch (IOException ex) {
            return "(no log)";
        }
    }

    static void assertContains(String haystack, String needle, Run run) {
        assertTrue(haystack.contains(needle), "expected '" + needle + "' in output of " + run);
    }

    @Override
    public void close() {
        try {
            continueStopped();
            sshd.close();
        } finally {
            pools.close();
        }
    }

    /**
     * A raw session to the box's forced command with OpenSSH's client and {@code key}: a hostile client
     * writes the protocol itself. Its stderr goes to {@code stderr}.
     */
    Process rawSession(Path key, Path stderr) throws java.io.IOException {
        return new ProcessBuilder(
                        "ssh",
                        "-T",
                        "-F",
                        "/dev/null",
                        "-i",
                        key.toString(),
                        "-p",
                        String.valueOf(sshd.port()),
                        "-o",
                        "IdentitiesOnly=yes",
                        "-o",
                        "BatchMode=yes",
                        "-o",
                        "UserKnownHostsFile=" + sshd.knownHosts(),
                        "-o",
                        "StrictHostKeyChecking=yes",
                        "root@127.0.0.1")
                .redirectError(stderr.toFile())
                .start();
    }
}
