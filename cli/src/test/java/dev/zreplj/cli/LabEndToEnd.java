package dev.zreplj.cli;

import static dev.zreplj.cli.openzfs.OpenZfsLab.command;
import static dev.zreplj.cli.openzfs.OpenZfsLab.quote;

import dev.zreplj.cli.openzfs.LabPools;
import dev.zreplj.cli.openzfs.LabSshd;
import dev.zreplj.cli.openzfs.OpenZfsLab;
import dev.zreplj.zfs.DatasetName;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * {@link EndToEnd} inside the OpenZFS lab guest: both pools, the sink sshd with the forced command, the
 * agent and stdinserver all run in the guest (agent -> guest sshd -> stdinserver -> zfs recv); the test
 * JVM on the host only drives them over the lab's ssh.
 */
final class LabEndToEnd implements PushSetup {
    /** The distribution {@code mvn package} builds, relative to the cli module. */
    static final Path DISTRIBUTION = Path.of("target", "zreplj.tar.gz");
    /**
     * JVM options for every zreplj in the guest: under TCG the C2 compiler costs more than it saves in
     * runs this short (a JVM start 9.4 -> 6.7 s). Does not change what zreplj does.
     */
    static final String JAVA_OPTS = "ZREPLJ_JAVA_OPTS=-XX:TieredStopAtLevel=1";

    static final String LAB_DIAL_TIMEOUT = "60s";

    final OpenZfsLab lab;
    final String launcher;
    final LabPools pools;
    final String dir;
    final DatasetName src;
    final DatasetName dst;
    final DatasetName sinkRoot;
    final DatasetName jail;
    final String sinkConfig;
    final LabSshd sshd;
    final String agentConfig;
    /** The stdinserver {@link #stallReceiver} stopped, 0 for none. */
    private long stopped;

    LabEndToEnd(OpenZfsLab lab, String filesystemsYaml) {
        this(lab, filesystemsYaml, EndToEnd.DEFAULT_JOB_TAIL);
    }

    /** @param jobTail YAML after the push job's snapshotting section, indented 4 (see {@link EndToEnd#DEFAULT_JOB_TAIL}) */
    LabEndToEnd(OpenZfsLab lab, String filesystemsYaml, String jobTail) {
        this.lab = lab;
        this.launcher = lab.installDistribution(DISTRIBUTION);
        this.pools = LabPools.open(lab);
        LabSshd started = null;
        try {
            dir = pools.workDir();
            src = pools.createPool("src");
            dst = pools.createPool("dst");
            sinkRoot = pools.createFilesystem(dst.child("sink"));
            jail = sinkRoot.child(EndToEnd.CLIENT);
            sinkConfig = dir + "/sink.yml";
            lab.write(sinkConfig, EndToEnd.sinkYaml(dir + "/box-state", sinkRoot, ""));
            started = LabSshd.start(
                    lab,
                    dir + "/sshd",
                    launcher + " --config " + sinkConfig + " stdinserver " + EndToEnd.CLIENT,
                    List.of(JAVA_OPTS));
            sshd = started;
            agentConfig = dir + "/agent.yml";
            writeAgentConfig(filesystemsYaml, jobTail);
        } catch (RuntimeException e) {
            try {
                if (started != null) started.close();
            } finally {
                pools.close();
            }
            throw e;
        }
    }

    /** Replaces the agent's config: the next run selects with this filter and uses this job tail. */
    void writeAgentConfig(String filesystemsYaml, String jobTail) {
        // Under TCG on a loaded host the guest's sshd has taken more than the default 10 s to finish a
        // handshake (seen at load 10 on 2 cores); the agent would then report the box unreachable.
        String yaml = EndToEnd.agentYaml(
                dir + "/laptop-state", sshd.port(), sshd.clientKey(), sshd.knownHosts(), filesystemsYaml, src, jobTail);
        String port = "\n      port: " + sshd.port() + "\n";
        if (!yaml.contains(port)) {
            throw new IllegalStateException("the agent config has no '" + port.strip() + "' line:\n" + yaml);
        }
        lab.write(agentConfig, yaml.replace(port, port + "      dial_timeout: " + LAB_DIAL_TIMEOUT + "\n"));
    }

