package dev.zreplj.files;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Arrays;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Files in directories another user may own: the state directory is the box user's (postinst), and on a
 * machine with both roles the root agent, {@code box forget} and {@code release-stale} write there too.
 * Nothing is opened through a link planted in such a directory, a temp file never has a name known in
 * advance, and what root creates there goes to the directory's owner and group, so the box user can
 * still lock and rewrite it at its next receive.
 */
public final class StateFiles {
    private static final Set<PosixFilePermission> LOCK_MODE = PosixFilePermissions.fromString("rw-rw----");

    /** Far more than any state file holds (a job status of thousands of filesystems is under a MB). */
    static final int MAX_READ = 64 << 20;

    private StateFiles() {}

    /**
     * The content of {@code file}, read only if it is a regular file of at most 64 MiB, never through a link
     * in its place: the box user owns the state directory, and root's {@code status} must neither quote the
     * start of a file a planted link points at (/etc/shadow) nor block on a FIFO or read /dev/zero until its
     * heap runs out. A missing file is {@link NoSuchFileException}, unreadable {@link
     * AccessDeniedException}, as from {@link Files#readAllBytes}.
     */
    public static byte[] read(Path file) throws IOException {
        // Looked at first, since opening a FIFO blocks; opened without following a link, so one swapped in
        // meanwhile fails the open.
        BasicFileAttributes a = Files.readAttributes(file, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        if (!a.isRegularFile()) {
            throw new IOException(file + ": " + (a.isSymbolicLink() ? "a symbolic link" : "not a regular file")
                    + ", which zreplj never reads as a state file; remove it (the next pass or receive writes it"
                    + " again)");
        }
        try (FileChannel in = FileChannel.open(file, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS)) {
            long size = in.size();
            if (size > MAX_READ) {
                throw new IOException(file + ": " + size + " bytes, more than any state file zreplj writes (" + MAX_READ
                        + "); remove it (the next pass or receive writes it again)");
            }
            ByteBuffer buffer = ByteBuffer.allocate((int) size);
            while (buffer.hasRemaining() && in.read(buffer) >= 0) {
                // until full or at the end (a file that shrank meanwhile)
            }
            return Arrays.copyOf(buffer.array(), buffer.position());
        }
    }

    /**
     * Replaces {@code file} with {@code content} atomically (a reader sees the old file or the new one):
     * written to a fresh temp name beside it (O_EXCL, not followed if swapped for a link) and synced, given
     * {@code mode} and the directory's owner, then renamed over it, and the directory synced: after a crash the
     * old file or the new one, never an empty one.
     */
    public static void replace(Path file, byte[] content, Set<PosixFilePermission> mode) throws IOException {
        try {
            replaceVia(file, content, mode);
        } catch (IOException e) {
            throw unwritable(file, e);
        }
    }

    /**
     * A full or read-only disk as one line that names the file and says what to do: the JDK's own message names
     * no file ({@code No space left on device} from a write) or the temp file, which is gone by then.
     */
    private static IOException unwritable(Path file, IOException e) {
        return fullOrReadOnly(file, e)
                .<IOException>map(line -> new IOException(line, e))
                .orElse(e);
    }

    /**
     * Why {@code file} could not be written, in one line that names it once: with what to do for a full or read-only
     * disk, else the JDK's message (which names the file only where it opened it).
     */
    public static String describe(Path file, IOException e) {
        Optional<String> disk = fullOrReadOnly(file, e);
        if (disk.isPresent()) {
            return disk.get();
        }
        if (e instanceof FileSystemException f && f.getReason() == null) {
            // Its message is only the path it was about.
            String why = e instanceof AccessDeniedException
                    ? "permission denied"
                    : e instanceof NoSuchFileException
                            ? "no such file or directory"
                            : e.getClass().getSimpleName();
            return (f.getFile() == null ? file.toString() : f.getFile()) + ": " + why;
        }
        String message = String.valueOf(e.getMessage());
        return message.startsWith(file + ": ") ? message : file + ": " + message;
    }

    private static Optional<String> fullOrReadOnly(Path file, IOException e) {
        String reason = e instanceof FileSystemException f && f.getReason() != null ? f.getReason() : e.getMessage();
        String advice = switch (String.valueOf(reason)) {
            case "No space left on device" -> "free space there";
            case "Disk quota exceeded" -> "raise the quota or free space there";
            case "Read-only file system" ->
                "the kernel remounts a file system read-only after a disk error: check"
                        + " dmesg, then remount it read-write";
            default -> null;
        };
        return Optional.ofNullable(advice).map(a -> file + ": " + reason + "; " + a);
    }

    private static void replaceVia(Path file, byte[] content, Set<PosixFilePermission> mode) throws IOException {
        Path dir = file.toAbsolutePath().getParent();
        // Not the final name's suffix: a collector reading *.prom or *.json must not read the temp file.
        Path temp = Files.createTempFile(dir, "." + file.getFileName(), ".tmp");
        try {
            try (FileChannel out = FileChannel.open(
                    temp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING, LinkOption.NOFOLLOW_LINKS)) {
                ByteBuffer bytes = ByteBuffer.wrap(content);
                while (bytes.hasRemaining()) {
                    out.write(bytes);
                }
                // On disk before the rename: XFS (and ext4 without auto_da_alloc) may otherwise commit the rename
                // first, and a crash then leaves an empty file where the old one was: a receive-time file the
                // keep floor would fall back to the client's creation times for, a status with its history lost.
                out.force(true);
            }
            view(temp).setPermissions(mode);
            giveToOwnerOf(dir, temp);
            try {
                Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(temp, file, StandardCopyOption.REPLACE_EXISTING);
            }
            // The rename itself survives a crash only once the directory is on disk.
            try (FileChannel directory = FileChannel.open(dir, StandardOpenOption.READ)) {
                directory.force(true);
            }
        } finally {
            Files.deleteIfExists(temp);
        }
    }

    /**
     * Opens {@code file} for reading and writing, to lock: never through a link; one this call creates is
     * {@code rw-rw----} and its directory's owner's.
     */
    public static FileChannel openLock(Path file) throws IOException {
        try {
            return openLockVia(file);
        } catch (IOException e) {
            throw unwritable(file, e);
        }
    }

    private static FileChannel openLockVia(Path file) throws IOException {
        while (true) {
            try {
                return FileChannel.open(
                        file, StandardOpenOption.READ, StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS);
            } catch (NoSuchFileException missing) {
                try {
                    FileChannel created = FileChannel.open(
                            file,
                            StandardOpenOption.CREATE_NEW,
                            StandardOpenOption.READ,
                            StandardOpenOption.WRITE,
                            LinkOption.NOFOLLOW_LINKS);
                    try {
                        view(file).setPermissions(LOCK_MODE);
                        giveToOwnerOf(file.toAbsolutePath().getParent(), file);
                    } catch (IOException | RuntimeException e) {
                        created.close();
                        throw e;
                    }
                    return created;
                } catch (FileAlreadyExistsException raced) {
                    // Another process created it in between: open that one.
                }
            }
        }
    }

    /** Creates the missing directories of {@code dir} with {@code mode}, each its parent's owner's. */
    public static void createDirectories(Path dir, Set<PosixFilePermission> mode) throws IOException {
        Path absolute = dir.toAbsolutePath();
        if (Files.isDirectory(absolute)) {
            return;
        }
        Path parent = absolute.getParent();
        if (parent != null) {
            createDirectories(parent, mode);
        }
        try {
            Files.createDirectory(absolute, PosixFilePermissions.asFileAttribute(mode));
        } catch (FileAlreadyExistsException e) {
            if (!Files.isDirectory(absolute)) {
                throw e;
            }
            return;
        }
        // The umask may have taken bits the mode asks for.
        view(absolute).setPermissions(mode);
        if (parent != null) {
            giveToOwnerOf(parent, absolute);
        }
    }

    private static PosixFileAttributeView view(Path path) {
        return Files.getFileAttributeView(path, PosixFileAttributeView.class, LinkOption.NOFOLLOW_LINKS);
    }

    /** Only root can give a file away; anyone else keeps it, as before. */
    private static void giveToOwnerOf(Path dir, Path created) throws IOException {
        // By number first: the usual case (the box user writing its own directory) then costs no user lookup.
        Map<String, Object> dn = Files.readAttributes(dir, "unix:uid,gid");
        Map<String, Object> cn = Files.readAttributes(created, "unix:uid,gid", LinkOption.NOFOLLOW_LINKS);
        if (dn.equals(cn)) {
            return;
        }
        PosixFileAttributes d = Files.readAttributes(dir, PosixFileAttributes.class);
        try {
            view(created).setOwner(d.owner());
            view(created).setGroup(d.group());
        } catch (FileSystemException notRoot) {
            // A user writing into a directory it may write to but does not own: the file stays its own.
        }
    }
}
