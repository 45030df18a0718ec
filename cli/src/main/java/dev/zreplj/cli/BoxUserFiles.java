package dev.zreplj.cli;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SecureDirectoryStream;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributeView;
import java.nio.file.attribute.GroupPrincipal;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipal;
import java.nio.file.attribute.UserPrincipalLookupService;
import java.util.Set;

/**
 * {@code box setup}'s changes to the box user's directories and files: the state directory and {@code ~/.ssh}
 * are that user's, so every step here opens them without following a link the user could have planted.
 */
final class BoxUserFiles {
    private BoxUserFiles() {}

    /** {@code file} is a regular file of {@code u} that only {@code u} may read or write. */
    static boolean isKeysFileOf(BoxSetupPlan.User u, Path file) {
        try {
            return Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)
                    && (Integer) Files.getAttribute(file, "unix:uid", LinkOption.NOFOLLOW_LINKS) == u.uid()
                    && (Integer) Files.getAttribute(file, "unix:mode", LinkOption.NOFOLLOW_LINKS) % 01000 == 0600;
        } catch (IOException e) {
            return false;
        }
    }

    /**
     * {@code ~/.ssh/authorized_keys} of a box user, created empty when missing, that user's with mode 0600. sshd
     * reads it as that user, and root appends the key lines ({@code authorized-keys ... >>}): a file that append
     * created under root's umask 027 or 077 (hardened boxes) is root's 0640 or 0600, which sshd then cannot
     * open ("Permission denied (publickey)" for every client). Opened below .ssh without following a link.
     */
    static void authorizedKeys(BoxSetupPlan.User u) throws CliException {
        Path file = u.home().resolve(".ssh/authorized_keys");
        try {
            UserPrincipalLookupService users = FileSystems.getDefault().getUserPrincipalLookupService();
            try (SecureDirectoryStream<Path> home = secure(Files.newDirectoryStream(u.home()), u.home());
                    SecureDirectoryStream<Path> ssh =
                            home.newDirectoryStream(Path.of(".ssh"), LinkOption.NOFOLLOW_LINKS)) {
                Path name = Path.of("authorized_keys");
                ssh.newByteChannel(
                                name,
                                Set.of(
                                        StandardOpenOption.CREATE,
                                        StandardOpenOption.WRITE,
                                        StandardOpenOption.APPEND,
                                        LinkOption.NOFOLLOW_LINKS),
                                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")))
                        .close();
                PosixFileAttributeView view =
                        ssh.getFileAttributeView(name, PosixFileAttributeView.class, LinkOption.NOFOLLOW_LINKS);
                view.setOwner(users.lookupPrincipalByName(u.name()));
                view.setGroup(users.lookupPrincipalByGroupName(String.valueOf(u.gid())));
                view.setPermissions(PosixFilePermissions.fromString("rw-------"));
            }
        } catch (IOException e) {
            throw CliException.failure(
                    "box setup: cannot make " + file + " a file of " + u.name() + ": " + e.getMessage());
        }
    }

    /**
     * The state directory itself may be a link root made (moved to a bigger disk): its target is prepared. A
     * link anyone else made is left for {@link #directories} to refuse.
     */
    static Path rootsTarget(Path dir) throws CliException {
        try {
            if (Files.isSymbolicLink(dir)
                    && (Integer) Files.getAttribute(dir, "unix:uid", LinkOption.NOFOLLOW_LINKS) == 0) {
                return dir.toRealPath();
            }
            return dir;
        } catch (IOException e) {
            throw CliException.failure("box setup: " + dir + ": " + e.getMessage());
        }
    }

    /**
     * Makes {@code names} (the first in {@code parent}, each next inside the one before) directories of {@code u}
     * with {@code mode}, each opened relative to the one before and never through a link: the box user owns
     * them and could plant one (metrics -> /etc, .ssh -> /root), and {@code install -d} followed it, giving the
     * target to that user, even when the link appeared after setup had looked.
     */
    static void directories(BoxSetupPlan.User u, String mode, Path parent, String... names) throws CliException {
        Path path = parent;
        try {
            UserPrincipalLookupService users = FileSystems.getDefault().getUserPrincipalLookupService();
            UserPrincipal owner = users.lookupPrincipalByName(u.name());
            GroupPrincipal group = users.lookupPrincipalByGroupName(String.valueOf(u.gid()));
            Files.createDirectories(parent);
            SecureDirectoryStream<Path> dir = secure(Files.newDirectoryStream(parent), parent);
            try {
                for (String name : names) {
                    path = path.resolve(name);
                    try {
                        // mkdir never follows a link in its last component: a planted one is refused below.
                        Files.createDirectory(path);
                    } catch (FileAlreadyExistsException e) {
                        // Opened and set below as it is.
                    }
                    if (dir.getFileAttributeView(Path.of(name), BasicFileAttributeView.class, LinkOption.NOFOLLOW_LINKS)
                            .readAttributes()
                            .isSymbolicLink()) {
                        throw CliException.failure("box setup: " + path + " is a symbolic link; box"
                                + " setup does not follow links in the box user's directories (remove it and run box"
                                + " setup again)");
                    }
                    SecureDirectoryStream<Path> child =
                            dir.newDirectoryStream(Path.of(name), LinkOption.NOFOLLOW_LINKS);
                    dir.close();
                    dir = child;
                    PosixFileAttributeView view = dir.getFileAttributeView(PosixFileAttributeView.class);
                    view.setOwner(owner);
                    view.setGroup(group);
                    view.setPermissions(PosixFilePermissions.fromString(mode));
                }
            } finally {
                dir.close();
            }
        } catch (IOException e) {
            throw CliException.failure(
                    "box setup: cannot make " + path + " a directory of " + u.name() + ": " + e.getMessage());
        }
    }

    private static SecureDirectoryStream<Path> secure(DirectoryStream<Path> stream, Path dir) throws IOException {
        if (stream instanceof SecureDirectoryStream<Path> secure) {
            return secure;
        }
        stream.close();
        throw new IOException("this system cannot open " + dir + " without following links");
    }

    /**
     * Every one of {@code dirs} is a directory of {@code u} (owner and group) with exactly {@code mode}: a mode
     * looser than the documented one (a 0755 or group-writable state directory on a box that already received)
     * is set again, not kept.
     */
    static boolean ownedWithMode(BoxSetupPlan.User u, String mode, Path... dirs) {
        for (Path dir : dirs) {
            try {
                if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)
                        || (Integer) Files.getAttribute(dir, "unix:uid", LinkOption.NOFOLLOW_LINKS) != u.uid()
                        || (Integer) Files.getAttribute(dir, "unix:gid", LinkOption.NOFOLLOW_LINKS) != u.gid()
                        || (Integer) Files.getAttribute(dir, "unix:mode", LinkOption.NOFOLLOW_LINKS) % 010000
                                != Integer.parseInt(toOctal(mode), 8)) {
                    return false;
                }
            } catch (IOException e) {
                return false;
            }
        }
        return true;
    }

    /** "rwxr-x---" as "750". */
    private static String toOctal(String mode) {
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < 9; i += 3) {
            out.append((mode.charAt(i) == 'r' ? 4 : 0)
                    + (mode.charAt(i + 1) == 'w' ? 2 : 0)
                    + (mode.charAt(i + 2) == 'x' ? 1 : 0));
        }
        return out.toString();
    }
}
