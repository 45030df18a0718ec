package dev.zreplj.ssh;

import dev.zreplj.config.Connect;
import dev.zreplj.config.SshOptions;
import dev.zreplj.protocol.Printable;
import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.UnknownHostException;
import java.nio.channels.UnresolvedAddressException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeoutException;
import java.util.regex.Pattern;
import org.apache.sshd.client.SshClient;
import org.apache.sshd.client.auth.pubkey.UserAuthPublicKeyFactory;
import org.apache.sshd.client.channel.ChannelExec;
import org.apache.sshd.client.config.hosts.HostConfigEntryResolver;
import org.apache.sshd.client.future.AuthFuture;
import org.apache.sshd.client.future.ConnectFuture;
import org.apache.sshd.client.future.OpenFuture;
import org.apache.sshd.client.session.ClientSession;
import org.apache.sshd.common.NamedResource;
import org.apache.sshd.common.SshConstants;
import org.apache.sshd.common.SshException;
import org.apache.sshd.common.cipher.BuiltinCiphers;
import org.apache.sshd.common.compression.BuiltinCompressions;
import org.apache.sshd.common.config.keys.FilePasswordProvider;
import org.apache.sshd.common.kex.KexProposalOption;
import org.apache.sshd.common.keyprovider.KeyIdentityProvider;
import org.apache.sshd.common.session.helpers.MissingAttachedSessionException;
import org.apache.sshd.common.util.io.resource.PathResource;
import org.apache.sshd.common.util.security.SecurityUtils;
import org.apache.sshd.core.CoreModuleProperties;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@link SshTransport} on Apache MINA SSHD's client, in the agent's JVM. Host keys are checked against known_hosts
 * ({@link HostKeyVerifier}); only public-key auth with the configured identity is tried.
 */
public final class MinaTransport implements SshTransport {
    private static final Logger LOG = LoggerFactory.getLogger(MinaTransport.class);

    /** AES-GCM runs on the JDK's intrinsics; MINA's own default would pick its far slower pure-Java chacha20. */
    static final List<String> CIPHER_PREFERENCE = List.of(
            BuiltinCiphers.aes128gcm.getName(), BuiltinCiphers.aes256gcm.getName(),
            BuiltinCiphers.aes128ctr.getName(), BuiltinCiphers.aes256ctr.getName());
    /** curve25519 first: about 125 ms quicker to connect than the post-quantum hybrids. */
    static final List<String> KEX_PREFERENCE = List.of("curve25519-sha256", "curve25519-sha256@libssh.org");
    /** {@code -Dzreplj.ssh.direct-writes=false}: MINA's own nio2 writes, each completion on a pool thread. */
    public static final String DIRECT_WRITES_PROPERTY = "zreplj.ssh.direct-writes";

    /** Far beyond any sensible replication.timeout: only a safety net under the watchdog. */
    static final Duration WINDOW_WAIT_LIMIT = Duration.ofDays(1);

    private final SshClient client;
    private final ClientSession session;
    private final String target;

    private MinaTransport(SshClient client, ClientSession session, String target) {
        this.client = client;
        this.session = session;
        this.target = target;
    }

