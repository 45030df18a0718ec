package dev.zreplj.ssh;

import dev.zreplj.config.Connect;
import dev.zreplj.config.SshOptions;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@link SshTransport} on OpenSSH's {@code ssh}: one ControlMaster process holds the session, each channel
 * is an {@code ssh -S} process whose stdin and stdout the master reads and writes directly (it is handed the
 * file descriptors), so a stream's bytes are encrypted and sent at OpenSSH's cost, not the JVM's.
 *
 * <p>Neither {@code ~/.ssh/config} nor {@code /etc/ssh/ssh_config} is read ({@code -F /dev/null}): as with
 * the built-in client, only the job's config counts. The options that carry its security promises (host
 * keys from {@code connect.known_hosts} under {@code host_key_policy}, only {@code identity_file}, no
 * agent, no prompt) come first on the command line, and ssh takes the first value it is given for each,
 * so nothing in {@code connect.options} can loosen them.
 */
final class OpenSshTransport implements SshTransport {
    private static final Logger LOG = LoggerFactory.getLogger(OpenSshTransport.class);

    /** The {@code ssh} to run; a test or an unusual install may point it elsewhere. */
    static final String SSH_PROPERTY = "zreplj.ssh.openssh-command";

    /**
     * Whether a channel's stdin is a FIFO that {@code zfs send} can write a stream into directly (RECV_RAW);
     * {@code -Dzreplj.ssh.openssh-handoff=false} keeps every stream in frames through the agent, for comparison.
     */
    private static final boolean HANDOFF = !"false".equals(System.getProperty("zreplj.ssh.openssh-handoff"));

    /**
     * Runs the master ({@code "$@"}) so that it ends with the agent: a reader waits on the pipe the agent holds
     * open as the wrapper's stdin and stops the master when it closes, as it does when the agent exits,
     * crashes or is killed. A master of a dead agent would otherwise hold its session to the box forever
     * (cron gives no cgroup to clean up). The wrapper ends with the master and exits with its status. Its first
     * argument is the control directory, removed when the master has ended, with a socket a killed master left:
     * after a crash of the agent nothing remains in /tmp (the agent removes it itself when it closes).
     */
    static final String MASTER_WRAPPER = "d=$1; shift; exec 3<&0 </dev/null; \"$@\" & p=$!;"
            + " { read -r _ <&3; kill $p 2>/dev/null; } & wait $p; s=$?; rm -f \"$d\"/s \"$d\"/c[0-9]*; rmdir \"$d\" 2>/dev/null; exit $s";

    private static final Duration POLL = Duration.ofMillis(5);

    private final Process master;
    private final Path controlDir;
    private final List<String> common;
    private final String host;
    private final String target;
    private final RemoteStderr masterStderr;
    private final Thread masterPump;
    /** Numbers the channels' FIFOs. */
    private final AtomicInteger channels = new AtomicInteger();

    private OpenSshTransport(
            Process master,
            Path controlDir,
            List<String> common,
            String host,
            String target,
            RemoteStderr stderr,
            Thread pump) {
        this.masterPump = pump;
        this.master = master;
        this.controlDir = controlDir;
        this.common = common;
        this.host = host;
        this.target = target;
        this.masterStderr = stderr;
    }

