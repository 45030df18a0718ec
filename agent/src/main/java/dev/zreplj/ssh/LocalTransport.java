package dev.zreplj.ssh;

import dev.zreplj.config.Connect;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * zrepl's local transport ({@code connect: {type: local}}): the sink is a job of the agent's own config, and each
 * channel is {@code zreplj --config CONFIG stdinserver --local-listener LISTENER CLIENT} started here, speaking the
 * same protocol over its stdin and stdout as a forced command does over SSH. The box side is therefore the very
 * same process (jail under {@code root_fs/CLIENT}, keep_floor, locks, status), not a shortcut around it. The
 * launcher is the one that started this JVM ({@code zreplj.launcher}), so agent and sink run the same zreplj.
 */
public final class LocalTransport implements SshTransport {
    /** Set by the launcher script to its own path (as for {@code authorized-keys}). */
    public static final String LAUNCHER_PROPERTY = "zreplj.launcher";

    /** The stdinserver option that selects a local sink by its listener_name. */
    public static final String LOCAL_LISTENER_OPTION = "--local-listener";

    /**
     * Variables sshd sets in every session. The child must not have them: it refuses to serve a local listener
     * under SSH (so that no authorized_keys line can reach a local sink), and an agent started from an SSH login
     * would pass them on.
     */
    public static final List<String> SSH_SESSION_VARIABLES =
            List.of("SSH_CONNECTION", "SSH_CLIENT", "SSH_ORIGINAL_COMMAND");

    private final Path launcher;
    private final Connect.Local local;
    private final String target;
    private final List<Process> children = new ArrayList<>();
    private boolean closed;

    private LocalTransport(Path launcher, Connect.Local local, String target) {
        this.launcher = launcher;
        this.local = local;
        this.target = target;
    }

    /** Finds the launcher that runs the sink's stdinserver, or fails with one clear line. */
    static LocalTransport connect(Connect connect) throws TransportException {
        Connect.Local local = connect.local();
        if (local == null) {
            throw new IllegalArgumentException("not a local connect: " + connect.target());
        }
        return new LocalTransport(launcher(), local, connect.target());
    }

    /** For {@code configcheck}: the launcher the channels would run; nothing is started. */
    static void check(Connect connect) throws TransportException {
        launcher();
    }

    private static Path launcher() throws TransportException {
        String path = System.getProperty(LAUNCHER_PROPERTY);
        if (path == null || path.isEmpty()) {
            throw new TransportException("the local transport runs the sink's 'zreplj stdinserver' through the zreplj"
                    + " launcher, which did not start this process (no -D" + LAUNCHER_PROPERTY + "); run zreplj"
                    + " through its bin/zreplj");
        }
        Path launcher = Path.of(path);
        if (!Files.isExecutable(launcher)) {
            throw new TransportException("the local transport runs the sink's 'zreplj stdinserver' through " + launcher
                    + ", which is not an executable file (moved or upgraded while the agent ran?); restart the agent");
        }
        return launcher;
    }

    /** The child's command line; {@code command} (what an SSH client would send) plays no part. */
    List<String> command() {
        return List.of(
                launcher.toString(),
                "--config",
                local.configFile().toString(),
                "stdinserver",
                LOCAL_LISTENER_OPTION,
                local.listenerName(),
                local.clientIdentity());
    }

    @Override
    public synchronized SshChannel openChannel(String command, Duration timeout) throws TransportException {
        if (closed) {
            throw new TransportException("local transport to " + target + " is closed");
        }
        ProcessBuilder pb = new ProcessBuilder(command());
        SSH_SESSION_VARIABLES.forEach(pb.environment()::remove);
        Process process;
        try {
            process = pb.start();
        } catch (IOException e) {
            throw new TransportException("cannot start the local stdinserver (" + launcher + "): " + e.getMessage(), e);
        }
        children.add(process);
        RemoteStderr stderr = new RemoteStderr("local sink: ");
        Thread pump = OpenSshTransport.pump(process.getErrorStream(), stderr, "local-channel-stderr");
        return new LocalChannel(process, target, stderr, pump);
    }

    @Override
    public synchronized boolean isOpen() {
        return !closed;
    }

    @Override
    public String connectTarget() {
        return target;
    }

    /** Ends what is still running, as closing an SSH session ends its channels' forced commands. */
    @Override
    public synchronized void close() {
        closed = true;
        for (Process p : children) {
            if (p.isAlive()) {
                p.destroy();
            }
        }
        children.clear();
    }
}