    /** Connects and authenticates within the dial timeout, or fails with one clear line. */
    public static MinaTransport connect(Connect connect) throws TransportException {
        long started = System.nanoTime();
        int port = connect.port() > 0 ? connect.port() : 22;
        String target = connect.user() + "@" + connect.host() + ":" + port;
        LOG.debug("ssh: connecting to {}", target);
        SshOptions options = SshOptions.parse(connect.options());
        for (String ignored : options.ignored()) {
            LOG.warn(
                    "ssh: connect.options entry '{}' has no effect and is ignored ('zreplj configcheck' says why)",
                    ignored);
        }
        Duration dial = SshTransport.dialTimeout(connect, options);
        Path identity = connect.identityFile();
        if (identity == null) {
            throw new TransportException("ssh: connect.identity_file is not set; point it at the agent's private key");
        }
        IdentityFile.checkPermissions(identity);
        // Reading the key (on first use the EdDSA curve tables are built, about 0.2 s cold) runs beside starting
        // the client, the TCP connect and the key exchange; only auth needs it.
        CompletableFuture<KeyPair> key = new CompletableFuture<>();
        Thread keyReader = new Thread(
                () -> {
                    try {
                        key.complete(loadKey(identity));
                    } catch (TransportException | RuntimeException e) {
                        key.completeExceptionally(e);
                    }
                },
                "zreplj-ssh-key");
        keyReader.setDaemon(true);
        keyReader.start();
        KnownHosts knownHosts = new KnownHosts(
                connect.knownHosts() != null
                        ? connect.knownHosts()
                        : Path.of(System.getProperty("user.home"), ".ssh", "known_hosts"));
        HostKeyVerifier verifier = new HostKeyVerifier(
                knownHosts,
                connect.hostKeyPolicy() != null ? connect.hostKeyPolicy() : Connect.HostKeyPolicy.STRICT,
                connect.host(),
                port);

        SshClient client = SshClient.setUpDefaultClient();
        try {
            configure(client, options, dial, verifier, knownHosts.knownTypes(connect.host(), port));
        } catch (IOException e) {
            keyFailure(key);
            throw new TransportException(
                    "ssh: cannot read known_hosts file " + knownHosts.file() + ": " + e.getMessage(), e);
        }
        client.start();
        LOG.debug(
                "ssh: client ready in {} ms (key, security providers, client start)",
                (System.nanoTime() - started) / 1_000_000);
        long deadline = System.nanoTime() + dial.toNanos();
        ClientSession session = null;
        try {
            ConnectFuture connecting = client.connect(connect.user(), connect.host(), port);
            if (!connecting.await(dial)) {
                connecting.cancel();
                throw dialTimedOut(target, dial, null);
            }
            if (connecting.getException() != null)
                throw connectFailure(connecting.getException(), target, dial, verifier);
            session = connecting.getSession();
            session.addPublicKeyIdentity(loaded(key));
            AuthFuture auth = session.auth();
            Duration left = Duration.ofNanos(Math.max(deadline - System.nanoTime(), 1));
            if (!auth.await(left)) {
                throw verifier.refusal()
                        .map(why -> new TransportException("ssh: " + why))
                        .orElseGet(
                                () -> new TransportException("ssh: " + target + " accepted the connection but did not "
                                        + "complete the SSH handshake within " + seconds(dial)
                                        + " (dial_timeout); is it an SSH server, and is it overloaded?"));
            }
            if (!auth.isSuccess()) {
                throw verifier.refusal()
                        .map(why -> new TransportException("ssh: " + why))
                        .orElseGet(() -> authFailure(auth.getException(), target, identity));
            }
            MinaTransport transport = new MinaTransport(client, session, target);
            LOG.debug("ssh: connected to {} (kex {}, cipher {})", target, transport.keyExchange(), transport.cipher());
            return transport;
        } catch (TransportException e) {
            closeQuietly(session, client);
            keyFailure(key);
            throw e;
        } catch (IOException | RuntimeException e) {
            closeQuietly(session, client);
            keyFailure(key);
            throw connectFailure(e, target, dial, verifier);
        }
    }

    private static TransportException dialTimedOut(String target, Duration dial, Throwable cause) {
        return new TransportException(
                "ssh: connecting to " + target + " timed out after " + seconds(dial)
                        + " (dial_timeout); is the host reachable?",
                cause);
    }

    private static KeyPair loaded(CompletableFuture<KeyPair> key) throws TransportException {
        try {
            return key.join();
        } catch (CompletionException e) {
            if (e.getCause() instanceof TransportException t) throw t;
            if (e.getCause() instanceof RuntimeException r) throw r;
            throw e;
        }
    }

    /**
     * Throws the key's failure when reading it failed: a connect that fails as well (a host that is down, a
     * changed host key) gets the same answer as when the key was read first, the one the user can fix here.
     */
    private static void keyFailure(CompletableFuture<KeyPair> key) throws TransportException {
        loaded(key);
    }

    @Override
    public SshChannel openChannel(String command, Duration timeout) throws TransportException {
        try {
            ChannelExec channel = session.createExecChannel(command);
            RemoteStderr stderr = new RemoteStderr("remote " + connectTarget() + ": ");
            channel.setErr(stderr);
            channel.setRedirectErrorStream(false);
            OpenFuture opening = channel.open();
            if (!opening.await(timeout)) {
                channel.close(true);
                throw new TransportException("ssh: " + target + " did not open a channel for '" + command + "' within "
                        + timeout.toSeconds() + "s; cancelled");
            }
            if (!opening.isOpened()) {
                Throwable why = opening.getException();
                throw new TransportException(
                        "ssh: " + target + " did not open a channel for '" + command + "'"
                                + (why == null ? "" : ": " + oneLine(why)),
                        why);
            }
            return new MinaChannel(channel, target, stderr);
        } catch (TransportException e) {
            throw e;
        } catch (IOException | RuntimeException e) {
            if (!isOpen()) {
                // MINA's own words here name its channel and session objects; what happened is simpler.
                throw new TransportException(
                        "ssh: the connection to " + target + " closed while starting '" + command
                                + "' (the backup box or the link went away)",
                        e);
            }
            throw new TransportException("ssh: cannot start '" + command + "' on " + target + ": " + oneLine(e), e);
        }
    }

