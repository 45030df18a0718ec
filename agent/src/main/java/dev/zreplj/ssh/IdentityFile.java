package dev.zreplj.ssh;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributes;
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
     * @param user the user zreplj runs as
     * @throws TransportException with the one line to act on, when the file is open to group or others
     */
    public static void checkPermissions(Path identity, String user) throws TransportException {
        PosixFileAttributes attrs;
        try {
            attrs = Files.readAttributes(identity, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
            if (attrs.isSymbolicLink()) {
                attrs = Files.readAttributes(identity, PosixFileAttributes.class);
            }
        } catch (NoSuchFileException e) {
            return; // loading the key says that it is missing, and how to create it
        } catch (IOException | UnsupportedOperationException e) {
            return; // not a POSIX file system: nothing to compare with OpenSSH's rule
        }
        Set<PosixFilePermission> open = EnumSet.noneOf(PosixFilePermission.class);
        open.addAll(attrs.permissions());
        open.retainAll(GROUP_OR_OTHERS);
        if (!open.isEmpty() && attrs.owner().getName().equals(user)) {
            throw new TransportException("ssh: identity file " + identity + " is readable or writable by others (mode "
                    + PosixFilePermissions.toString(attrs.permissions()) + "); OpenSSH refuses such a key and so does"
                    + " zreplj: chmod 600 " + identity);
        }
    }
}
