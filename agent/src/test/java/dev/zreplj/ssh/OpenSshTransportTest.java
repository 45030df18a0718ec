package dev.zreplj.ssh;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.zreplj.config.Connect;
import dev.zreplj.protocol.StreamCompression;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OpenSshTransportTest {
    @TempDir
    Path dir;

    private static final Path ID = Path.of("/etc/zreplj/id");
    private static final Path KH = Path.of("/etc/zreplj/known hosts");

    private static Connect connect(List<String> options) {
        return new Connect(
                "box",
                "zrepl",
                2222,
                ID,
                options,
                Duration.ofSeconds(10),
                KH,
                Connect.HostKeyPolicy.STRICT,
                1,
                StreamCompression.AUTO,
                Connect.SshClient.OPENSSH);
    }

    private static List<String> args(List<String> options, Connect.HostKeyPolicy policy) {
        return OpenSshTransport.commonArguments(
                "ssh", connect(options), 2222, Duration.ofMillis(2500), ID, KH, policy, Path.of("/tmp/zreplj-ssh-x"));
    }

    @Test
    void theSecurityOptionsComeFirstAndTheJobsCannotReplaceThem() {
        List<String> a = args(
                List.of(
                        "StrictHostKeyChecking=no",
                        "userknownhostsfile /dev/null",
                        "Compression=yes",
                        "Ciphers=aes256-ctr"),
                Connect.HostKeyPolicy.STRICT);
        assertEquals(List.of("ssh", "-F", "/dev/null", "-T"), a.subList(0, 4));
        assertTrue(a.contains("StrictHostKeyChecking=yes"), a::toString);
        assertTrue(a.contains("UserKnownHostsFile=\"/etc/zreplj/known hosts\""), a::toString);
        assertTrue(a.contains("IdentityFile=/etc/zreplj/id"), a::toString);
        assertTrue(a.contains("IdentitiesOnly=yes") && a.contains("IdentityAgent=none") && a.contains("BatchMode=yes"));
        assertTrue(a.contains("ConnectTimeout=3"), "the dial timeout, rounded up: " + a);
        assertFalse(a.contains("StrictHostKeyChecking=no"), a::toString);
        assertFalse(a.contains("userknownhostsfile /dev/null"), a::toString);
        // The job's tunables pass, ahead of zreplj's defaults for them (ssh keeps the first value).
        assertTrue(
                a.indexOf("Ciphers=aes256-ctr") < a.indexOf("Ciphers=^aes128-gcm@openssh.com,aes256-gcm@openssh.com"));
        assertTrue(a.indexOf("StrictHostKeyChecking=yes") < a.indexOf("Compression=yes"));
        assertTrue(args(List.of(), Connect.HostKeyPolicy.ACCEPT_NEW).contains("StrictHostKeyChecking=accept-new"));
    }

    @Test
    void sshsOwnWordsBecomeTheLineToActOn() {
        Path id = Path.of("/k");
        Path kh = Path.of("/kh");
        Duration dial = Duration.ofSeconds(10);
        assertEquals(
                "ssh: authentication to u@box:22 with key /k failed: the server did not accept the key; is its public"
                        + " key (/k.pub) in the server's authorized_keys for that user?",
                OpenSshTransport.failure(List.of("u@box: Permission denied (publickey)."), "u@box:22", id, kh, dial)
                        .getMessage());
        assertEquals(
                "ssh: host key of box:22 is not known (not in /kh); check the fingerprint and add it with"
                        + " 'ssh-keyscan box >> /kh', or set connect.host_key_policy: accept-new",
                OpenSshTransport.failure(
                                List.of(
                                        "No ED25519 host key is known for box and you have requested strict checking.",
                                        "Host key verification failed."),
                                "u@box:22",
                                id,
                                kh,
                                dial)
                        .getMessage());
        // ssh 9.2's last five lines (what RemoteStderr keeps) for a key under an @revoked line; they read as
        // "not known ... add it" before.
        assertEquals(
                "ssh: host key of box:2222 is marked @revoked in /kh; refused under every host_key_policy",
                OpenSshTransport.failure(
                                List.of(
                                        "This could mean that a stolen key is being used to",
                                        "impersonate this host.",
                                        "ECDSA host key for [box]:2222 was revoked and you have requested strict"
                                                + " checking.",
                                        "Host key verification failed."),
                                "u@box:2222",
                                id,
                                kh,
                                dial)
                        .getMessage());
        assertEquals(
                "ssh: cannot connect to u@box:2222: connection refused; is sshd running there and is the port right?",
                OpenSshTransport.failure(
                                List.of("ssh: connect to host box port 2222: Connection refused"),
                                "u@box:2222",
                                id,
                                kh,
                                dial)
                        .getMessage());
        assertEquals(
                "ssh: cannot connect to u@nowhere:22: unknown host name",
                OpenSshTransport.failure(
                                List.of("ssh: Could not resolve hostname nowhere: Name or service not known"),
                                "u@nowhere:22",
                                id,
                                kh,
                                dial)
                        .getMessage());
        assertEquals(
                "ssh: connection to u@box:22 failed: command-line line 0: Bad configuration option: nosuchoption",
                OpenSshTransport.failure(
                                List.of("command-line line 0: Bad configuration option: nosuchoption"),
                                "u@box:22",
                                id,
                                kh,
                                dial)
                        .getMessage());
    }

    @Test
    void aKeyWithAPassphraseIsToldApartFromOneWithout() throws Exception {
        assertFalse(OpenSshTransport.encrypted(keygen("open", "")));
        assertTrue(OpenSshTransport.encrypted(keygen("locked", "secret")));
        assertTrue(OpenSshTransport.encrypted(
                "-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,00\n\nAAAA\n"));
        assertFalse(OpenSshTransport.encrypted("not a key at all"));
    }

    private String keygen(String name, String passphrase) throws Exception {
        Path key = dir.resolve(name);
        Process p = new ProcessBuilder("ssh-keygen", "-q", "-t", "ed25519", "-N", passphrase, "-f", key.toString())
                .redirectErrorStream(true)
                .start();
        p.getInputStream().readAllBytes();
        assertEquals(0, p.waitFor());
        return Files.readString(key);
    }

    @Test
    void aMissingSshIsNamedWithWhatToInstall() throws Exception {
        Path key = dir.resolve("key");
        Files.writeString(key, keygen("k", ""));
        String before = System.getProperty(OpenSshTransport.SSH_PROPERTY);
        System.setProperty(
                OpenSshTransport.SSH_PROPERTY, dir.resolve("no-such-ssh").toString());
        try {
            Connect c = new Connect(
                    "box",
                    "zrepl",
                    22,
                    dir.resolve("k"),
                    List.of(),
                    Duration.ofSeconds(5),
                    dir.resolve("known_hosts"),
                    Connect.HostKeyPolicy.STRICT,
                    1,
                    StreamCompression.AUTO,
                    Connect.SshClient.OPENSSH);
            TransportException e = org.junit.jupiter.api.Assertions.assertThrows(
                    TransportException.class, () -> SshTransport.connect(c).close());
            assertEquals(
                    "ssh: connect.ssh_client is openssh but there is no '" + dir.resolve("no-such-ssh")
                            + "' to run; install openssh-client or set ssh_client: builtin",
                    e.getMessage());
            assertTrue(OpenSshTransport.runnable("sh"), "a bare name is looked up on PATH");
            assertFalse(OpenSshTransport.runnable("no-such-command-zreplj"));
        } finally {
            if (before == null) System.clearProperty(OpenSshTransport.SSH_PROPERTY);
            else System.setProperty(OpenSshTransport.SSH_PROPERTY, before);
        }
    }

    @Test
    void theMastersWrapperStopsItWhenTheAgentsEndOfThePipeCloses() throws Exception {
        Path pidFile = dir.resolve("pid");
        Path control = Files.createDirectory(dir.resolve("zreplj-ssh-test"));
        // A master killed with SIGKILL leaves its socket behind; this stands in for it.
        Files.createFile(control.resolve("s"));
        // Stands in for ssh: records its pid, then runs until stopped.
        Process wrapper = startWrapper(control, "echo $$ > " + pidFile + "; exec sleep 300");
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (!(Files.exists(pidFile) && !Files.readString(pidFile).isBlank()) && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        Path child = Path.of("/proc", Files.readString(pidFile).strip());
        assertTrue(Files.exists(child), "the child runs");
        Thread.sleep(200);
        assertTrue(wrapper.isAlive(), "the wrapper lasts as long as its child");
        assertTrue(Files.exists(control.resolve("s")), "the control directory stays while the master runs");
        // What the kernel does to the pipe when the agent's JVM exits or is killed.
        wrapper.getOutputStream().close();
        assertTrue(wrapper.waitFor(10, TimeUnit.SECONDS), "the wrapper ended with its child");
        assertEquals(143, wrapper.exitValue(), "the child's status: ended by SIGTERM");
        assertFalse(Files.exists(child), "the child is gone");
        assertFalse(Files.exists(control), "the control directory is gone, the socket left in it with it");
    }

    @Test
    void theMastersWrapperLeavesAControlDirectoryThatIsNotEmptyButForItsSocket() throws Exception {
        // rmdir, not rm -r: whatever else the directory holds is not the wrapper's to remove.
        Path control = Files.createDirectory(dir.resolve("zreplj-ssh-other"));
        Files.createFile(control.resolve("s"));
        Files.writeString(control.resolve("other"), "x");
        Process wrapper = startWrapper(control, "exit 3");
        // The master ends by itself here; the agent's end of the pipe stays open until then. Closing it first
        // raced the master: the wrapper's reader killed it before it exited (status 143, not 3).
        assertTrue(wrapper.waitFor(10, TimeUnit.SECONDS));
        wrapper.getOutputStream().close();
        assertEquals(3, wrapper.exitValue(), "the master's own status");
        assertFalse(Files.exists(control.resolve("s")));
        assertTrue(Files.exists(control.resolve("other")));
    }

    /** The master's wrapper with {@code control} as its directory, running a shell script in ssh's place. */
    private static Process startWrapper(Path control, String master) throws IOException {
        return new ProcessBuilder(
                        "/bin/sh",
                        "-c",
                        OpenSshTransport.MASTER_WRAPPER,
                        "sh",
                        control.toString(),
                        "/bin/sh",
                        "-c",
                        master)
                .start();
    }
}