    static OpenSshTransport connect(Connect connect) throws TransportException {
        int port = connect.port() > 0 ? connect.port() : 22;
        String target = connect.user() + "@" + connect.host() + ":" + port;
        SshOptions options = SshOptions.parse(connect.options());
        Duration dial = SshTransport.dialTimeout(connect, options);
        Path identity = connect.identityFile();
        if (identity == null) {
            throw new TransportException("ssh: connect.identity_file is not set; point it at the agent's private key");
        }
        String ssh = sshCommand();
        IdentityFile.checkPermissions(identity);
        checkKey(identity);
        Path knownHosts = connect.knownHosts() != null
                ? connect.knownHosts()
                : Path.of(System.getProperty("user.home"), ".ssh", "known_hosts");
        Connect.HostKeyPolicy policy =
                connect.hostKeyPolicy() != null ? connect.hostKeyPolicy() : Connect.HostKeyPolicy.STRICT;
        Path controlDir;
        String notAccepted = null;
        try {
            if (policy == Connect.HostKeyPolicy.ACCEPT_NEW && knownHosts.getParent() != null) {
                // ssh records the new key but does not create the directory; without it the key would go unrecorded.
                Files.createDirectories(knownHosts.getParent());
            }
            if (policy == Connect.HostKeyPolicy.ACCEPT_NEW) {
                notAccepted = whyNoNewKey(knownHosts, connect.host(), port);
                if (notAccepted != null) {
                    // As the built-in client: a key already recorded still counts, a new one is refused.
                    policy = Connect.HostKeyPolicy.STRICT;
                }
            }
            controlDir = Files.createTempDirectory(
                    "zreplj-ssh-", PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        } catch (IOException e) {
            throw new TransportException("ssh: cannot prepare the OpenSSH client: " + e.getMessage(), e);
        }
        List<String> common = commonArguments(ssh, connect, port, dial, identity, knownHosts, policy, controlDir);
        List<String> command = new ArrayList<>(List.of("/bin/sh", "-c", MASTER_WRAPPER, "sh", controlDir.toString()));
        command.addAll(common);
        command.addAll(List.of("-M", "-N", "-o", "ControlPersist=no", "--", connect.host()));
        LOG.debug("ssh: starting {}", String.join(" ", command));
        RemoteStderr stderr = new RemoteStderr("ssh " + target + ": ");
        Process master;
        try {
            master = new ProcessBuilder(command)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                    .start();
        } catch (IOException e) {
            deleteQuietly(controlDir);
            throw new TransportException("ssh: cannot start /bin/sh to run ssh: " + e.getMessage(), e);
        }
        Thread pump = pump(master.getErrorStream(), stderr, "ssh-master-stderr");
        OpenSshTransport transport =
                new OpenSshTransport(master, controlDir, common, connect.host(), target, stderr, pump);
        try {
            transport.awaitMaster(dial, identity, knownHosts, notAccepted);
        } catch (TransportException | RuntimeException e) {
            transport.close();
            throw e;
        }
        return transport;
    }

    /**
     * What every ssh process of this session is started with: the session's fixed options first (ssh keeps
     * the first value of each), then the job's {@code options}, then zreplj's defaults for the tunables.
     */
    static List<String> commonArguments(
            String ssh,
            Connect connect,
            int port,
            Duration dial,
            Path identity,
            Path knownHosts,
            Connect.HostKeyPolicy policy,
            Path controlDir) {
        List<String> a = new ArrayList<>(List.of(ssh, "-F", "/dev/null", "-T"));
        option(a, "BatchMode", "yes");
        option(a, "StrictHostKeyChecking", policy == Connect.HostKeyPolicy.ACCEPT_NEW ? "accept-new" : "yes");
        option(a, "UserKnownHostsFile", quoted(knownHosts.toString()));
        option(a, "GlobalKnownHostsFile", "/dev/null");
        option(a, "UpdateHostKeys", "no");
        option(a, "CheckHostIP", "no");
        option(a, "HashKnownHosts", "no");
        option(a, "IdentityFile", quoted(identity.toString()));
        option(a, "IdentitiesOnly", "yes");
        option(a, "IdentityAgent", "none");
        option(a, "PasswordAuthentication", "no");
        option(a, "KbdInteractiveAuthentication", "no");
        option(a, "ControlPath", quoted(controlDir.resolve("s").toString()));
        option(a, "ConnectTimeout", Long.toString(Math.max(1, (dial.toMillis() + 999) / 1000)));
        option(a, "User", connect.user());
        option(a, "Port", Integer.toString(port));
        for (String o : connect.options()) {
            if (!SshOptions.OPENSSH_FIXED.contains(SshOptions.key(o).toLowerCase(Locale.ROOT))) {
                a.add("-o");
                a.add(o);
            }
        }
        // AES-GCM runs on AES-NI; ssh's own first choice, chacha20, costs about half again as much CPU here.
        option(a, "Ciphers", "^aes128-gcm@openssh.com,aes256-gcm@openssh.com");
        // curve25519 first: about 125 ms quicker to connect than the post-quantum hybrid.
        option(a, "KexAlgorithms", "^curve25519-sha256,curve25519-sha256@libssh.org");
        option(a, "ServerAliveInterval", Long.toString(KEEPALIVE_INTERVAL.toSeconds()));
        option(a, "ServerAliveCountMax", Integer.toString(KEEPALIVE_COUNT_MAX));
        return List.copyOf(a);
    }

    /**
     * What would fail at every connect, found without connecting: no {@code ssh} to run, or options ssh
     * refuses ({@code ssh -G} reads them as a connect would and prints the result, or why not).
     */
    static void check(Connect connect) throws TransportException {
        String ssh = sshCommand();
        int port = connect.port() > 0 ? connect.port() : 22;
        List<String> command = new ArrayList<>(commonArguments(
                ssh,
                connect,
                port,
                DEFAULT_DIAL_TIMEOUT,
                connect.identityFile() != null ? connect.identityFile() : Path.of("/dev/null"),
                connect.knownHosts() != null ? connect.knownHosts() : Path.of("/dev/null"),
                connect.hostKeyPolicy() != null ? connect.hostKeyPolicy() : Connect.HostKeyPolicy.STRICT,
                Path.of("/nonexistent")));
        command.addAll(List.of("-G", "--", connect.host()));
        String err;
        int exit;
        try {
            Process p = new ProcessBuilder(command)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                    .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                    .start();
            err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            if (!p.waitFor(10, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return; // ssh -G does not connect; a hang is not the config's fault
            }
            exit = p.exitValue();
        } catch (IOException e) {
            throw new TransportException("ssh: cannot run " + ssh + " -G: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new TransportException("ssh: interrupted while checking the connect settings with " + ssh + " -G");
        }
        if (exit != 0) {
            String last = err.isEmpty()
                    ? "exit " + exit
                    : err.lines().reduce((a, b) -> b).orElse(err);
            throw new TransportException("ssh: ssh refuses this job's connect settings: " + last);
        }
    }

    /** The ssh to run (PATH's, or the one {@link #SSH_PROPERTY} names), or why there is none. */
    private static String sshCommand() throws TransportException {
        String ssh = System.getProperty(SSH_PROPERTY, "ssh");
        if (!runnable(ssh)) {
            throw new TransportException("ssh: connect.ssh_client is openssh but there is no '" + ssh + "' to run"
                    + (ssh.contains("/") ? "" : " on PATH") + "; install openssh-client or set ssh_client: builtin");
        }
        return ssh;
    }

    /** An executable file at {@code command}, or (a bare name) in a directory of PATH. */
    static boolean runnable(String command) {
        if (command.contains("/")) return Files.isExecutable(Path.of(command));
        String path = System.getenv("PATH");
        for (String d : (path == null ? "/usr/bin:/bin" : path).split(":")) {
            if (!d.isEmpty() && Files.isExecutable(Path.of(d, command))) return true;
        }
        return false;
    }

    private static void option(List<String> args, String key, String value) {
        args.add("-o");
        args.add(key + "=" + value);
    }

    /** A path with spaces stays one value in ssh's own option parsing. */
    private static String quoted(String path) {
        return path.indexOf(' ') >= 0 || path.indexOf('\t') >= 0 ? "\"" + path + "\"" : path;
    }

    /**
     * Waits until the master listens on its control socket (ssh creates it only after authentication) or
     * ends; an ended master is explained from what it wrote on stderr.
     */
    /**
     * Why accept-new must not take a new key here, or null: ssh connects even where it cannot record the key (it
     * only says so), which would take any key at every pass; and a host trusted through a {@code @cert-authority}
     * would be trusted through a plain key as well.
     */
    static String whyNoNewKey(Path knownHosts, String host, int port) throws IOException {
        if (new KnownHosts(knownHosts).certificateAuthorityFor(host, port)) {
            return knownHosts + " trusts " + KnownHosts.lookupName(host, port) + " through a @cert-authority, and a"
                    + " plain key taken as new would bypass it";
        }
        Path writable = Files.exists(knownHosts, LinkOption.NOFOLLOW_LINKS) ? knownHosts : knownHosts.getParent();
        if (writable != null && !Files.isWritable(writable)) {
            return "connect.host_key_policy accept-new cannot record a new key in " + knownHosts + " (" + writable
                    + " is not writable; under the shipped units only /etc/zreplj/ssh is)";
        }
        return null;
    }

    private void awaitMaster(Duration dial, Path identity, Path knownHosts, String notAccepted)
            throws TransportException {
        Path socket = controlDir.resolve("s");
        // ssh's ConnectTimeout bounds the TCP connect and the banner; the key exchange and auth after it get
        // a second dial timeout of their own here, as under the built-in client's single deadline plus margin.
        long deadline = System.nanoTime() + dial.toNanos() * 2;
        while (!Files.exists(socket)) {
            if (!master.isAlive()) {
                awaitQuietly(masterPump);
                throw failure(masterStderr.lastLines(), target, identity, knownHosts, dial, notAccepted);
            }
            if (System.nanoTime() > deadline) {
                throw new TransportException("ssh: " + target + " accepted the connection but did not complete the SSH "
                        + "handshake within " + seconds(dial) + " (dial_timeout); is it an SSH server, and is it "
                        + "overloaded?");
            }
            try {
                master.waitFor(POLL.toMillis(), TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new TransportException("ssh: interrupted while connecting to " + target);
            }
        }
        LOG.debug("ssh: OpenSSH control master for {} is up", target);
    }

    /** ssh's own words turned into the line an admin acts on; its last line when none of them fits. */
    static TransportException failure(
            List<String> lines, String target, Path identity, Path knownHosts, Duration dial) {
        return failure(lines, target, identity, knownHosts, dial, null);
    }

    /** @param notAccepted why accept-new took no new key (see {@link #whyNoNewKey}), or null */
    static TransportException failure(
            List<String> lines, String target, Path identity, Path knownHosts, Duration dial, String notAccepted) {
        String all = String.join("\n", lines);
        String hostPort = target.substring(target.indexOf('@') + 1);
        String host = hostPort.substring(0, hostPort.lastIndexOf(':'));
        String port = hostPort.substring(hostPort.lastIndexOf(':') + 1);
        String keyscanName = port.equals("22") ? host : "-p " + port + " " + host;
        String entryName = port.equals("22") ? host : "[" + host + "]:" + port;
        if (all.contains("REMOTE HOST IDENTIFICATION HAS CHANGED")
                || (all.contains("Host key for") && all.contains("has changed"))) {
            return new TransportException("ssh: HOST KEY OF " + hostPort + " HAS CHANGED: " + knownHosts
                    + " records another key; this may be a man-in-the-middle attack and is refused under every"
                    + " host_key_policy, accept-new included; if the change is expected, remove the old entry with"
                    + " 'ssh-keygen -R \"" + entryName + "\" -f " + knownHosts + "' and add the new one");
        }
        // Only the master's last lines are kept, so the banner may be gone: "TYPE host key for HOST was revoked".
        if (all.contains("REVOKED HOST KEY DETECTED") || all.contains(" was revoked and you have requested strict")) {
            return new TransportException("ssh: host key of " + hostPort + " is marked @revoked in " + knownHosts
                    + "; refused under every host_key_policy");
        }
        if (all.contains("Host key verification failed")
                || (all.contains("No ") && all.contains("host key is known"))) {
            if (notAccepted != null) {
                return new TransportException("ssh: host key of " + hostPort + " is not known (not in " + knownHosts
                        + "), and accept-new takes no new key here: " + notAccepted);
            }
            return new TransportException("ssh: host key of " + hostPort + " is not known (not in " + knownHosts
                    + "); check the fingerprint and add it with 'ssh-keyscan " + keyscanName + " >> " + knownHosts
                    + "', or set connect.host_key_policy: accept-new");
        }
        if (all.contains("Permission denied")) {
            return new TransportException("ssh: authentication to " + target + " with key " + identity
                    + " failed: the server did not accept the key; is its public key (" + identity
                    + ".pub) in the server's authorized_keys for that user?");
        }
        if (all.contains("Connection refused")) {
            return new TransportException("ssh: cannot connect to " + target + ": connection refused; is sshd running "
                    + "there and is the port right?");
        }
        if (all.contains("Could not resolve hostname")) {
            return new TransportException("ssh: cannot connect to " + target + ": unknown host name");
        }
        if (all.contains("No route to host")) {
            return new TransportException("ssh: cannot connect to " + target + ": no route to host");
        }
        if (all.contains("timed out during banner exchange")) {
            return new TransportException("ssh: " + target + " accepted the connection but did not complete the SSH "
                    + "handshake within " + seconds(dial) + " (dial_timeout); is it an SSH server, and is it "
                    + "overloaded?");
        }
        if (all.contains("Connection timed out") || all.contains("Operation timed out")) {
            return new TransportException("ssh: connecting to " + target + " timed out after " + seconds(dial)
                    + " (dial_timeout); is the host reachable?");
        }
        if (all.contains("closed by remote host") || all.contains("Connection reset")) {
            return new TransportException("ssh: the connection to " + target
                    + " closed during the SSH handshake (the backup box or the link went away)");
        }
        String last = lines.isEmpty() ? "ssh ended without saying why" : lines.get(lines.size() - 1);
        return new TransportException("ssh: connection to " + target + " failed: " + last);
    }

    /**
     * A key ssh could only use with a passphrase fails auth silently under BatchMode; this says why first.
     * Only the OpenSSH and PEM formats are looked into; anything else is left to ssh.
     */
    static void checkKey(Path identity) throws TransportException {
        String text;
        try {
            text = Files.readString(identity, StandardCharsets.ISO_8859_1);
        } catch (NoSuchFileException e) {
            throw new TransportException("ssh: identity file " + identity + " does not exist; create it with "
                    + "ssh-keygen -t ed25519 -N '' -f " + identity);
        } catch (IOException e) {
            throw new TransportException("ssh: cannot read identity file " + identity + ": " + e.getMessage(), e);
        }
        if (!encrypted(text)) return;
        throw new TransportException("ssh: identity file " + identity + " is protected by a passphrase; "
                + "zreplj runs unattended and needs a key without one (ssh-keygen -p -N '' -f " + identity + ")");
    }

    static boolean encrypted(String text) {
        if (text.contains("Proc-Type: 4,ENCRYPTED") || text.contains("BEGIN ENCRYPTED PRIVATE KEY")) return true;
        String begin = "-----BEGIN OPENSSH PRIVATE KEY-----";
        int start = text.indexOf(begin);
        int end = text.indexOf("-----END OPENSSH PRIVATE KEY-----");
        if (start < 0 || end < start) return false;
        byte[] blob;
        try {
            blob = Base64.getMimeDecoder().decode(text.substring(start + begin.length(), end));
        } catch (IllegalArgumentException e) {
            return false;
        }
        // "openssh-key-v1\0", then the cipher name as an SSH string: "none" for a key without passphrase.
        byte[] magic = "openssh-key-v1\0".getBytes(StandardCharsets.US_ASCII);
        if (blob.length < magic.length + 4) return false;
        for (int i = 0; i < magic.length; i++) if (blob[i] != magic[i]) return false;
        int p = magic.length;
        int len = ((blob[p] & 0xff) << 24)
                | ((blob[p + 1] & 0xff) << 16)
                | ((blob[p + 2] & 0xff) << 8)
                | (blob[p + 3] & 0xff);
        if (len < 0 || p + 4 + len > blob.length) return false;
        return !new String(blob, p + 4, len, StandardCharsets.US_ASCII).equals("none");
    }

    @Override
    public SshChannel openChannel(String command, Duration timeout) throws TransportException {
        if (!isOpen()) {
            throw new TransportException("ssh: the connection to " + target + " closed while starting '" + command
                    + "' (the backup box or the link went away)");
        }
        List<String> args = new ArrayList<>(common);
        // Only the master's socket: should it be gone, ssh would otherwise connect on its own.
        args.addAll(List.of("-o", "ControlMaster=no", "-o", "LogLevel=ERROR", "--", host, command));
        Path fifo = HANDOFF ? fifo() : null;
        Process process;
        ChannelFifo input = null;
        try {
            if (fifo != null) {
                input = ChannelFifo.open(fifo, new ProcessBuilder(args));
                process = input.reader();
            } else {
                process = new ProcessBuilder(args).start();
            }
        } catch (IOException e) {
            if (fifo != null) deleteQuietly(fifo);
            throw new TransportException("ssh: cannot start '" + command + "' on " + target + ": " + e.getMessage(), e);
        }
        RemoteStderr stderr = new RemoteStderr("remote " + target + ": ");
        Thread pump = pump(process.getErrorStream(), stderr, "ssh-channel-stderr");
        // The master opens the channel on its own; a box that never does is caught by the handshake's watchdog.
        return new OpenSshChannel(process, target, stderr, pump, input);
    }

    /**
     * A new FIFO in the control directory (mode 0700, so no other user can write into a stream through it) for
     * a channel's stdin; null when none can be made, and the channel then gets a pipe as before.
     */
    private Path fifo() {
        Path fifo = controlDir.resolve("c" + channels.incrementAndGet());
        try {
            Process mkfifo = new ProcessBuilder("mkfifo", "-m", "600", fifo.toString())
                    .redirectErrorStream(true)
                    .start();
            String out = new String(mkfifo.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            if (mkfifo.waitFor() == 0) {
                return fifo;
            }
            LOG.debug("mkfifo {}: {}; the channel's stream goes through the agent", fifo, out);
        } catch (IOException e) {
            LOG.debug("mkfifo {}: {}; the channel's stream goes through the agent", fifo, e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return null;
    }

    @Override
    public boolean isOpen() {
        return master.isAlive() && Files.exists(controlDir.resolve("s"));
    }

    @Override
    public String connectTarget() {
        return target;
    }

    @Override
    public void close() {
        // The wrapper's reader sees EOF and sends the master SIGTERM: it closes its channels and the session,
        // and removes its socket.
        try {
            master.getOutputStream().close();
        } catch (IOException e) {
            master.destroy();
        }
        try {
            if (!master.waitFor(5, TimeUnit.SECONDS)) master.destroyForcibly();
        } catch (InterruptedException e) {
            master.destroyForcibly();
            Thread.currentThread().interrupt();
        }
        deleteQuietly(controlDir);
    }

    /** Waits a moment for a stderr pump to take a dead child's last words. */
    static void awaitQuietly(Thread pump) {
        try {
            pump.join(1000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Copies a child's stderr into {@code sink} on a daemon thread, until the child closes it. */
    static Thread pump(InputStream from, RemoteStderr sink, String name) {
        Thread t = new Thread(
                () -> {
                    byte[] buf = new byte[4096];
                    try (from) {
                        for (int n; (n = from.read(buf)) > 0; ) sink.write(buf, 0, n);
                    } catch (IOException e) {
                        // The child is gone; what it said so far is kept.
                    } finally {
                        sink.close();
                    }
                },
                name);
        t.setDaemon(true);
        t.start();
        return t;
    }

    private static String seconds(Duration d) {
        return d.toMillis() % 1000 == 0 ? d.toSeconds() + " s" : d.toMillis() + " ms";
    }

    private static void deleteQuietly(Path dir) {
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        } catch (IOException e) {
            LOG.debug("ssh: cannot remove {}: {}", dir, e.getMessage());
        }
    }
}
