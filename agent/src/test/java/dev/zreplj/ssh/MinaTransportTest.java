package dev.zreplj.ssh;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.zreplj.config.Connect;
import dev.zreplj.config.SshOptions;
import java.net.ConnectException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeoutException;
import org.apache.sshd.client.SshClient;
import org.apache.sshd.common.NamedResource;
import org.apache.sshd.common.SshConstants;
import org.apache.sshd.common.SshException;
import org.apache.sshd.common.session.helpers.MissingAttachedSessionException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class MinaTransportTest {
    @TempDir
    Path dir;

    private record Named(String getName) implements NamedResource {}

    private static List<String> names(List<Named> list) {
        return list.stream().map(Named::getName).toList();
    }

    private static final List<Named> AVAILABLE =
            List.of(new Named("a"), new Named("b"), new Named("c"), new Named("d"));

    /** Each packet's padding from the AES-CTR keystream, not a NativePRNG step per packet (bench/RESULTS.md). */
    @Test
    void sessionsTakeTheirRandomBytesFromTheKeystream() throws Exception {
        SshClient client = SshClient.setUpDefaultClient();
        MinaTransport.configure(
                client,
                SshOptions.parse(List.of()),
                Duration.ofSeconds(10),
                new HostKeyVerifier(
                        new KnownHosts(dir.resolve("known_hosts")), Connect.HostKeyPolicy.STRICT, "box", 22),
                List.of());
        assertSame(KeystreamRandom.FACTORY, client.getRandomFactory());
    }

    @Test
    void preferredNamesMoveToTheFrontAndTheRestKeepTheirOrder() throws Exception {
        assertEquals(
                List.of("c", "a", "b", "d"),
                names(MinaTransport.choose(AVAILABLE, List.of(), List.of("c", "x", "a"), "X")));
    }

    @Test
    void aPlainListIsJustThoseInThatOrder() throws Exception {
        assertEquals(List.of("d", "b"), names(MinaTransport.choose(AVAILABLE, List.of("d", "b"), List.of("a"), "X")));
    }

    /** OpenSSH's list syntax (ssh_config(5), Ciphers): +append, ^front, -remove with patterns. */
    @Test
    void plusCaretAndMinusChangeTheDefaultAsOpenSshDoes() throws Exception {
        assertEquals(
                List.of("c", "a", "b", "d"), names(MinaTransport.choose(AVAILABLE, List.of("+b"), List.of("c"), "X")));
        assertEquals(
                List.of("d", "b", "c", "a"),
                names(MinaTransport.choose(AVAILABLE, List.of("^d", "b"), List.of("c"), "X")));
        assertEquals(
                List.of("c", "d"), names(MinaTransport.choose(AVAILABLE, List.of("-a", "b", "zz"), List.of("c"), "X")));
        List<Named> real =
                List.of(new Named("aes128-cbc"), new Named("aes256-cbc"), new Named("aes128-gcm@openssh.com"));
        assertEquals(
                List.of("aes128-gcm@openssh.com"),
                names(MinaTransport.choose(real, List.of("-*-cbc"), List.of(), "X")));
        assertEquals(List.of("aes256-cbc"), names(MinaTransport.choose(real, List.of("-a?s128*"), List.of(), "X")));
    }

    /** ssh refuses a name it does not know ("Bad SSH2 cipher spec") in every form but a '-' list. */
    @Test
    void aNameTheClientDoesNotHaveIsAnErrorAsInSsh() {
        for (List<String> spec : List.of(List.of("zz"), List.of("d", "zz"), List.of("+zz"), List.of("^b", "zz"))) {
            TransportException e = assertThrows(
                    TransportException.class, () -> MinaTransport.choose(AVAILABLE, spec, List.of(), "Ciphers"));
            assertEquals(
                    "ssh: Ciphers=" + String.join(",", spec) + ": 'zz' is not supported by the built-in client;"
                            + " supported are a,b,c,d (or set connect.ssh_client: openssh)",
                    e.getMessage());
        }
        TransportException all = assertThrows(
                TransportException.class, () -> MinaTransport.choose(AVAILABLE, List.of("-*"), List.of(), "Ciphers"));
        assertEquals("ssh: Ciphers=-* removes every algorithm the built-in client has (a,b,c,d)", all.getMessage());
    }

    @Test
    void onlyARefusedKeyIsBlamedOnTheKeyAConnectionThatClosedSaysSo() {
        Path id = Path.of("/k/id");
        String keyBlamed = "ssh: authentication to u@h:22 with key /k/id failed: the server did not accept the key; "
                + "is its public key (/k/id.pub) in the server's authorized_keys for that user?";
        SshException refused = new SshException(
                SshConstants.SSH2_DISCONNECT_NO_MORE_AUTH_METHODS_AVAILABLE,
                "No more authentication methods available");
        assertEquals(keyBlamed, MinaTransport.authFailure(refused, "u@h:22", id).getMessage());
        assertEquals(keyBlamed, MinaTransport.authFailure(null, "u@h:22", id).getMessage());
        assertEquals(
                "ssh: the connection to u@h:22 closed during authentication (the backup box or the link went away): "
                        + "Session is being closed",
                MinaTransport.authFailure(new SshException("Session is being closed"), "u@h:22", id)
                        .getMessage());
    }

    @Test
    void aConnectionThatClosesBeforeItsSessionIsSetUpSaysSoWithoutMinasObjects() {
        HostKeyVerifier verifier =
                new HostKeyVerifier(new KnownHosts(dir.resolve("kh")), Connect.HostKeyPolicy.STRICT, "h", 22);
        TransportException e = MinaTransport.connectFailure(
                new MissingAttachedSessionException("No session attached to DirectWriteNioNSession[local=/1.2.3.4:5]"),
                "u@h:22",
                Duration.ofSeconds(10),
                verifier);
        assertEquals(
                "ssh: the connection to u@h:22 closed during the SSH handshake (the backup box or the link went away)",
                e.getMessage());
    }

    @Test
    void minasOwnConnectTimeoutReadsAsATimeoutNotAsARefusal() {
        // A host that drops the SYN (a laptop off its network, a firewall): MINA's IO_CONNECT_TIMEOUT fires
        // as often as our own wait does, with a ConnectException around a TimeoutException.
        HostKeyVerifier verifier =
                new HostKeyVerifier(new KnownHosts(dir.resolve("kh")), Connect.HostKeyPolicy.STRICT, "h", 22);
        ConnectException minaTimeout = new ConnectException("I/O connection time-out of 10000ms expired");
        minaTimeout.initCause(new TimeoutException());
        assertEquals(
                "ssh: connecting to u@h:22 timed out after 10 s (dial_timeout); is the host reachable?",
                MinaTransport.connectFailure(minaTimeout, "u@h:22", Duration.ofSeconds(10), verifier)
                        .getMessage());
        // The kernel's own timeout, past a dial_timeout longer than its SYN retries: not a refusal either.
        assertEquals(
                "ssh: connection to u@h:22 failed: Connection timed out",
                MinaTransport.connectFailure(
                                new ConnectException("Connection timed out"),
                                "u@h:22",
                                Duration.ofSeconds(300),
                                verifier)
                        .getMessage());
        assertEquals(
                "ssh: cannot connect to u@h:22: connection refused; is sshd running there and is the port right?",
                MinaTransport.connectFailure(
                                new ConnectException("Connection refused"), "u@h:22", Duration.ofSeconds(10), verifier)
                        .getMessage());
    }

    private Connect connect(Path identity) {
        return new Connect(
                "127.0.0.1",
                "u",
                1,
                identity,
                List.of(),
                Duration.ofSeconds(1),
                dir.resolve("kh"),
                Connect.HostKeyPolicy.STRICT,
                1);
    }

    @Test
    void missingIdentityFileSaysHowToCreateOne() {
        Path key = dir.resolve("nokey");
        TransportException e = assertThrows(TransportException.class, () -> MinaTransport.connect(connect(key)));
        assertEquals(
                "ssh: identity file " + key + " does not exist; create it with ssh-keygen -t ed25519 -N '' -f " + key,
                e.getMessage());
    }

    /** OpenSSH's own format, and PKCS#8 (ssh-keygen -m PKCS8), which read "BouncyCastle not registered" before. */
    @ParameterizedTest
    @ValueSource(strings = {"RFC4716", "PKCS8"})
    void passphraseProtectedKeyIsRefusedWithAHint(String format) throws Exception {
        Path key = dir.resolve("locked");
        List<String> keygen =
                new ArrayList<>(List.of("ssh-keygen", "-q", "-t", "ecdsa", "-N", "secret", "-f", key.toString()));
        if (format.equals("PKCS8")) keygen.addAll(List.of("-m", "PKCS8"));
        Process p = new ProcessBuilder(keygen).redirectErrorStream(true).start();
        p.getInputStream().readAllBytes();
        assertEquals(0, p.waitFor(), "ssh-keygen (openssh-client) is needed for this test");
        TransportException e = assertThrows(TransportException.class, () -> MinaTransport.connect(connect(key)));
        assertEquals(
                "ssh: identity file " + key + " is protected by a passphrase; zreplj runs unattended and needs "
                        + "a key without one (ssh-keygen -p -N '' -f " + key + ")",
                e.getMessage());
    }

    @Test
    void aFileThatIsNoKeyIsRefused() throws Exception {
        Path key = Files.writeString(dir.resolve("junk"), "hello\n");
        Files.setPosixFilePermissions(key, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
        TransportException e = assertThrows(TransportException.class, () -> MinaTransport.connect(connect(key)));
        assertEquals(
                "ssh: identity file " + key + " holds no private key zreplj can read (expected an OpenSSH "
                        + "ed25519, ecdsa or rsa private key)",
                e.getMessage());
    }

    /**
     * Whatever answers on the box's port, before any host key is checked (a hostile box, or anyone on the path),
     * chooses the identification line MINA quotes in its error; the error goes into the job's failure line, its
     * status file and the journal, so the quote is escaped as the box's protocol text is.
     */
    @Test
    void aHostileServersIdentificationLineCannotSendEscapeSequencesIntoTheFailure() throws Exception {
        Path key = dir.resolve("id");
        Process p = new ProcessBuilder("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", key.toString())
                .redirectErrorStream(true)
                .start();
        p.getInputStream().readAllBytes();
        assertEquals(0, p.waitFor(), "ssh-keygen (openssh-client) is needed for this test");
        try (java.net.ServerSocket server =
                new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            Thread hostile = new Thread(() -> {
                try (java.net.Socket s = server.accept()) {
                    s.getOutputStream()
                            .write("SSH-1.0-x\u001b]0;owned\u0007\u001b[2J\u009b1m\r\n"
                                    .getBytes(java.nio.charset.StandardCharsets.UTF_8));
                    s.getOutputStream().flush();
                    s.getInputStream().read(new byte[4096]);
                } catch (java.io.IOException ignored) {
                    // the client went away: all this server had to say is said
                }
            });
            hostile.start();
            Connect connect = new Connect(
                    "127.0.0.1",
                    "u",
                    server.getLocalPort(),
                    key,
                    List.of(),
                    Duration.ofSeconds(5),
                    dir.resolve("kh"),
                    Connect.HostKeyPolicy.STRICT,
                    1);
            TransportException e = assertThrows(TransportException.class, () -> MinaTransport.connect(connect));
            hostile.join(10_000);
            assertEquals(
                    "ssh: the connection to u@127.0.0.1:" + server.getLocalPort() + " closed during authentication"
                            + " (the backup box or the link went away): Unsupported protocol version:"
                            + " SSH-1.0-x\\x1b]0;owned\\x07\\x1b[2J\\x9b1m",
                    e.getMessage());
        }
    }
}
