package dev.zreplj.ssh;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.zreplj.config.Connect;
import dev.zreplj.files.testing.FullDisk;
import dev.zreplj.ssh.testing.TestSshd;
import dev.zreplj.ssh.testing.TestSshd.KeyType;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.apache.sshd.common.util.security.SecurityUtils;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.slf4j.LoggerFactory;

@Tag("system")
class SshTransportSystemTest {
    private static final int MIB = 1024 * 1024;

    @TempDir
    Path dir;

    private TestSshd sshd;

    @AfterEach
    void stop() {
        if (sshd != null) sshd.close();
    }

    /** Writes a marker, says which command it was asked for, then echoes stdin back (or exits with a code). */
    private TestSshd startEcho(KeyType clientKey) throws Exception {
        Path script = TestSshd.script(
                dir.resolve("echo.sh"),
                String.join(
                        "\n",
                        "touch " + marker(),
                        "case \"$SSH_ORIGINAL_COMMAND\" in exit*) echo \"leaving with ${SSH_ORIGINAL_COMMAND#exit}\" >&2;"
                                + " exit \"${SSH_ORIGINAL_COMMAND#exit}\";; esac",
                        "printf 'cmd=%s\\n' \"$SSH_ORIGINAL_COMMAND\"",
                        "exec cat"));
        Path sshdDir = Files.createDirectory(dir.resolve("sshd"));
        sshd = TestSshd.start(sshdDir, script.toString(), clientKey, KeyType.ED25519);
        return sshd;
    }

    private Path marker() {
        return dir.resolve("forced-command-ran");
    }

    private static Connect with(
            Connect c, Path identity, Path knownHosts, Connect.HostKeyPolicy policy, Duration dial) {
        return new Connect(
                c.host(),
                c.user(),
                c.port(),
                identity,
                c.options(),
                dial,
                knownHosts,
                policy,
                c.channels(),
                c.streamCompression(),
                c.sshClient());
    }

    private Connect connect(Connect.SshClient client) {
        return sshd.connect().withSshClient(client);
    }

    @Test
    void bytesRoundTripExactlyThroughOpenSsh() throws Exception {
        startEcho(KeyType.ED25519);
        try (SshTransport transport = SshTransport.connect(connect(Connect.SshClient.OPENSSH))) {
            assertTrue(
                    transport instanceof OpenSshTransport, transport.getClass().getName());
            assertArrayEquals(expectedDigest(50 * MIB, 1), roundTrip(transport, "roundtrip openssh", 50 * MIB, 1));
        }
    }

    @ParameterizedTest
    @EnumSource(KeyType.class)
    void bytesRoundTripExactlyWithEveryKeyType(KeyType keyType) throws Exception {
        startEcho(keyType);
        try (MinaTransport transport = MinaTransport.connect(sshd.connect())) {
            assertEquals("aes128-gcm@openssh.com", transport.cipher());
            assertEquals("curve25519-sha256", transport.keyExchange());
            // ed25519 through the small net.i2p provider, the rest through the JDK: Bouncy Castle's provider
            // cost seconds at every start, so a dependency that brings it back must fail here.
            assertTrue(SecurityUtils.isNetI2pCryptoEdDSARegistered(), "ed25519 via net.i2p eddsa");
            assertFalse(SecurityUtils.isBouncyCastleRegistered(), "Bouncy Castle is not on the agent's class path");
            byte[] digest = roundTrip(transport, "roundtrip " + keyType, 50 * MIB, 1);
            assertArrayEquals(expectedDigest(50 * MIB, 1), digest);
        }
    }