    @Override
    public boolean isOpen() {
        return session.isOpen() && !session.isClosing();
    }

    @Override
    public String connectTarget() {
        return target;
    }

    /** The negotiated client-to-server cipher, e.g. aes128-gcm@openssh.com. */
    public String cipher() {
        return session.getNegotiatedKexParameter(KexProposalOption.C2SENC);
    }

    /** The negotiated key exchange. */
    public String keyExchange() {
        return session.getNegotiatedKexParameter(KexProposalOption.ALGORITHMS);
    }

    @Override
    public void close() {
        closeQuietly(session, client);
    }

    static void configure(
            SshClient client,
            SshOptions options,
            Duration dial,
            HostKeyVerifier verifier,
            List<String> knownHostKeyTypes)
            throws TransportException {
        // No ~/.ssh/config, no default identities, no agent: only what the job's config says.
        client.setHostConfigEntryResolver(HostConfigEntryResolver.EMPTY);
        client.setKeyIdentityProvider(KeyIdentityProvider.EMPTY_KEYS_PROVIDER);
        client.setUserAuthFactories(List.of(UserAuthPublicKeyFactory.INSTANCE));
        client.setServerKeyVerifier(verifier);
        client.setRandomFactory(KeystreamRandom.FACTORY);
        // Packets written on the thread that sends them, without a hand-off per packet (DirectWriter); the
        // property turns it off, for a comparison or should it ever be the suspect.
        if (!"false".equals(System.getProperty(DIRECT_WRITES_PROPERTY))) {
            client.setIoServiceFactoryFactory(new DirectWriteIoServiceFactoryFactory());
        }

        client.setCipherFactories(choose(client.getCipherFactories(), options.ciphers(), CIPHER_PREFERENCE, "Ciphers"));
        client.setKeyExchangeFactories(
                choose(client.getKeyExchangeFactories(), options.kexAlgorithms(), KEX_PREFERENCE, "KexAlgorithms"));
        // Ask for a host key type known_hosts already has, so a server with several keys is not refused.
        client.setSignatureFactories(choose(
                client.getSignatureFactories(), List.of(), signatureNames(knownHostKeyTypes), "HostKeyAlgorithms"));
        client.setCompressionFactories(
                options.compression()
                        ? List.of(BuiltinCompressions.delayedZlib, BuiltinCompressions.none)
                        : List.of(BuiltinCompressions.none));

        CoreModuleProperties.IO_CONNECT_TIMEOUT.set(client, dial);
        // The replication watchdog (replication.timeout, 10m by default) decides when a channel has
        // stalled; MINA's own 30 s wait for window space would cut a busy box's receive long before.
        CoreModuleProperties.WAIT_FOR_SPACE_TIMEOUT.set(client, WINDOW_WAIT_LIMIT);
        Duration keepalive = options.keepaliveInterval().orElse(KEEPALIVE_INTERVAL);
        if (!keepalive.isZero()) {
            CoreModuleProperties.HEARTBEAT_INTERVAL.set(client, keepalive);
            CoreModuleProperties.HEARTBEAT_REPLY_WAIT.set(client, keepalive);
            CoreModuleProperties.HEARTBEAT_NO_REPLY_MAX.set(
                    client, options.keepaliveCountMax().orElse(KEEPALIVE_COUNT_MAX));
        }
    }

    private static List<String> signatureNames(List<String> keyTypes) {
        List<String> names = new ArrayList<>();
        for (String type : keyTypes) {
            if (type.equals("ssh-rsa")) names.addAll(List.of("rsa-sha2-512", "rsa-sha2-256"));
            names.add(type);
        }
        return names;
    }

