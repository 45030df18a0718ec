package dev.zreplj.ssh;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.zreplj.config.Connect;
import dev.zreplj.files.ThisProcess;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** OpenSSH's sshkey_perm_ok: a key owned by the user may not carry any group or other bit. */
class IdentityFileTest {
    /** A user the tests are not: the owner of a key that is someone else's. */
    private static final int NOBODY = 65534;

    @TempDir
    Path dir;

    private Path key(String mode) throws Exception {
        Path key = dir.resolve("id_" + mode.replace('-', '_'));
        Files.writeString(key, "-----BEGIN OPENSSH PRIVATE KEY-----\n");
        Files.setPosixFilePermissions(key, PosixFilePermissions.fromString(mode));
        return key;
    }

    @Test
    void modesOpenSshAcceptsAreAccepted() throws Exception {
        for (String mode : new String[] {"rw-------", "r--------", "---------"}) {
            Path key = key(mode);
            assertDoesNotThrow(() -> IdentityFile.checkPermissions(key), mode);
        }
    }

    @Test
    void anyGroupOrOtherBitIsRefusedWithTheFix() throws Exception {
        for (String mode :
                new String[] {"rw-r--r--", "rw-r-----", "rw----r--", "rw-----w-", "rw---x---", "rwxrwxrwx"}) {
            Path key = key(mode);
            TransportException e = assertThrows(TransportException.class, () -> IdentityFile.checkPermissions(key));
            assertEquals(
                    "ssh: identity file " + key + " is readable or writable by others (mode " + mode
                            + "); OpenSSH refuses such a key and so does zreplj: chmod 600 " + key,
                    e.getMessage());
        }
    }

    @Test
    void theConnectRefusesSuchAKeyBeforeAnythingGoesOnTheNetwork() throws Exception {
        Path key = key("rw-r--r--");
        // Port 9 (discard) on a documentation address: a connect would time out, the refusal comes first.
        Connect connect = new Connect(
                "192.0.2.1",
                "root",
                9,
                key,
                List.of(),
                Duration.ofSeconds(30),
                dir.resolve("known_hosts"),
                Connect.HostKeyPolicy.STRICT,
                1);
        long started = System.nanoTime();
        TransportException e = assertThrows(TransportException.class, () -> SshTransport.connect(connect));
        assertEquals(
                "ssh: identity file " + key + " is readable or writable by others (mode rw-r--r--); OpenSSH"
                        + " refuses such a key and so does zreplj: chmod 600 " + key,
                e.getMessage());
        assertTrue(System.nanoTime() - started < Duration.ofSeconds(10).toNanos(), "refused before dialling");
    }

    @Test
    void aKeyOwnedBySomeoneElseIsLeftToTheReadAsInOpenSsh() throws Exception {
        // Not skipped when it cannot run: CI runs the unit tests as root (contrib/dev/run-tests).
        assertEquals(0, ThisProcess.uid(), "only root can give a file to another user: run the tests as root");
        Path key = key("rw-r--r--");
        Files.setAttribute(key, "unix:uid", NOBODY);
        assertDoesNotThrow(() -> IdentityFile.checkPermissions(key));
    }

    @Test
    void aMissingFileIsLeftToTheLoaderWhichSaysHowToCreateIt() {
        assertDoesNotThrow(() -> IdentityFile.checkPermissions(dir.resolve("absent")));
    }

    @Test
    void aSymlinkIsJudgedByItsTarget() throws Exception {
        Path target = key("rw-r--r--");
        Path link = Files.createSymbolicLink(dir.resolve("link"), target);
        assertThrows(TransportException.class, () -> IdentityFile.checkPermissions(link));
    }
}