    @ParameterizedTest
    @EnumSource(Connect.SshClient.class)
    void severalChannelsRunConcurrentlyOnOneSession(Connect.SshClient client) throws Exception {
        startEcho(KeyType.ED25519);
        ExecutorService pool = Executors.newFixedThreadPool(3);
        try (SshTransport transport = SshTransport.connect(connect(client))) {
            List<Future<byte[]>> results = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                int seed = 100 + i;
                results.add(pool.submit(() -> roundTrip(transport, "channel " + seed, 16 * MIB, seed)));
            }
            for (int i = 0; i < 3; i++) {
                assertArrayEquals(
                        expectedDigest(16 * MIB, 100 + i), results.get(i).get());
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @ParameterizedTest
    @EnumSource(Connect.SshClient.class)
    void exitStatusIsReportedAndStderrGoesToTheLogLineByLine(Connect.SshClient client) throws Exception {
        startEcho(KeyType.ED25519);
        Logger remote = (Logger) LoggerFactory.getLogger("dev.zreplj.ssh.remote");
        ListAppender<ILoggingEvent> appender = new ListAppender<>();
        appender.start();
        remote.addAppender(appender);
        try (SshTransport transport = SshTransport.connect(connect(client));
                SshChannel channel = transport.openChannel("exit7")) {
            assertEquals(7, channel.waitForExit(Duration.ofSeconds(10)));
            assertEquals(-1, channel.stdout().read());
        } finally {
            remote.detachAppender(appender);
        }
        List<String> lines =
                appender.list.stream().map(ILoggingEvent::getFormattedMessage).toList();
        assertEquals(
                List.of("remote " + sshd.connect().user() + "@127.0.0.1:" + sshd.port() + ": leaving with 7"), lines);
    }

    @Test
    void unknownHostKeyIsRefusedBeforeAnyCommandRuns() throws Exception {
        startEcho(KeyType.ED25519);
        Path empty = Files.createFile(dir.resolve("empty_known_hosts"));
        Connect c = with(sshd.connect(), sshd.clientKey(), empty, Connect.HostKeyPolicy.STRICT, Duration.ofSeconds(10));
        TransportException e = assertThrows(
                TransportException.class, () -> SshTransport.connect(c).close());
        String fingerprint = fingerprint(Path.of(sshd.hostKey() + ".pub"));
        assertEquals(
                "ssh: host key of 127.0.0.1:" + sshd.port() + " is not known (ssh-ed25519 " + fingerprint
                        + " is not in " + empty + "); check the fingerprint and add it with 'ssh-keyscan -p "
                        + sshd.port()
                        + " 127.0.0.1 >> " + empty + "', or set connect.host_key_policy: accept-new",
                e.getMessage());
        assertEquals("", Files.readString(empty));
        assertFalse(Files.exists(marker()), "forced command must not run");
    }

    @ParameterizedTest
    @EnumSource(Connect.SshClient.class)
    void acceptNewRecordsAnUnknownKeyAndStrictAcceptsItAfterwards(Connect.SshClient client) throws Exception {
        startEcho(KeyType.ED25519);
        Path file = dir.resolve("new_dir/known_hosts");
        Connect c =
                with(connect(client), sshd.clientKey(), file, Connect.HostKeyPolicy.ACCEPT_NEW, Duration.ofSeconds(10));
        try (SshTransport transport = SshTransport.connect(c)) {
            assertArrayEquals(expectedDigest(MIB, 3), roundTrip(transport, "x", MIB, 3));
        }
        String hostPub = Files.readString(Path.of(sshd.hostKey() + ".pub")).strip();
        String typeAndKey = hostPub.substring(0, hostPub.lastIndexOf(' '));
        assertEquals("[127.0.0.1]:" + sshd.port() + " " + typeAndKey + "\n", Files.readString(file));
        Connect strict = with(c, sshd.clientKey(), file, Connect.HostKeyPolicy.STRICT, Duration.ofSeconds(10));
        SshTransport.connect(strict).close();
    }

    /**
     * accept-new takes an unknown key only by recording it: where known_hosts cannot be written (the units'
     * ProtectHome=read-only over ~/.ssh), OpenSSH's ssh connected anyway, every pass, to whatever key it was shown.
     */
    @ParameterizedTest
    @EnumSource(Connect.SshClient.class)
    void acceptNewRefusesAKeyItCannotRecord(Connect.SshClient client) throws Exception {
        startEcho(KeyType.ED25519);
        try (FullDisk disk = FullDisk.mount(dir.resolve("read-only"))) {
            disk.readOnly();
            Path file = disk.dir().resolve("known_hosts");
            Connect c = with(
                    connect(client), sshd.clientKey(), file, Connect.HostKeyPolicy.ACCEPT_NEW, Duration.ofSeconds(10));
            TransportException e = assertThrows(
                    TransportException.class, () -> SshTransport.connect(c).close());
            assertTrue(e.getMessage().contains("not known") || e.getMessage().contains("cannot record"), e::getMessage);
            assertFalse(Files.exists(marker()), "forced command must not run");
        }
    }

    /**
     * A host that known_hosts trusts through a @cert-authority alone: a plain key taken as new would bypass the CA,
     * which the built-in client refuses and OpenSSH's ssh under accept-new recorded.
     */
    @ParameterizedTest
    @EnumSource(Connect.SshClient.class)
    void acceptNewTakesNoPlainKeyForAHostOfACertificateAuthority(Connect.SshClient client) throws Exception {
        startEcho(KeyType.ED25519);
        Path ca = TestSshd.keygen(dir.resolve("ca"), KeyType.ED25519, "ca");
        Path file = dir.resolve("ca_known_hosts");
        String before = "@cert-authority [127.0.0.1]:" + sshd.port() + " "
                + Files.readString(Path.of(ca + ".pub")).strip() + "\n";
        Files.writeString(file, before);
        Connect c =
                with(connect(client), sshd.clientKey(), file, Connect.HostKeyPolicy.ACCEPT_NEW, Duration.ofSeconds(10));
        assertThrows(TransportException.class, () -> SshTransport.connect(c).close());
        assertEquals(before, Files.readString(file), "no plain key recorded beside the CA");
        assertFalse(Files.exists(marker()), "forced command must not run");
    }

    @ParameterizedTest
    @EnumSource(Connect.SshClient.class)
    void hashedKnownHostsEntriesAreRecognised(Connect.SshClient client) throws Exception {
        startEcho(KeyType.ED25519);
        Process p = new ProcessBuilder(
                        "ssh-keygen", "-H", "-f", sshd.knownHosts().toString())
                .redirectErrorStream(true)
                .start();
        p.getInputStream().readAllBytes();
        assertEquals(0, p.waitFor());
        assertTrue(Files.readString(sshd.knownHosts()).startsWith("|1|"), "ssh-keygen -H hashed the entry");
        SshTransport.connect(connect(client)).close();
    }

    /** sshd(8)'s "@revoked * KEY" covers every host and port: the box here listens on a port other than 22. */
    @ParameterizedTest
    @EnumSource(Connect.SshClient.class)
    void aKeyRevokedForEveryHostIsRefusedOnAnyPort(Connect.SshClient client) throws Exception {
        startEcho(KeyType.ED25519);
        Path file = dir.resolve("revoked_known_hosts");
        String key = Files.readString(Path.of(sshd.hostKey() + ".pub")).strip();
        String before = "[127.0.0.1]:" + sshd.port() + " " + key + "\n@revoked * " + key + "\n";
        Files.writeString(file, before);
        Connect c =
                with(connect(client), sshd.clientKey(), file, Connect.HostKeyPolicy.ACCEPT_NEW, Duration.ofSeconds(10));
        TransportException e = assertThrows(
                TransportException.class, () -> SshTransport.connect(c).close());
        assertTrue(e.getMessage().contains("is marked @revoked in " + file), e.getMessage());
        assertEquals(before, Files.readString(file), "known_hosts must be left alone");
        assertFalse(Files.exists(marker()), "forced command must not run");
    }

    @Test
    void changedHostKeyIsRefusedEvenWithAcceptNewAndBeforeAnyCommandRuns() throws Exception {
        startEcho(KeyType.ED25519);
        Path other = TestSshd.keygen(dir.resolve("other_host_key"), KeyType.ED25519, "impostor");
        Path file = dir.resolve("changed_known_hosts");
        String before = "[127.0.0.1]:" + sshd.port() + " "
                + Files.readString(Path.of(other + ".pub")).strip() + "\n";
        Files.writeString(file, before);
        Connect c =
                with(sshd.connect(), sshd.clientKey(), file, Connect.HostKeyPolicy.ACCEPT_NEW, Duration.ofSeconds(10));
        TransportException e = assertThrows(
                TransportException.class, () -> SshTransport.connect(c).close());
        String fingerprint = fingerprint(Path.of(sshd.hostKey() + ".pub"));
        assertEquals(
                "ssh: HOST KEY OF 127.0.0.1:" + sshd.port() + " HAS CHANGED: it now shows ssh-ed25519 " + fingerprint
                        + " but " + file + " line 1 records another key (known types: ssh-ed25519); this may be a "
                        + "man-in-the-middle attack and is refused under every host_key_policy, accept-new included; if the "
                        + "change is expected, remove the old entry with 'ssh-keygen -R \"[127.0.0.1]:" + sshd.port()
                        + "\" -f "
                        + file + "' and add the new one",
                e.getMessage());
        assertEquals(before, Files.readString(file), "known_hosts must be left alone");
        assertFalse(Files.exists(marker()), "forced command must not run");
    }

    @Test
    void openSshRefusesAnUnknownHostKeyBeforeAnyCommandRunsWhateverTheOptionsSay() throws Exception {
        startEcho(KeyType.ED25519);
        Path empty = Files.createFile(dir.resolve("empty_known_hosts"));
        Connect base = with(
                connect(Connect.SshClient.OPENSSH),
                sshd.clientKey(),
                empty,
                Connect.HostKeyPolicy.STRICT,
                Duration.ofSeconds(10));
        // What a zrepl config may carry: ssh takes the first value of each option, and zreplj's come first.
        Connect c = new Connect(
                base.host(),
                base.user(),
                base.port(),
                base.identityFile(),
                List.of("StrictHostKeyChecking=no", "UserKnownHostsFile=/dev/null"),
                base.dialTimeout(),
                base.knownHosts(),
                base.hostKeyPolicy(),
                base.channels(),
                base.streamCompression(),
                base.sshClient());
        TransportException e = assertThrows(
                TransportException.class, () -> SshTransport.connect(c).close());
        assertEquals(
                "ssh: host key of 127.0.0.1:" + sshd.port() + " is not known (not in " + empty + "); check the "
                        + "fingerprint and add it with 'ssh-keyscan -p " + sshd.port() + " 127.0.0.1 >> " + empty
                        + "', or set connect.host_key_policy: accept-new",
                e.getMessage());
        assertEquals("", Files.readString(empty));
        assertFalse(Files.exists(marker()), "forced command must not run");
    }

    @Test
    void openSshRefusesAChangedHostKeyEvenWithAcceptNew() throws Exception {
        startEcho(KeyType.ED25519);
        Path other = TestSshd.keygen(dir.resolve("other_host_key"), KeyType.ED25519, "impostor");
        Path file = dir.resolve("changed_known_hosts");
        String before = "[127.0.0.1]:" + sshd.port() + " "
                + Files.readString(Path.of(other + ".pub")).strip() + "\n";
        Files.writeString(file, before);
        Connect c = with(
                connect(Connect.SshClient.OPENSSH),
                sshd.clientKey(),
                file,
                Connect.HostKeyPolicy.ACCEPT_NEW,
                Duration.ofSeconds(10));
        TransportException e = assertThrows(
                TransportException.class, () -> SshTransport.connect(c).close());
        assertEquals(
                "ssh: HOST KEY OF 127.0.0.1:" + sshd.port() + " HAS CHANGED: " + file + " records another key; this "
                        + "may be a man-in-the-middle attack and is refused under every host_key_policy, accept-new "
                        + "included; if the change is expected, remove the old entry with 'ssh-keygen -R \"[127.0.0.1]:"
                        + sshd.port() + "\" -f " + file + "' and add the new one",
                e.getMessage());
        assertEquals(before, Files.readString(file), "known_hosts must be left alone");
        assertFalse(Files.exists(marker()), "forced command must not run");
    }

    @Test
    void openSshRefusesAKeyWithAPassphraseSayingSo() throws Exception {
        startEcho(KeyType.ED25519);
        Path locked = dir.resolve("locked");
        Process p = new ProcessBuilder("ssh-keygen", "-q", "-t", "ed25519", "-N", "secret", "-f", locked.toString())
                .redirectErrorStream(true)
                .start();
        p.getInputStream().readAllBytes();
        assertEquals(0, p.waitFor());
        Connect c = with(
                connect(Connect.SshClient.OPENSSH),
                locked,
                sshd.knownHosts(),
                Connect.HostKeyPolicy.STRICT,
                Duration.ofSeconds(10));
        TransportException e = assertThrows(
                TransportException.class, () -> SshTransport.connect(c).close());
        assertEquals(
                "ssh: identity file " + locked + " is protected by a passphrase; zreplj runs unattended and needs a "
                        + "key without one (ssh-keygen -p -N '' -f " + locked + ")",
                e.getMessage());
    }

    @ParameterizedTest
    @EnumSource(Connect.SshClient.class)
    void abortWakesAWriterBlockedOnARemoteThatDoesNotRead(Connect.SshClient client) throws Exception {
        Path script = TestSshd.script(dir.resolve("sleep.sh"), "exec sleep 60");
        sshd = TestSshd.start(
                Files.createDirectory(dir.resolve("sshd")), script.toString(), KeyType.ED25519, KeyType.ED25519);
        try (SshTransport transport = SshTransport.connect(connect(client))) {
            SshChannel channel = transport.openChannel("sleep");
            ExecutorService pool = Executors.newSingleThreadExecutor();
            try {
                Future<Exception> writer = pool.submit(() -> {
                    try {
                        byte[] chunk = new byte[MIB];
                        for (int i = 0; i < 256; i++) channel.stdin().write(chunk);
                        return null;
                    } catch (Exception e) {
                        return e;
                    }
                });
                Thread.sleep(1000);
                assertFalse(
                        writer.isDone(),
                        "256 MiB cannot fit into the pipes and windows of a remote that reads nothing");
                channel.abort();
                Exception woken = writer.get(10, java.util.concurrent.TimeUnit.SECONDS);
                assertTrue(woken instanceof java.io.IOException, "writer woke with " + woken);
                assertTrue(channel.ended() || channel.waitForExit(Duration.ofSeconds(10)) != 0);
                assertTrue(transport.isOpen(), "aborting one channel leaves the session standing");
            } finally {
                pool.shutdownNow();
            }
        }
    }

    @ParameterizedTest
    @EnumSource(Connect.SshClient.class)
    void aKeyTheServerDoesNotKnowFailsAuthenticationNamingTheKey(Connect.SshClient client) throws Exception {
        startEcho(KeyType.ED25519);
        Path stranger = TestSshd.keygen(dir.resolve("stranger"), KeyType.ED25519, "stranger");
        Connect c = with(
                connect(client), stranger, sshd.knownHosts(), Connect.HostKeyPolicy.STRICT, Duration.ofSeconds(10));
        TransportException e = assertThrows(
                TransportException.class, () -> SshTransport.connect(c).close());
        assertEquals(
                "ssh: authentication to " + c.user() + "@127.0.0.1:" + sshd.port() + " with key " + stranger
                        + " failed: the server did not accept the key; is its public key (" + stranger
                        + ".pub) in the server's authorized_keys for that user?",
                e.getMessage());
        assertFalse(Files.exists(marker()), "forced command must not run");
    }

    @ParameterizedTest
    @EnumSource(Connect.SshClient.class)
    void aServerThatNeverAnswersIsGivenUpOnAfterTheDialTimeout(Connect.SshClient client) throws Exception {
        Path key = TestSshd.keygen(dir.resolve("key"), KeyType.ED25519, "k");
        try (ServerSocket blackhole = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            Connect c = new Connect(
                            "127.0.0.1",
                            "nobody",
                            blackhole.getLocalPort(),
                            key,
                            List.of(),
                            Duration.ofSeconds(1),
                            dir.resolve("kh"),
                            Connect.HostKeyPolicy.STRICT,
                            1)
                    .withSshClient(client);
            // The first attempt pays the JVM's one-time costs (Bouncy Castle, MINA's classes: seconds under
            // load); the second measures the dial timeout itself.
            assertThrows(TransportException.class, () -> SshTransport.connect(c).close());
            long start = System.nanoTime();
            TransportException e = assertThrows(
                    TransportException.class, () -> SshTransport.connect(c).close());
            long millis = (System.nanoTime() - start) / 1_000_000;
            assertEquals(
                    "ssh: nobody@127.0.0.1:" + blackhole.getLocalPort() + " accepted the connection but did not "
                            + "complete the SSH handshake within 1 s (dial_timeout); is it an SSH server, and is it overloaded?",
                    e.getMessage());
            assertTrue(millis >= 900 && millis < 3000, "gave up after " + millis + " ms");
        }
    }

    @ParameterizedTest
    @EnumSource(Connect.SshClient.class)
    void nothingListeningIsConnectionRefused(Connect.SshClient client) throws Exception {
        Path key = TestSshd.keygen(dir.resolve("key"), KeyType.ED25519, "k");
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        Connect c = new Connect(
                        "127.0.0.1",
                        "nobody",
                        port,
                        key,
                        List.of(),
                        Duration.ofSeconds(5),
                        dir.resolve("kh"),
                        Connect.HostKeyPolicy.STRICT,
                        1)
                .withSshClient(client);
        TransportException e = assertThrows(
                TransportException.class, () -> SshTransport.connect(c).close());
        assertEquals(
                "ssh: cannot connect to nobody@127.0.0.1:" + port + ": connection refused; is sshd running there "
                        + "and is the port right?",
                e.getMessage());
    }

    /** Sends {@code size} seeded random bytes through the echo command and returns the SHA-256 of what came back. */
    private static byte[] roundTrip(SshTransport transport, String command, int size, long seed) throws Exception {
        try (SshChannel channel = transport.openChannel(command)) {
            Thread writer = new Thread(() -> {
                try (OutputStream out = channel.stdin()) {
                    Random random = new Random(seed);
                    byte[] chunk = new byte[MIB];
                    for (int sent = 0; sent < size; sent += chunk.length) {
                        random.nextBytes(chunk);
                        out.write(chunk, 0, Math.min(chunk.length, size - sent));
                    }
                } catch (Exception e) {
                    throw new RuntimeException(e);
                }
            });
            writer.start();
            InputStream in = channel.stdout();
            String header = readLine(in);
            assertEquals("cmd=" + command, header);
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            byte[] buf = new byte[256 * 1024];
            long total = 0;
            for (int n; (n = in.read(buf)) > 0; total += n) sha.update(buf, 0, n);
            writer.join();
            assertEquals(size, total);
            assertEquals(0, channel.waitForExit(Duration.ofSeconds(30)));
            return sha.digest();
        }
    }

    private static String readLine(InputStream in) throws Exception {
        StringBuilder sb = new StringBuilder();
        for (int c; (c = in.read()) != '\n'; ) {
            if (c < 0) throw new AssertionError("stdout ended before the header line: " + sb);
            sb.append((char) c);
        }
        return sb.toString();
    }

    private static byte[] expectedDigest(int size, long seed) throws Exception {
        MessageDigest sha = MessageDigest.getInstance("SHA-256");
        Random random = new Random(seed);
        byte[] chunk = new byte[MIB];
        for (int sent = 0; sent < size; sent += chunk.length) {
            random.nextBytes(chunk);
            sha.update(chunk, 0, Math.min(chunk.length, size - sent));
        }
        return sha.digest();
    }

    /** The SHA256 fingerprint as ssh-keygen -l prints it. */
    private static String fingerprint(Path pub) throws Exception {
        Process p = new ProcessBuilder("ssh-keygen", "-l", "-E", "sha256", "-f", pub.toString()).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor());
        return out.split(" ")[1];
    }
}