    /**
     * The algorithms to offer for an ssh option's list ({@code spec}, as {@code Ciphers} or {@code KexAlgorithms}
     * give it), read as OpenSSH reads it: a plain list is just those, in that order; {@code +} appends to the
     * default, {@code ^} moves to its front, {@code -} removes (the only form with {@code *} and {@code ?}
     * patterns). The default is all of {@code available} with {@code preferred} first; the built-in client has
     * nothing beyond it for {@code +} to add. As for ssh, a name it does not know, outside a {@code -} list, is an
     * error, and so is a list that leaves nothing.
     */
    static <T extends NamedResource> List<T> choose(
            Collection<? extends T> available, List<String> spec, List<String> preferred, String what)
            throws TransportException {
        Map<String, T> byName = new LinkedHashMap<>();
        for (String name : preferred) {
            for (T t : available) {
                if (t.getName().equals(name)) byName.put(name, t);
            }
        }
        for (T t : available) byName.putIfAbsent(t.getName(), t);
        if (spec.isEmpty()) {
            return new ArrayList<>(byName.values());
        }
        char mode = spec.get(0).charAt(0);
        List<String> names = new ArrayList<>(spec);
        if (mode == '+' || mode == '-' || mode == '^') {
            names.set(0, names.get(0).substring(1));
        } else {
            mode = ' ';
        }
        String given = what + "=" + String.join(",", spec);
        if (mode == '-') {
            List<T> kept = new ArrayList<>();
            for (T t : byName.values()) {
                if (names.stream().noneMatch(pattern -> glob(pattern, t.getName()))) kept.add(t);
            }
            if (kept.isEmpty()) {
                throw new TransportException("ssh: " + given + " removes every algorithm the built-in client has ("
                        + String.join(",", byName.keySet()) + ")");
            }
            return kept;
        }
        List<T> listed = new ArrayList<>();
        for (String name : names) {
            T t = byName.get(name);
            if (t == null) {
                throw new TransportException("ssh: " + given + ": '" + name + "' is not supported by the built-in"
                        + " client; supported are " + String.join(",", byName.keySet())
                        + " (or set connect.ssh_client: openssh)");
            }
            if (!listed.contains(t)) listed.add(t);
        }
        if (mode == ' ') {
            return listed;
        }
        List<T> result = new ArrayList<>(mode == '^' ? listed : List.of());
        for (T t : byName.values()) {
            if (!result.contains(t)) result.add(t);
        }
        return result;
    }

    /** ssh's pattern match: {@code *} any run of characters, {@code ?} any one. */
    static boolean glob(String pattern, String name) {
        StringBuilder regex = new StringBuilder();
        for (char c : pattern.toCharArray()) {
            if (c == '*') regex.append(".*");
            else if (c == '?') regex.append('.');
            else regex.append(Pattern.quote(String.valueOf(c)));
        }
        return name.matches(regex.toString());
    }

    /**
     * configcheck's look at the options only a client can judge: the {@code Ciphers} and {@code KexAlgorithms}
     * lists against the algorithms this client has, without connecting.
     */
    static void check(Connect connect) throws TransportException {
        SshOptions options = SshOptions.parse(connect.options());
        if (options.ciphers().isEmpty() && options.kexAlgorithms().isEmpty()) {
            return;
        }
        SshClient client = SshClient.setUpDefaultClient();
        choose(client.getCipherFactories(), options.ciphers(), CIPHER_PREFERENCE, "Ciphers");
        choose(client.getKeyExchangeFactories(), options.kexAlgorithms(), KEX_PREFERENCE, "KexAlgorithms");
    }

    private static KeyPair loadKey(Path identity) throws TransportException {
        TransportException locked = new TransportException("ssh: identity file " + identity + " is protected by a"
                + " passphrase; zreplj runs unattended and needs a key without one (ssh-keygen -p -N '' -f " + identity
                + ")");
        FilePasswordProvider noPassphrase = (session, resource, retry) -> {
            throw locked;
        };
        try (InputStream in = Files.newInputStream(identity)) {
            Iterable<KeyPair> keys =
                    SecurityUtils.loadKeyPairIdentities(null, new PathResource(identity), in, noPassphrase);
            Iterator<KeyPair> it = keys == null ? null : keys.iterator();
            if (it == null || !it.hasNext()) {
                throw new TransportException("ssh: identity file " + identity + " holds no private key zreplj can read "
                        + "(expected an OpenSSH ed25519, ecdsa or rsa private key)");
            }
            return it.next();
        } catch (NoSuchFileException e) {
            throw new TransportException("ssh: identity file " + identity + " does not exist; create it with "
                    + "ssh-keygen -t ed25519 -N '' -f " + identity);
        } catch (TransportException e) {
            throw e;
        } catch (IOException | GeneralSecurityException | RuntimeException e) {
            TransportException passphrase = find(e, TransportException.class);
            if (passphrase != null) throw passphrase;
            // A PKCS#8-encrypted key fails before any passphrase is asked for ("BouncyCastle not registered").
            if (encryptedOnDisk(identity)) throw locked;
            throw new TransportException("ssh: cannot read identity file " + identity + ": " + oneLine(e), e);
        }
    }

