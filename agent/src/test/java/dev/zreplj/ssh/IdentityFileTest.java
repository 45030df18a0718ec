package dev.zreplj.ssh;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** OpenSSH's sshkey_perm_ok: a key owned by the user may not carry any group or other bit. */
class IdentityFileTest {
    @TempDir
    Path dir;

    private Path key(String mode) throws Exception {
        Path key = dir.resolve("id_" + mode.replace('-', '_'));
        Files.writeString(key, "-----BEGIN OPENSSH PRIVATE KEY-----\n");
        Files.setPosixFilePermissions(key, PosixFilePermissions.fromString(mode));
        return key;
    }

    private static String me() {
        return System.getProperty("user.name");
    }

    @Test
    void modesOpenSshAcceptsAreAccepted() throws Exception {
        for (String mode : new String[] {"rw-------", "r--------", "---------"}) {
            Path key = key(mode);
            assertDoesNotThrow(() -> IdentityFile.checkPermissions(key, me()), mode);
        }
    }

    @Test
    void anyGroupOrOtherBitIsRefusedWithTheFix() throws Exception {
        for (String mode : new String[] {"rw-r--r--", "rw-r-----", "rw----r--", "rw-----w-", "rw---x---", "rwxrwxrwx"}) {
            Path key = key(mode);
            TransportException e = assertThrows(TransportException.class, () -> IdentityFile.checkPermissions(key, me()));
            assertEquals("ssh: identity file " + key + " is readable or writable by others (mode " + mode
                    + "); OpenSSH refuses such a key and so does zreplj: chmod 600 " + key, e.getMessage());
        }
    }

    @Test
    void aKeyOwnedBySomeoneElseIsLeftToTheReadAsInOpenSsh() throws Exception {
        Path key = key("rw-r--r--");
        assertDoesNotThrow(() -> IdentityFile.checkPermissions(key, "not-" + me()));
    }

    @Test
    void aMissingFileIsLeftToTheLoaderWhichSaysHowToCreateIt() {
        assertDoesNotThrow(() -> IdentityFile.checkPermissions(dir.resolve("absent"), me()));
    }

    @Test
    void aSymlinkIsJudgedByItsTarget() throws Exception {
        Path target = key("rw-r--r--");
        Path link = Files.createSymbolicLink(dir.resolve("link"), target);
        assertThrows(TransportException.class, () -> IdentityFile.checkPermissions(link, me()));
    }
}
