package dev.zreplj.ssh;

import dev.zreplj.files.ThisProcess;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.EnumSet;
import java.util.Set;

/**
 * OpenSSH's rule for a private key: a key file owned by the user who uses it must not be readable or
 * writable by group or others (ssh refuses it as an "UNPROTECTED PRIVATE KEY FILE"). zreplj refuses the
 * same key, so that a key another local user could copy is noticed before it is trusted by the box.
 */
public final class IdentityFile {
    private static final Set<PosixFilePermission> GROUP_OR_OTHERS = EnumSet.of(
            PosixFilePermission.GROUP_READ,
            PosixFilePermission.GROUP_WRITE,
            PosixFilePermission.GROUP_EXECUTE,
            PosixFilePermission.OTHERS_READ,
            PosixFilePermission.OTHERS_WRITE,
            PosixFilePermission.OTHERS_EXECUTE);

    private IdentityFile() {}

    /**
     * Refuses the key only when it is this process's user's, compared by uid as OpenSSH does (a uid without a
     * passwd entry has no name to compare); a key someone else owns is left to the read.
     *
     * @throws TransportException with the one line to act on, when the file is open to group or others
     */
    public static void checkPermissions(Path identity) throws TransportException {
        Set<PosixFilePermission> permissions;
        try {
            // Following a link: the key is what the link points to, as for OpenSSH.
            permissions = Files.getPosixFilePermissions(identity);
            Set<PosixFilePermission> open = EnumSet.noneOf(PosixFilePermission.class);
            open.addAll(permissions);
            open.retainAll(GROUP_OR_OTHERS);
            if (open.isEmpty() || !ThisProcess.owns(identity)) {
                return;
            }
        } catch (NoSuchFileException e) {
            return; // loading the key says that it is missing, and how to create it
        } catch (IOException | UnsupportedOperationException e) {
            return; // not a POSIX file system: nothing to compare with OpenSSH's rule
        }
        throw new TransportException("ssh: identity file " + identity + " is readable or writable by others (mode "
                + PosixFilePermissions.toString(permissions) + "); OpenSSH refuses such a key and so does"
                + " zreplj: chmod 600 " + identity);
    }
}