    private static boolean encryptedOnDisk(Path identity) {
        try {
            return OpenSshTransport.encrypted(Files.readString(identity, StandardCharsets.ISO_8859_1));
        } catch (IOException e) {
            return false;
        }
    }

    static TransportException connectFailure(Throwable e, String target, Duration dial, HostKeyVerifier verifier) {
        if (verifier.refusal().isPresent())
            return new TransportException("ssh: " + verifier.refusal().get(), e);
        if (find(e, TimeoutException.class) != null) {
            // MINA's own connect timeout (IO_CONNECT_TIMEOUT, the dial timeout too) races our wait for the connect
            // and fails with a ConnectException around a TimeoutException: a host that drops the SYN (off the
            // network, a firewall) must not read as "connection refused".
            return dialTimedOut(target, dial, e);
        }
        if (find(e, MissingAttachedSessionException.class) != null) {
            // The TCP connection closed before the SSH session was set up (a box restarting, a proxy
            // whose target went away); MINA's message names its I/O session object.
            return new TransportException(
                    "ssh: the connection to " + target + " closed during the SSH handshake (the backup box or "
                            + "the link went away)",
                    e);
        }
        ConnectException notConnected = find(e, ConnectException.class);
        if (notConnected != null && String.valueOf(notConnected.getMessage()).contains("refused")) {
            return new TransportException(
                    "ssh: cannot connect to " + target + ": connection refused; is sshd running "
                            + "there and is the port right?",
                    e);
        }
        if (find(e, UnknownHostException.class) != null || find(e, UnresolvedAddressException.class) != null) {
            return new TransportException("ssh: cannot connect to " + target + ": unknown host name", e);
        }
        if (find(e, NoRouteToHostException.class) != null) {
            return new TransportException("ssh: cannot connect to " + target + ": no route to host", e);
        }
        return new TransportException("ssh: connection to " + target + " failed: " + oneLine(e), e);
    }

    /**
     * Blames the key only when the server refused it (MINA ran out of methods after the server's
     * USERAUTH_FAILURE); a connection that closed during authentication (a box restarting, a link cut)
     * says so, or the admin would go looking for a key problem that is not there.
     */
    static TransportException authFailure(Throwable e, String target, Path identity) {
        SshException ssh = e == null ? null : find(e, SshException.class);
        if (e != null
                && (ssh == null
                        || ssh.getDisconnectCode() != SshConstants.SSH2_DISCONNECT_NO_MORE_AUTH_METHODS_AVAILABLE)) {
            return new TransportException(
                    "ssh: the connection to " + target + " closed during authentication (the backup box or the link "
                            + "went away): " + oneLine(e),
                    e);
        }
        return new TransportException(
                "ssh: authentication to " + target + " with key " + identity + " failed: "
                        + "the server did not accept the key; is its public key (" + identity + ".pub) in the server's "
                        + "authorized_keys for that user?",
                e);
    }

    private static <X extends Throwable> X find(Throwable e, Class<X> type) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (type.isInstance(t)) return type.cast(t);
            if (t.getCause() == t) break;
        }
        return null;
    }

    private static String oneLine(Throwable e) {
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) root = root.getCause();
        String message =
                root.getMessage() != null ? root.getMessage() : root.getClass().getSimpleName();
        // MINA quotes what the server sent (its identification line), before any host key is checked: the peer's
        // text, which goes into the job's failure line, status file and journal, so it is escaped as the box's is.
        return Printable.of(message.replace('\n', ' ').strip());
    }

    private static String seconds(Duration d) {
        return d.toMillis() % 1000 == 0 ? d.toSeconds() + " s" : d.toMillis() + " ms";
    }

    private static void closeQuietly(ClientSession session, SshClient client) {
        try {
            if (session != null) session.close(true);
        } finally {
            client.stop();
        }
    }
}
