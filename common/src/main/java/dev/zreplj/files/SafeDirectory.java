package dev.zreplj.files;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SecureDirectoryStream;
import java.nio.file.attribute.BasicFileAttributeView;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.UserPrincipal;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Map;
import java.util.Set;

/**
 * Opens a directory so that every later step works on the directory itself ({@code openat}, {@code renameat}),
 * and follows a symbolic link on the way only where nobody but root and this process's user can have put it.
 * The state directory is the box user's, also on a machine where root's agent keeps its status below it: a
 * {@code jobs} or {@code metrics} swapped for a link made root write its files wherever that pointed. Links in
 * directories that only root (or this user) can change are the admin's own and are followed, as
 * {@code /var/lib/zreplj -> /srv/zreplj}; below the first directory anyone else can write, a link is refused
 * with a line that names it.
 */
final class SafeDirectory {
    /** As the kernel's own limit on links followed while resolving one path. */
    private static final int MAX_LINKS = 40;

    private SafeDirectory() {}

    static SecureDirectoryStream<Path> open(Path dir) throws IOException {
        Path absolute = dir.toAbsolutePath().normalize();
        Deque<String> rest = new ArrayDeque<>();
        absolute.forEach(name -> rest.add(name.toString()));
        Path at = absolute.getRoot();
        int links = 0;
        while (!rest.isEmpty() && trusted(at)) {
            String name = rest.removeFirst();
            if (name.equals(".")) {
                continue;
            }
            if (name.equals("..")) {
                at = at.getParent() == null ? at : at.getParent();
                continue;
            }
            Path next = at.resolve(name);
            BasicFileAttributes a = Files.readAttributes(next, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
            if (a.isSymbolicLink()) {
                if (++links > MAX_LINKS) {
                    throw new FileSystemException(absolute.toString(), null, "too many levels of symbolic links");
                }
                Path target = Files.readSymbolicLink(next);
                Deque<String> names = new ArrayDeque<>();
                target.forEach(n -> names.add(n.toString()));
                while (!names.isEmpty()) {
                    rest.addFirst(names.removeLast());
                }
                if (target.isAbsolute()) {
                    at = target.getRoot();
                }
                continue;
            }
            if (!a.isDirectory()) {
                throw new FileSystemException(next.toString(), null, "Not a directory");
            }
            at = next;
        }
        // Opened by path: it lies in a directory nobody else can change, or is the root.
        SecureDirectoryStream<Path> current = secure(at);
        try {
            while (!rest.isEmpty()) {
                String name = rest.removeFirst();
                if (name.equals(".")) {
                    continue;
                }
                Path next = at.resolve(name);
                if (name.equals("..")) {
                    throw new FileSystemException(
                            next.toString(),
                            null,
                            "'..' below " + at + ", which " + writers(at) + " can change: zreplj goes no way there"
                                    + " that another user could turn; give the path without it");
                }
                Path relative = Path.of(name);
                BasicFileAttributes a;
                try {
                    a = current.getFileAttributeView(relative, BasicFileAttributeView.class, LinkOption.NOFOLLOW_LINKS)
                            .readAttributes();
                } catch (FileSystemException e) {
                    throw named(e, at);
                }
                if (a.isSymbolicLink()) {
                    throw new FileSystemException(
                            next.toString(),
                            null,
                            "a symbolic link in " + at + ", which " + writers(at) + " can change: zreplj does not"
                                    + " follow it there (it could point root's files anywhere); put a directory in"
                                    + " its place, or point the path at the link's target");
                }
                if (!a.isDirectory()) {
                    throw new FileSystemException(next.toString(), null, "Not a directory");
                }
                SecureDirectoryStream<Path> below;
                try {
                    below = current.newDirectoryStream(relative, LinkOption.NOFOLLOW_LINKS);
                } catch (FileSystemException e) {
                    throw named(e, at);
                }
                current.close();
                current = below;
                at = next;
            }
            return current;
        } catch (IOException | RuntimeException e) {
            current.close();
            throw e;
        }
    }

    /**
     * Fails unless the opened directory is this process's user's and nobody else can write to it (its group only if
     * that is root's): checked on the directory opened, not by its path, so nothing can be swapped in between.
     */
    static void requireOwn(SecureDirectoryStream<Path> dir, Path path) throws IOException {
        PosixFileAttributes a =
                dir.getFileAttributeView(PosixFileAttributeView.class).readAttributes();
        UserPrincipal self = ThisProcess.user();
        Set<PosixFilePermission> mode = a.permissions();
        String problem = null;
        if (!a.owner().equals(self)) {
            problem = "it is " + a.owner().getName() + "'s, not " + self.getName() + "'s";
        } else if (mode.contains(PosixFilePermission.OTHERS_WRITE)) {
            problem = "every user can write to it";
        } else if (mode.contains(PosixFilePermission.GROUP_WRITE)
                && !a.group().getName().equals("root")) {
            problem = "group " + a.group().getName() + " can write to it";
        }
        if (problem != null) {
            throw new IOException(path + ": " + problem + ", so what it holds may not be what " + self.getName()
                    + " wrote there; zreplj does not read it; remove the directory (the next pass makes it again as "
                    + self.getName() + "'s)");
        }
    }

    /** A directory only root or this process's user can change entries of: its links are theirs. */
    private static boolean trusted(Path dir) throws IOException {
        Map<String, Object> a = Files.readAttributes(dir, "unix:uid,mode", LinkOption.NOFOLLOW_LINKS);
        int uid = (Integer) a.get("uid");
        int mode = (Integer) a.get("mode");
        return (uid == 0 || uid == ThisProcess.uid()) && (mode & 0022) == 0;
    }

    /** Who besides root can change {@code dir}'s entries, for the message. */
    private static String writers(Path dir) {
        try {
            PosixFileAttributes a = Files.readAttributes(dir, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
            Set<PosixFilePermission> mode = a.permissions();
            if (mode.contains(PosixFilePermission.OTHERS_WRITE)) {
                return "every user";
            }
            if (mode.contains(PosixFilePermission.GROUP_WRITE)) {
                return "group " + a.group().getName();
            }
            return "user " + a.owner().getName();
        } catch (IOException e) {
            return "another user";
        }
    }

    private static SecureDirectoryStream<Path> secure(Path dir) throws IOException {
        DirectoryStream<Path> stream = Files.newDirectoryStream(dir);
        if (stream instanceof SecureDirectoryStream<Path> secure) {
            return secure;
        }
        stream.close();
        throw new IOException(dir + ": this system cannot open directories safely (no SecureDirectoryStream);"
                + " zreplj's state files need Linux");
    }

    /** The channel the JDK gives on Linux for a file opened through a directory: a FileChannel (to force, lock). */
    static FileChannel fileChannel(SeekableByteChannel channel) throws IOException {
        if (channel instanceof FileChannel file) {
            return file;
        }
        channel.close();
        throw new IOException("no file channel through a secure directory on this system; zreplj needs Linux");
    }

    /**
     * The exception of a step taken through a directory names only the name within it; this one names the whole
     * path (callers print it, and tell a missing file by its type).
     */
    static FileSystemException named(FileSystemException e, Path dir) {
        if (e.getFile() == null || Path.of(e.getFile()).isAbsolute()) {
            return e;
        }
        String file = dir.resolve(e.getFile()).toString();
        String other =
                e.getOtherFile() == null ? null : dir.resolve(e.getOtherFile()).toString();
        FileSystemException named;
        if (e instanceof NoSuchFileException) {
            named = new NoSuchFileException(file, other, e.getReason());
        } else if (e instanceof AccessDeniedException) {
            named = new AccessDeniedException(file, other, e.getReason());
        } else if (e instanceof FileAlreadyExistsException) {
            named = new FileAlreadyExistsException(file, other, e.getReason());
        } else {
            named = new FileSystemException(file, other, e.getReason());
        }
        named.initCause(e);
        return named;
    }
}
