package dev.zreplj.ssh;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.zreplj.config.Connect;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.apache.sshd.common.NamedResource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SshTransportTest {
    @TempDir
    Path dir;

    private record Named(String getName) implements NamedResource {}

    private static List<String> names(List<Named> list) {
        return list.stream().map(Named::getName).toList();
    }

    private static final List<Named> AVAILABLE =
            List.of(new Named("a"), new Named("b"), new Named("c"), new Named("d"));

    @Test
    void preferredNamesMoveToTheFrontAndTheRestKeepTheirOrder() throws Exception {
        assertEquals(
                List.of("c", "a", "b", "d"),
                names(SshTransport.choose(AVAILABLE, List.of(), List.of("c", "x", "a"), "X")));
    }

    @Test
    void anExactListKeepsOnlyThoseThatExist() throws Exception {
        assertEquals(
                List.of("d", "b"), names(SshTransport.choose(AVAILABLE, List.of("d", "zz", "b"), List.of("a"), "X")));
    }

    @Test
    void anExactListWithNothingSupportedIsAnError() {
        TransportException e = assertThrows(
                TransportException.class, () -> SshTransport.choose(AVAILABLE, List.of("zz"), List.of(), "Ciphers"));
        assertEquals("ssh: none of Ciphers=zz is supported; supported are a,b,c,d", e.getMessage());
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
        TransportException e = assertThrows(TransportException.class, () -> SshTransport.connect(connect(key)));
        assertEquals(
                "ssh: identity file " + key + " does not exist; create it with ssh-keygen -t ed25519 -N '' -f " + key,
                e.getMessage());
    }

    @Test
    void passphraseProtectedKeyIsRefusedWithAHint() throws Exception {
        Path key = dir.resolve("locked");
        Process p = new ProcessBuilder("ssh-keygen", "-q", "-t", "ed25519", "-N", "secret", "-f", key.toString())
                .redirectErrorStream(true)
                .start();
        p.getInputStream().readAllBytes();
        assertEquals(0, p.waitFor(), "ssh-keygen (openssh-client) is needed for this test");
        TransportException e = assertThrows(TransportException.class, () -> SshTransport.connect(connect(key)));
        assertEquals(
                "ssh: identity file " + key + " is protected by a passphrase; zreplj runs unattended and needs "
                        + "a key without one (ssh-keygen -p -N '' -f " + key + ")",
                e.getMessage());
    }

    @Test
    void aFileThatIsNoKeyIsRefused() throws Exception {
        Path key = Files.writeString(dir.resolve("junk"), "hello\n");
        Files.setPosixFilePermissions(key, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
        TransportException e = assertThrows(TransportException.class, () -> SshTransport.connect(connect(key)));
        assertEquals(
                "ssh: identity file " + key + " holds no private key zreplj can read (expected an OpenSSH "
                        + "ed25519, ecdsa or rsa private key)",
                e.getMessage());
    }
}
