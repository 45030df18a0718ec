package dev.zreplj.ssh.testing;

import dev.zreplj.config.Connect;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The real OpenSSH sshd on 127.0.0.1 with its own config, host key, and one authorized_keys line holding a
 * forced command, plus a client key and a known_hosts file for it: the backup box as production sees it.
 */
public final class TestSshd implements AutoCloseable {
    public static final Path SSHD = Path.of("/usr/sbin/sshd");
    private static final Duration START_TIMEOUT = Duration.ofSeconds(15);

    /** Key types for client and host keys, as ssh-keygen names them. */
    public enum KeyType {
        ED25519("ed25519"),
        ECDSA("ecdsa"),
        RSA("rsa");

        final String keygenName;

        KeyType(String keygenName) {
            this.keygenName = keygenName;
        }
    }

    private final Path dir;
    private final Process process;
    private final int port;
    private final Path clientKey;
    private final Path knownHosts;
    private final Path hostKey;
    private final Path log;

    private TestSshd(Path dir, Process process, int port, Path clientKey, Path knownHosts, Path hostKey, Path log) {
        this.dir = dir;
        this.process = process;
        this.port = port;
        this.clientKey = clientKey;
        this.knownHosts = knownHosts;
        this.hostKey = hostKey;
        this.log = log;
    }

    /** sshd with an ed25519 client key and host key. */
    public static TestSshd start(Path dir, String forcedCommand) {
        return start(dir, forcedCommand, KeyType.ED25519, KeyType.ED25519);
    }

    /**
     * Starts sshd in {@code dir} (which must be empty or fresh). The forced command runs for every session,
     * through the user's shell, with SSH_ORIGINAL_COMMAND set to what the client asked for.
     */
    public static TestSshd start(Path dir, String forcedCommand, KeyType clientKeyType, KeyType hostKeyType) {
        if (!Files.isExecutable(SSHD)) {
            throw new IllegalStateException(
                    "openssh-server not installed: apt-get install openssh-server (" + SSHD + " is missing)");
        }
        if (forcedCommand.indexOf('"') >= 0 || forcedCommand.indexOf('\n') >= 0) {
            throw new IllegalArgumentException("forced command must not contain '\"' or a newline: " + forcedCommand);
        }
        try {
            // sshd refuses to start without its privilege separation directory; a fresh container lacks it.
            Files.createDirectories(Path.of("/run/sshd"));
            Path hostKey = keygen(dir.resolve("host_key"), hostKeyType, "test-host");
            Path clientKey = keygen(dir.resolve("client_key"), clientKeyType, "test-client");
            String clientPub = Files.readString(Path.of(clientKey + ".pub")).strip();
            Path authorizedKeys = dir.resolve("authorized_keys");
            Files.writeString(authorizedKeys, "command=\"" + forcedCommand + "\",restrict " + clientPub + "\n");
            int port = freePort();
            Path knownHosts = dir.resolve("known_hosts");
            Files.writeString(
                    knownHosts,
                    "[127.0.0.1]:" + port + " "
                            + Files.readString(Path.of(hostKey + ".pub")).strip() + "\n");
            Path config = dir.resolve("sshd_config");
            Files.writeString(
                    config,
                    String.join(
                            "\n",
                            "Port " + port,
                            "ListenAddress 127.0.0.1",
                            "HostKey " + hostKey,
                            "PidFile " + dir.resolve("sshd.pid"),
                            "AuthorizedKeysFile " + authorizedKeys,
                            // the test directory lives under /tmp, whose permissions StrictModes would reject
                            "StrictModes no",
                            "UsePAM no",
                            "PubkeyAuthentication yes",
                            "PasswordAuthentication no",
                            "KbdInteractiveAuthentication no",
                            "PermitRootLogin prohibit-password",
                            "LogLevel VERBOSE",
                            ""));
            Path log = dir.resolve("sshd.log");
            Process process = new ProcessBuilder(SSHD.toString(), "-D", "-e", "-f", config.toString())
                    .redirectErrorStream(true)
                    .redirectOutput(log.toFile())
                    .start();
            TestSshd sshd = new TestSshd(dir, process, port, clientKey, knownHosts, hostKey, log);
            sshd.awaitBanner();
            return sshd;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start test sshd in " + dir + ": " + e.getMessage(), e);
        }
    }

    /** Generates an unencrypted key pair at {@code path} (and path.pub). */
    public static Path keygen(Path path, KeyType type, String comment) throws IOException {
        List<String> command = new ArrayList<>(
                List.of("ssh-keygen", "-q", "-t", type.keygenName, "-N", "", "-C", comment, "-f", path.toString()));
        if (type == KeyType.RSA) command.addAll(List.of("-b", "3072"));
        run(command);
        return path;
    }

    /** Writes an executable shell script, e.g. to use as the forced command. */
    public static Path script(Path path, String body) throws IOException {
        Files.writeString(path, "#!/bin/sh\n" + body + "\n");
        Files.setPosixFilePermissions(path, PosixFilePermissions.fromString("rwxr-xr-x"));
        return path;
    }

    /** Connect settings for the agent: this server, the client key, its own known_hosts, strict policy. */
    public Connect connect() {
        return new Connect(
                "127.0.0.1",
                System.getProperty("user.name"),
                port,
                clientKey,
                List.of(),
                Duration.ofSeconds(10),
                knownHosts,
                Connect.HostKeyPolicy.STRICT,
                2);
    }

    public int port() {
        return port;
    }

    public Path clientKey() {
        return clientKey;
    }

    public Path knownHosts() {
        return knownHosts;
    }

    public Path hostKey() {
        return hostKey;
    }

    public Path dir() {
        return dir;
    }

    /** sshd's own log, for a failure message. */
    public String log() {
        try {
            return Files.readString(log, StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "(no sshd log: " + e.getMessage() + ")";
        }
    }

    /** Pid of the sshd listener. */
    public long pid() {
        return process.pid();
    }

    @Override
    public void close() {
        // sshd's per-connection children are in the same process tree; end them too.
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
        try {
            process.waitFor(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void awaitBanner() {
        long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException(
                        "test sshd exited with status " + process.exitValue() + " on start; its log:\n" + log());
            }
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress("127.0.0.1", port), 500);
                s.setSoTimeout(2000);
                InputStream in = s.getInputStream();
                byte[] banner = in.readNBytes(4);
                if (new String(banner, StandardCharsets.US_ASCII).equals("SSH-")) return;
            } catch (IOException notYet) {
                // not listening yet
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        close();
        throw new IllegalStateException("test sshd did not answer on 127.0.0.1:" + port + " within "
                + START_TIMEOUT.toSeconds() + " s; its log:\n" + log());
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    private static void run(List<String> command) throws IOException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        try {
            if (p.waitFor() != 0) {
                throw new IOException(
                        String.join(" ", command) + " failed (exit " + p.exitValue() + "): " + out.strip());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while running " + command.get(0), e);
        }
    }
}
