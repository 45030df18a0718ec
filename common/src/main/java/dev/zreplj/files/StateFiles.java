package dev.zreplj.files;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.SecureDirectoryStream;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributeView;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Files in directories another user may own: the state directory is the box user's (postinst), and on a
 * machine with both roles the root agent, {@code box forget} and {@code release-stale} write there too.
 * Nothing is opened through a link planted in such a directory, nor through one on the way to it ({@link
 * SafeDirectory}), a temp file never has a name known in advance, and what root creates there for the box goes
 * to the directory's owner and group, so the box user can still lock and rewrite it at its next receive.
 */
public final class StateFiles {
    private static final Set<PosixFilePermission> LOCK_MODE = PosixFilePermissions.fromString("rw-rw----");
    /** Temp names need only be unguessed ahead (they are created exclusively, never followed), not secret. */
    private static final SecureRandom RANDOM = new SecureRandom();

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
        Path absolute = file.toAbsolutePath();
        try (SecureDirectoryStream<Path> dir = openToRead(absolute)) {
            return readIn(dir, absolute);
        } catch (FileSystemException e) {
            throw SafeDirectory.named(e, absolute.getParent());
        }
    }

    /** A file's content and its modification time, read through one opened directory. */
    public record Own(byte[] content, FileTime modified) {}

    /**
     * As {@link #read}, and only from a directory that is this process's user's and that nobody else can write to, so
     * that no other user can have put the file there: root's agent's own status in {@code jobs/}, inside a state
     * directory the box user owns and could otherwise have swapped that directory in (a forged status saying all is
     * well). Otherwise an IOException that names the directory, its owner, and what to do.
     */
    public static Own readOwn(Path file) throws IOException {
        Path absolute = file.toAbsolutePath();
        try (SecureDirectoryStream<Path> dir = openToRead(absolute)) {
            SafeDirectory.requireOwn(dir, absolute.getParent());
            byte[] content = readIn(dir, absolute);
            FileTime modified = dir.getFileAttributeView(
                            absolute.getFileName(), BasicFileAttributeView.class, LinkOption.NOFOLLOW_LINKS)
                    .readAttributes()
                    .lastModifiedTime();
            return new Own(content, modified);
        } catch (FileSystemException e) {
            throw SafeDirectory.named(e, absolute.getParent());
        }
    }

    /**
     * The directory of {@code file}; a directory on the way that is missing or cannot be entered is the file's own
     * NoSuchFileException or AccessDeniedException, as from {@link Files#readAllBytes}: a reader says "never run" or
     * "run it as root" by those.
     */
    private static SecureDirectoryStream<Path> openToRead(Path file) throws IOException {
        try {
            return SafeDirectory.open(file.getParent());
        } catch (NoSuchFileException e) {
            throw (NoSuchFileException) new NoSuchFileException(file.toString(), null, e.getReason()).initCause(e);
        } catch (AccessDeniedException e) {
            throw (AccessDeniedException) new AccessDeniedException(file.toString(), null, e.getReason()).initCause(e);
        }
    }

    private static byte[] readIn(SecureDirectoryStream<Path> dir, Path absolute) throws IOException {
        Path name = absolute.getFileName();
        // Looked at first, since opening a FIFO blocks; opened without following a link, so one swapped in
        // meanwhile fails the open.
        BasicFileAttributes a = dir.getFileAttributeView(name, BasicFileAttributeView.class, LinkOption.NOFOLLOW_LINKS)
                .readAttributes();
        if (!a.isRegularFile()) {
            throw new IOException(absolute + ": " + (a.isSymbolicLink() ? "a symbolic link" : "not a regular file")
                    + ", which zreplj never reads as a state file; remove it (the next pass or receive writes it"
                    + " again)");
        }
        try (SeekableByteChannel in =
                dir.newByteChannel(name, Set.of(StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS))) {
            long size = in.size();
            if (size > MAX_READ) {
                throw new IOException(absolute + ": " + size + " bytes, more than any state file zreplj writes ("
                        + MAX_READ + "); remove it (the next pass or receive writes it again)");
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
        Path absolute = file.toAbsolutePath();
        try (SecureDirectoryStream<Path> dir = SafeDirectory.open(absolute.getParent())) {
            replaceIn(dir, absolute, content, (temp, view) -> {
                view.setPermissions(mode);
                giveToOwnerOf(dir, absolute.getParent(), temp);
            });
        } catch (FileSystemException e) {
            throw SafeDirectory.named(e, absolute.getParent());
        }
    }

    /** What a new file gets before it takes the old one's name: its mode, its owner. */
    @FunctionalInterface
    private interface Finish {
        void apply(Path temp, PosixFileAttributeView view) throws IOException;
    }

    private static void replaceIn(SecureDirectoryStream<Path> dir, Path absolute, byte[] content, Finish finish)
            throws IOException {
        Path name = absolute.getFileName();
        Path temp = null;
        try {
            // Not the final name's suffix: a collector reading *.prom or *.json must not read the temp file.
            temp = createTemp(dir, "." + name);
            try (FileChannel out = SafeDirectory.fileChannel(
                    dir.newByteChannel(temp, Set.of(StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS)))) {
                ByteBuffer bytes = ByteBuffer.wrap(content);
                while (bytes.hasRemaining()) {
                    out.write(bytes);
                }
                // On disk before the rename: XFS (and ext4 without auto_da_alloc) may otherwise commit the rename
                // first, and a crash then leaves an empty file where the old one was: a receive-time file the keep
                // floor would fall back to the client's creation times for, a status with its history lost.
                out.force(true);
            }
            finish.apply(temp, dir.getFileAttributeView(temp, PosixFileAttributeView.class, LinkOption.NOFOLLOW_LINKS));
            dir.move(temp, dir, name);
            temp = null;
            // The rename itself survives a crash only once the directory is on disk.
            try (FileChannel directory =
                    SafeDirectory.fileChannel(dir.newByteChannel(Path.of("."), Set.of(StandardOpenOption.READ)))) {
                directory.force(true);
            }
        } finally {
            if (temp != null) {
                try {
                    dir.deleteFile(temp);
                } catch (NoSuchFileException gone) {
                    // never created
                }
            }
        }
    }

    /** How {@link #rewrite} changes a file's content; null for no change. */
    @FunctionalInterface
    public interface Edit {
        byte[] apply(byte[] content) throws IOException;
    }

    /**
     * Rewrites a file another user may own or whose directory it may own (a box user's {@code authorized_keys})
     * with what {@code edit} makes of its content, atomically, keeping its owner, group and mode. A link at the
     * name is followed, to the file sshd reads; on the way to the directory it is in, no link another user could
     * have planted is followed, and the file is read and replaced in that one directory, opened once: a directory
     * swapped for a link in between cannot make root write what it read from one file into another.
     *
     * @return whether it changed ({@code edit} returned content)
     */
    public static boolean rewrite(Path file, Edit edit) throws IOException {
        Path target = file.toAbsolutePath();
        for (int links = 0; Files.isSymbolicLink(target); links++) {
            if (links >= 40) {
                throw new FileSystemException(file.toString(), null, "too many levels of symbolic links");
            }
            target = target.resolveSibling(Files.readSymbolicLink(target)).normalize();
        }
        Path name = target.getFileName();
        try (SecureDirectoryStream<Path> dir = SafeDirectory.open(target.getParent())) {
            PosixFileAttributeView view =
                    dir.getFileAttributeView(name, PosixFileAttributeView.class, LinkOption.NOFOLLOW_LINKS);
            PosixFileAttributes attributes = view.readAttributes();
            if (!attributes.isRegularFile()) {
                throw new IOException(target + ": not a regular file (it changed while it was looked at, or is a"
                        + " link that points on)");
            }
            byte[] content = readIn(dir, target);
            byte[] next = edit.apply(content);
            if (next == null) {
                return false;
            }
            replaceIn(dir, target, next, (temp, tempView) -> {
                tempView.setGroup(attributes.group());
                tempView.setOwner(attributes.owner());
                tempView.setPermissions(attributes.permissions());
            });
            return true;
        } catch (FileSystemException e) {
            throw SafeDirectory.named(e, target.getParent());
        }
    }

    /** A new empty file of an unguessed name ({@code prefix}, random digits, {@code .tmp}), created, not opened. */
    private static Path createTemp(SecureDirectoryStream<Path> dir, String prefix) throws IOException {
        for (int attempt = 0; ; attempt++) {
            Path temp = Path.of(prefix + Long.toUnsignedString(RANDOM.nextLong()) + ".tmp");
            try {
                dir.newByteChannel(
                                temp,
                                Set.of(
                                        StandardOpenOption.CREATE_NEW,
                                        StandardOpenOption.WRITE,
                                        LinkOption.NOFOLLOW_LINKS),
                                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")))
                        .close();
                return temp;
            } catch (FileAlreadyExistsException taken) {
                if (attempt >= 100) {
                    throw taken;
                }
            }
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
        return openOrCreate(file, LOCK_MODE, StandardOpenOption.READ, StandardOpenOption.WRITE);
    }

    /**
     * Opens {@code file} to append to, never through a link; one this call creates has {@code mode} and its
     * directory's owner (the box's log, which root's local stdinserver may be the first to write).
     */
    public static FileChannel openAppend(Path file, Set<PosixFilePermission> mode) throws IOException {
        return openOrCreate(file, mode, StandardOpenOption.WRITE, StandardOpenOption.APPEND);
    }

    /** Opens {@code file} as {@code access} says, never through a link; creates it with {@code mode} when missing. */
    private static FileChannel openOrCreate(Path file, Set<PosixFilePermission> mode, StandardOpenOption... access)
            throws IOException {
        Path absolute = file.toAbsolutePath();
        Path name = absolute.getFileName();
        Set<OpenOption> open = new HashSet<>(Arrays.asList(access));
        open.add(LinkOption.NOFOLLOW_LINKS);
        Set<OpenOption> create = new HashSet<>(open);
        create.add(StandardOpenOption.CREATE_NEW);
        try (SecureDirectoryStream<Path> dir = SafeDirectory.open(absolute.getParent())) {
            while (true) {
                try {
                    return SafeDirectory.fileChannel(dir.newByteChannel(name, open));
                } catch (NoSuchFileException missing) {
                    try {
                        FileChannel created = SafeDirectory.fileChannel(dir.newByteChannel(name, create));
                        try {
                            dir.getFileAttributeView(name, PosixFileAttributeView.class, LinkOption.NOFOLLOW_LINKS)
                                    .setPermissions(mode);
                            giveToOwnerOf(dir, absolute.getParent(), name);
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
        } catch (FileSystemException e) {
            throw SafeDirectory.named(e, absolute.getParent());
        }
    }

    /** Deletes {@code file} if it is there, never a link's target, nor through a link on the way. */
    public static void delete(Path file) throws IOException {
        Path absolute = file.toAbsolutePath();
        try (SecureDirectoryStream<Path> dir = SafeDirectory.open(absolute.getParent())) {
            dir.deleteFile(absolute.getFileName());
        } catch (NoSuchFileException gone) {
            // nothing to delete (or no directory it could be in)
        } catch (FileSystemException e) {
            throw SafeDirectory.named(e, absolute.getParent());
        }
    }

    /**
     * Sets {@code file}'s modification time and mode, never through a link: at the name, or on the way to it in a
     * directory another user can write; only in a directory of this user's alone, as {@link #readOwn} reads.
     */
    public static void mark(Path file, FileTime modified, Set<PosixFilePermission> mode) throws IOException {
        Path absolute = file.toAbsolutePath();
        Path name = absolute.getFileName();
        try (SecureDirectoryStream<Path> dir = SafeDirectory.open(absolute.getParent())) {
            SafeDirectory.requireOwn(dir, absolute.getParent());
            PosixFileAttributeView view =
                    dir.getFileAttributeView(name, PosixFileAttributeView.class, LinkOption.NOFOLLOW_LINKS);
            if (!view.readAttributes().isRegularFile()) {
                throw new IOException(absolute + ": not a regular file, which zreplj never marks as a state file");
            }
            view.setTimes(modified, null, null);
            view.setPermissions(mode);
        } catch (FileSystemException e) {
            throw SafeDirectory.named(e, absolute.getParent());
        }
    }

    /**
     * Creates the missing directories of {@code dir} with {@code mode}, each its parent's owner's (the box's own
     * directories, which root's commands may be the first to need). Never through a link another user could have
     * planted on the way ({@link SafeDirectory}).
     */
    public static void createDirectories(Path dir, Set<PosixFilePermission> mode) throws IOException {
        create(dir.toAbsolutePath().normalize(), mode);
    }

    /**
     * Creates the missing directories of {@code dir} as the caller's own, with the umask's mode (the agent's
     * {@code jobs/}: root's, 0700 under the shipped units), never through a link another user could have planted
     * on the way.
     */
    public static void createDirectories(Path dir) throws IOException {
        create(dir.toAbsolutePath().normalize(), null);
    }

    private static void create(Path dir, Set<PosixFilePermission> mode) throws IOException {
        try (SecureDirectoryStream<Path> exists = SafeDirectory.open(dir)) {
            return;
        } catch (NoSuchFileException missing) {
            // made below, its missing parents first
        }
        Path parent = dir.getParent();
        if (parent == null) {
            throw new NoSuchFileException(dir.toString());
        }
        create(parent, mode);
        Path name = dir.getFileName();
        try (SecureDirectoryStream<Path> in = SafeDirectory.open(parent)) {
            boolean made = true;
            try {
                // By path, as Java has no mkdirat: should another user swap a directory on the way for a link in
                // between, this makes an empty directory where it points, and the checks below, through the
                // parent opened without following links, fail on the name it was meant to have.
                if (mode == null) {
                    Files.createDirectory(dir);
                } else {
                    Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(mode));
                }
            } catch (FileAlreadyExistsException raced) {
                // made meanwhile by another process: used if it is a directory (checked below), left as it is
                made = false;
            }
            PosixFileAttributeView view =
                    in.getFileAttributeView(name, PosixFileAttributeView.class, LinkOption.NOFOLLOW_LINKS);
            if (!view.readAttributes().isDirectory()) {
                throw new FileSystemException(dir.toString(), null, "not a directory (a link or a file in its place)");
            }
            if (made && mode != null) {
                // The umask may have taken bits the mode asks for.
                view.setPermissions(mode);
                giveToOwnerOf(in, parent, name);
            }
        } catch (FileSystemException e) {
            throw SafeDirectory.named(e, parent);
        }
    }

    /** Only root can give a file away; anyone else keeps it, as before. */
    private static void giveToOwnerOf(SecureDirectoryStream<Path> dir, Path dirPath, Path created) throws IOException {
        // By number first: the usual case (the box user writing its own directory) then costs no user lookup. Read
        // by path, so a link swapped in could only make this skip giving a file away, never give one.
        Map<String, Object> dn = Files.readAttributes(dirPath, "unix:uid,gid");
        Map<String, Object> cn =
                Files.readAttributes(dirPath.resolve(created), "unix:uid,gid", LinkOption.NOFOLLOW_LINKS);
        if (dn.equals(cn)) {
            return;
        }
        PosixFileAttributes d =
                dir.getFileAttributeView(PosixFileAttributeView.class).readAttributes();
        PosixFileAttributeView view =
                dir.getFileAttributeView(created, PosixFileAttributeView.class, LinkOption.NOFOLLOW_LINKS);
        try {
            view.setOwner(d.owner());
            view.setGroup(d.group());
        } catch (FileSystemException notRoot) {
            // A user writing into a directory it may write to but does not own: the file stays its own.
        }
    }
}