    /**
     * Replaces the box's config (the forced command reads it at each channel's start).
     *
     * @param sinkExtra YAML appended to the sink job, indented 4 (e.g. its {@code recv})
     */
    void writeSinkConfig(DatasetName root, String sinkExtra) {
        lab.write(sinkConfig, EndToEnd.sinkYaml(dir + "/box-state", root, sinkExtra));
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
        return sinkConfig;
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
    public String snapshotsWithGuids(DatasetName root) {
        return pools.snapshotsWithGuids(root);
    }

    @Override
    public List<String> datasets(DatasetName root) {
        return pools.datasets(root);
    }

    @Override
    public EndToEnd.Run agent(String... args) {
        List<String> command = new ArrayList<>(List.of("--config", agentConfig, "--summary"));
        command.addAll(List.of(args));
        return zreplj(command, null);
    }

    @Override
    public EndToEnd.Run zreplj(List<String> args, byte[] stdin) {
        List<String> words = new ArrayList<>(List.of(launcher));
        words.addAll(args);
        OpenZfsLab.Result r = lab.sh(
                "cd " + quote(dir) + " && export " + JAVA_OPTS + " && " + command(words),
                stdin,
                OpenZfsLab.DEFAULT_TIMEOUT);
        return new EndToEnd.Run(r.exit(), r.stdout(), r.stderr());
    }

    @Override
    public void replaceInAgentConfig(String from, String to) {
        String config = lab.read(agentConfig);
        if (!config.contains(from)) {
            throw new AssertionError("no '" + from + "' in " + config);
        }
        lab.write(agentConfig, config.replace(from, to));
    }

    @Override
    public void pinImpostorHostKey() {
        lab.check("cd " + quote(dir) + " && ssh-keygen -q -t ed25519 -N '' -C impostor -f impostor && "
                + "echo \"[127.0.0.1]:" + sshd.port() + " $(cat impostor.pub)\" > " + quote(sshd.knownHosts()));
    }

    /**
     * Watches for the receive inside the guest: a poll from the host over ssh takes longer than the
     * whole stream may. The script lives in a file so that no process's command line but zfs recv's
     * holds both the target and " recv ".
     */
    @Override
    public void killAgentWhileReceiving(String target, String... args) {
        List<String> agentWords = new ArrayList<>(List.of(launcher, "--config", agentConfig, "--summary"));
        agentWords.addAll(List.of(args));
        lab.write(
                dir + "/kill-agent.sh",
                String.join(
                        "\n",
                        "export " + JAVA_OPTS,
                        "receiving() {",
                        "  ps -eo args= | { while IFS= read -r l; do",
                        "    case $l in *' recv '*|*' receive '*) case $l in *\"$1\"*) exit 0 ;; esac ;; esac",
                        "  done; exit 1; }",
                        "}",
                        command(agentWords) + " > killed-agent.log 2>&1 &",
                        "pid=$!",
                        "end=$(($(date +%s) + 300))",
                        "until receiving \"$1\"; do",
                        "  kill -0 $pid 2>/dev/null || { echo 'agent ended before the stream started:'; cat killed-agent.log; exit 3; } >&2",
                        "  [ $(date +%s) -lt $end ] || { echo \"no zfs recv into $1 within 300 s\" >&2; kill -KILL $pid; exit 4; }",
                        "  sleep 0.05",
                        "done",
                        "sleep 0.15",
                        "kill -KILL $pid",
                        "wait $pid 2>/dev/null",
                        "exit 0",
                        ""));
        OpenZfsLab.Result r =
                lab.sh("cd " + quote(dir) + " && sh kill-agent.sh " + quote(target), null, OpenZfsLab.DEFAULT_TIMEOUT);
        if (r.exit() != 0) {
            throw new AssertionError(r.stderr().strip());
        }
    }

    /**
     * Watches, stops and times inside the guest, like {@link #killAgentWhileReceiving}. The pid goes to a
     * file before the SIGSTOP so that {@link #continueStopped()} finds it whatever happens after.
     */
    @Override
    public Stalled stallReceiver(String target, int limitSeconds, String... args) {
        List<String> agentWords = new ArrayList<>(List.of(launcher, "--config", agentConfig, "--summary"));
        agentWords.addAll(List.of(args));
        lab.write(
                dir + "/stall.sh",
                String.join(
                        "\n",
                        "export " + JAVA_OPTS,
                        "server() {",
                        "  ps -eo ppid=,args= | { while read -r ppid l; do",
                        "    case $l in *' recv '*|*' receive '*) case $l in *\"$1\"*) echo $ppid; exit 0 ;; esac ;; esac",
                        "  done; }",
                        "}",
                        command(agentWords) + " > stalled-agent.log 2>&1 &",
                        "pid=$!",
                        "end=$(($(date +%s) + 300))",
                        "until parent=$(server \"$1\") && [ -n \"$parent\" ]; do",
                        "  kill -0 $pid 2>/dev/null || { echo 'agent ended before the stream started:'; cat stalled-agent.log; exit 3; } >&2",
                        "  [ $(date +%s) -lt $end ] || { echo \"no zfs recv into $1 within 300 s\" >&2; kill -KILL $pid; exit 4; }",
                        "  sleep 0.05",
                        "done",
                        "echo $parent > stopped.pid",
                        "kill -STOP $parent",
                        "t0=$(date +%s.%N)",
                        "end=$(($(date +%s) + $2))",
                        "while kill -0 $pid 2>/dev/null; do",
                        "  [ $(date +%s) -lt $end ] || { echo \"the agent still runs $2 s after its stdinserver was stopped:\";"
                                + " cat stalled-agent.log; kill -KILL $pid; exit 5; } >&2",
                        "  sleep 0.05",
                        "done",
                        "t1=$(date +%s.%N)",
                        "wait $pid",
                        "rc=$?",
                        "echo \"$rc $(echo \"$t0 $t1\" | awk '{printf \"%.2f\", $2 - $1}') $parent\"",
                        "cat stalled-agent.log",
                        ""));
        // The script's own bounds: 300 s for the receive to start, then limitSeconds for the agent to exit.
        OpenZfsLab.Result r = lab.sh(
                "cd " + quote(dir) + " && sh stall.sh " + quote(target) + " " + limitSeconds,
                null,
                Duration.ofSeconds(300 + limitSeconds + 60));
        stopped = readStopped();
        if (r.exit() != 0) {
            throw new AssertionError(r.stderr().strip());
        }
        String[] head = r.stdout().lines().findFirst().orElse("").split(" ");
        String output = r.stdout().substring(r.stdout().indexOf('\n') + 1);
        return new Stalled(Integer.parseInt(head[0]), output, Double.parseDouble(head[1]));
    }

    private long readStopped() {
        String pid = lab.check("cat " + quote(dir + "/stopped.pid") + " 2>/dev/null || true")
                .strip();
        return pid.isEmpty() ? 0 : Long.parseLong(pid);
    }

    @Override
    public void continueStopped() {
        long pid = stopped > 0 ? stopped : readStopped();
        if (pid > 0) {
            lab.check("kill -CONT " + pid + " 2>/dev/null; rm -f " + quote(dir + "/stopped.pid"));
            stopped = 0;
        }
    }

    /**
     * Starts the agent with these arguments and SIGKILLs it once the {@code zfs recv} into target (the box's
     * for a push, the agent's own for a restore) has read at least {@code bytes} of the stream ({@code rchar}
     * in its /proc/PID/io), then waits until that zfs recv has ended. Returns what the receive had read when the agent died. Runs as a script in the
     * guest: polling from the host is too slow to cut a stream at a chosen point.
     */
    long killAgentWhenReceived(String target, long bytes, String... args) {
        List<String> agentWords = new ArrayList<>(List.of(launcher, "--config", agentConfig, "--summary"));
        agentWords.addAll(List.of(args));
        lab.write(
                dir + "/kill-at.sh",
                String.join(
                        "\n",
                        "export " + JAVA_OPTS,
                        "recv_pid() {",
                        "  ps -eo pid=,args= | while read -r p l; do",
                        "    case \" $l \" in *' recv '*|*' receive '*) case $l in *\"$1\"*) echo $p; break ;; esac ;; esac",
                        "  done",
                        "}",
                        command(agentWords) + " > killed-agent.log 2>&1 &",
                        "pid=$!",
                        "end=$(($(date +%s) + 600))",
                        "read_bytes=0",
                        "while :; do",
                        "  kill -0 $pid 2>/dev/null || { echo 'agent ended before the receive read enough:'; cat killed-agent.log; exit 3; } >&2",
                        "  [ $(date +%s) -lt $end ] || { echo \"zfs recv into $1 did not read $2 bytes within 600 s\" >&2; kill -KILL $pid; exit 4; }",
                        "  r=$(recv_pid \"$1\")",
                        "  if [ -n \"$r\" ]; then",
                        "    read_bytes=$(awk '/^rchar:/ {print $2}' /proc/$r/io 2>/dev/null || echo 0)",
                        "    [ \"${read_bytes:-0}\" -ge \"$2\" ] && break",
                        "  fi",
                        "  sleep 0.05",
                        "done",
                        "kill -KILL $pid",
                        "wait $pid 2>/dev/null",
                        "while [ -n \"$(recv_pid \"$1\")\" ] && [ $(date +%s) -lt $end ]; do sleep 0.2; done",
                        "[ -z \"$(recv_pid \"$1\")\" ] || { echo \"zfs recv into $1 still running after the agent died\" >&2; exit 5; }",
                        "echo $read_bytes",
                        ""));
        OpenZfsLab.Result r = lab.sh(
                "cd " + quote(dir) + " && sh kill-at.sh " + quote(target) + " " + bytes,
                null,
                OpenZfsLab.DEFAULT_TIMEOUT);
        if (r.exit() != 0) {
            throw new AssertionError(r.stderr().strip());
        }
        return Long.parseLong(r.stdout().strip());
    }

    @Override
    public boolean receiving(String target) {
        return lab.check("ps -eo args=").lines().anyMatch(c -> EndToEnd.isReceive(c, target));
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
}
