package dev.zreplj.files;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.zreplj.files.testing.FullDisk;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.GroupPrincipal;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipal;
import java.nio.file.attribute.UserPrincipalLookupService;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Runs as root in CI (as the zfs tests do): giving files away is what only root can do. */
class StateFilesTest {
    @TempDir
    Path dir;

    /**
     * A full state disk said "No space left on device" and nothing else, through every caller's message ("cannot
     * write the status file for job J: No space left on device"): no file named, nothing to do.
     */
    @Test
    void aFullOrReadOnlyDiskKeepsTheOldFileAndNamesTheFileAndWhatToDo() throws Exception {
        try (FullDisk disk = FullDisk.mount(dir.resolve("diskfull-state"))) {
            Path file = disk.dir().resolve("laptop.json");
            StateFiles.replace(file, "{\"old\":1}\n".getBytes(), PosixFilePermissions.fromString("rw-r-----"));
            disk.fill();
            byte[] bigger = "{\"new\":1}\n".repeat(2000).getBytes();
            IOException full = assertThrows(
                    IOException.class,
                    () -> StateFiles.replace(file, bigger, PosixFilePermissions.fromString("rw-r-----")));
            assertEquals(file + ": No space left on device; free space there", full.getMessage());
            assertEquals("{\"old\":1}\n", Files.readString(file), "the old file stays whole");
            try (Stream<Path> files = Files.list(disk.dir())) {
                assertEquals(
                        java.util.List.of("diskfull-filler", "laptop.json"),
                        files.map(p -> p.getFileName().toString()).sorted().toList(),
                        "no temp file left behind to take the space the next write needs");
            }
            disk.free();
            disk.readOnly();
            IOException readOnly = assertThrows(
                    IOException.class,
                    () -> StateFiles.replace(file, bigger, PosixFilePermissions.fromString("rw-r-----")));
            assertEquals(
                    file + ": Read-only file system; the kernel remounts a file system read-only after a disk error:"
                            + " check dmesg, then remount it read-write",
                    readOnly.getMessage());
            assertEquals("{\"old\":1}\n", Files.readString(file));
            Path lock = disk.dir().resolve("laptop.lock");
            IOException noLock = assertThrows(IOException.class, () -> StateFiles.openLock(lock));
            assertEquals(
                    lock + ": Read-only file system; the kernel remounts a file system read-only after a disk error:"
                            + " check dmesg, then remount it read-write",
                    noLock.getMessage());
        }
    }

    /** The box's log warning named its file twice: "cannot write the box log F: F: Read-only file system". */
    @Test
    void describeNamesTheFileOnceWithWhatToDo() {
        Path f = Path.of("/var/lib/zreplj/log/stdinserver.log");
        assertEquals(
                f + ": Read-only file system; the kernel remounts a file system read-only after a disk error: check"
                        + " dmesg, then remount it read-write",
                StateFiles.describe(
                        f, new java.nio.file.FileSystemException(f.toString(), null, "Read-only file system")));
        assertEquals(
                f + ": No space left on device; free space there",
                StateFiles.describe(f, new IOException("No space left on device")));
        assertEquals(
                f + ": permission denied",
                StateFiles.describe(f, new java.nio.file.AccessDeniedException(f.toString())));
        assertEquals(
                f + ": Is a directory",
                StateFiles.describe(f, new java.nio.file.FileSystemException(f.toString(), null, "Is a directory")));
        assertEquals(f + ": Stale file handle", StateFiles.describe(f, new IOException("Stale file handle")));
    }

    @Test
    void replaceWritesAWholeNewFileAndNeverThroughALinkAtTheName() throws Exception {
        Path victim = Files.writeString(dir.resolve("victim"), "precious\n");
        Path file = dir.resolve("laptop.json");
        Files.createSymbolicLink(file, victim);
        StateFiles.replace(file, "{}\n".getBytes(), PosixFilePermissions.fromString("rw-r-----"));
        assertEquals("{}\n", Files.readString(file));
        assertFalse(Files.isSymbolicLink(file), "the link was replaced, not followed");
        assertEquals("precious\n", Files.readString(victim));
        assertEquals("rw-r-----", mode(file));
        try (Stream<Path> files = Files.list(dir)) {
            assertEquals(2, files.count(), "no temp file left behind");
        }
    }

    /**
     * Root's status read what a link the box user planted in its state directory pointed at, and quoted its
     * first token in the error ("Unrecognized token 'root'" from /etc/passwd); a FIFO would block it for good.
     */
    @Test
    void readTakesOnlyARegularFileAtTheNameAndNeverAHugeOne() throws Exception {
        Path file = dir.resolve("laptop.json");
        Files.writeString(file, "{\"a\":1}");
        assertEquals("{\"a\":1}", new String(StateFiles.read(file), java.nio.charset.StandardCharsets.UTF_8));
        assertThrows(java.nio.file.NoSuchFileException.class, () -> StateFiles.read(dir.resolve("none.json")));

        Path secret = dir.resolve("secret");
        Files.writeString(secret, "root:x:0:0\n");
        Path linked = dir.resolve("linked.json");
        Files.createSymbolicLink(linked, secret);
        IOException link = assertThrows(IOException.class, () -> StateFiles.read(linked));
        assertEquals(
                linked + ": a symbolic link, which zreplj never reads as a state file; remove it (the next pass"
                        + " or receive writes it again)",
                link.getMessage());

        Path fifo = dir.resolve("fifo.json");
        Process mkfifo = new ProcessBuilder("mkfifo", fifo.toString()).start();
        assertEquals(0, mkfifo.waitFor());
        IOException notFile = assertThrows(IOException.class, () -> StateFiles.read(fifo));
        assertTrue(notFile.getMessage().startsWith(fifo + ": not a regular file"), notFile.getMessage());

        Path huge = dir.resolve("huge.json");
        try (java.io.RandomAccessFile f = new java.io.RandomAccessFile(huge.toFile(), "rw")) {
            f.setLength(StateFiles.MAX_READ + 1L);
        }
        IOException big = assertThrows(IOException.class, () -> StateFiles.read(huge));
        assertTrue(big.getMessage().startsWith(huge + ": 67108865 bytes"), big.getMessage());
    }

    @Test
    void aLockIsNeverOpenedThroughALink() throws Exception {
        Path victim = dir.resolve("created-through-the-link");
        Files.createSymbolicLink(dir.resolve("c.lock"), victim);
        assertThrows(IOException.class, () -> StateFiles.openLock(dir.resolve("c.lock")));
        assertFalse(Files.exists(victim, LinkOption.NOFOLLOW_LINKS), "a dangling link's target was not created");

        try (FileChannel lock = StateFiles.openLock(dir.resolve("d.lock"))) {
            assertEquals("rw-rw----", mode(dir.resolve("d.lock")));
        }
        try (FileChannel again = StateFiles.openLock(dir.resolve("d.lock"))) {
            assertEquals(0, again.size(), "an existing lock file opens as it is");
        }
    }

    @Test
    void whatRootCreatesInAnotherUsersDirectoryBecomesThatUsers() throws Exception {
        UserPrincipalLookupService users = dir.getFileSystem().getUserPrincipalLookupService();
        UserPrincipal nobody = users.lookupPrincipalByName("nobody");
        GroupPrincipal nogroup = users.lookupPrincipalByGroupName("nogroup");
        Path box = Files.createDirectory(dir.resolve("state"));
        Files.setOwner(box, nobody);
        Files.getFileAttributeView(box, java.nio.file.attribute.PosixFileAttributeView.class)
                .setGroup(nogroup);

        StateFiles.replace(box.resolve("laptop.json"), "{}".getBytes(), PosixFilePermissions.fromString("rw-r-----"));
        StateFiles.openLock(box.resolve("laptop.lock")).close();
        StateFiles.createDirectories(box.resolve("clients/sub"), PosixFilePermissions.fromString("rwxr-x---"));
        for (Path p : new Path[] {
            box.resolve("laptop.json"), box.resolve("laptop.lock"), box.resolve("clients"), box.resolve("clients/sub")
        }) {
            PosixFileAttributes a = Files.readAttributes(p, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
            assertEquals(nobody, a.owner(), p + "'s owner (the box user could not lock or rewrite it otherwise)");
            assertEquals(nogroup, a.group(), p + "'s group");
        }
        assertEquals("rwxr-x---", mode(box.resolve("clients")), "whatever the umask");
    }

    /**
     * A state directory another user owns (the box user's, on a machine that is also a box), whose {@code jobs} that
     * user swapped for a link: root wrote its status and lock files wherever the link pointed. Now every step stops
     * at the link, with a line that names it, and nothing is created where it points.
     */
    @Test
    void aLinkOnTheWayInADirectoryAnotherUserCanChangeIsNotFollowed() throws Exception {
        Path state = othersDirectory("state");
        Path target = Files.createDirectory(dir.resolve("target"));
        Files.createSymbolicLink(state.resolve("jobs"), target);
        Files.writeString(target.resolve("planted.json"), "{}");
        Path file = state.resolve("jobs/laptop.json");
        String refusal = state.resolve("jobs") + ": a symbolic link in " + state + ", which user nobody can change:"
                + " zreplj does not follow it there (it could point root's files anywhere); put a directory in its"
                + " place, or point the path at the link's target";

        IOException replaced = assertThrows(
                IOException.class,
                () -> StateFiles.replace(file, "{}".getBytes(), PosixFilePermissions.fromString("rw-------")));
        assertEquals(refusal, replaced.getMessage());
        IOException locked = assertThrows(IOException.class, () -> StateFiles.openLock(state.resolve("jobs/l.lock")));
        assertEquals(refusal, locked.getMessage());
        IOException read = assertThrows(IOException.class, () -> StateFiles.read(state.resolve("jobs/planted.json")));
        assertEquals(refusal, read.getMessage());
        IOException marked = assertThrows(
                IOException.class,
                () -> StateFiles.mark(
                        state.resolve("jobs/planted.json"),
                        java.nio.file.attribute.FileTime.fromMillis(0),
                        PosixFilePermissions.fromString("r--------")));
        assertEquals(refusal, marked.getMessage());
        IOException made =
                assertThrows(IOException.class, () -> StateFiles.createDirectories(state.resolve("jobs/sub")));
        assertEquals(refusal, made.getMessage());
        IOException madeForBox = assertThrows(
                IOException.class,
                () -> StateFiles.createDirectories(
                        state.resolve("jobs"), PosixFilePermissions.fromString("rwx------")));
        assertEquals(refusal, madeForBox.getMessage());

        try (Stream<Path> files = Files.list(target)) {
            assertEquals(
                    java.util.List.of("planted.json"),
                    files.map(p -> p.getFileName().toString()).toList(),
                    "nothing created where the link points");
        }
        assertEquals("rw-r--r--", mode(target.resolve("planted.json")), "nothing changed there either");

        // Deeper down too: a link below a real directory of that user's.
        Path metrics = Files.createDirectory(state.resolve("metrics"));
        Files.setOwner(metrics, nobody());
        Files.createSymbolicLink(metrics.resolve("clients"), target);
        IOException deeper = assertThrows(
                IOException.class,
                () -> StateFiles.replace(
                        metrics.resolve("clients/x.json"),
                        "{}".getBytes(),
                        PosixFilePermissions.fromString("rw-------")));
        assertTrue(
                deeper.getMessage().startsWith(metrics.resolve("clients") + ": a symbolic link in " + metrics),
                deeper.getMessage());
    }

    /** What the walk refuses, it refuses only below a directory others can change: the state files work there. */
    @Test
    void aRealDirectoryOfAnotherUserWorksAsBefore() throws Exception {
        Path state = othersDirectory("state");
        StateFiles.createDirectories(state.resolve("jobs"));
        Path file = state.resolve("jobs/laptop.json");
        StateFiles.replace(file, "{\"a\":1}".getBytes(), PosixFilePermissions.fromString("rw-------"));
        assertEquals("{\"a\":1}", new String(StateFiles.read(file), java.nio.charset.StandardCharsets.UTF_8));
        StateFiles.mark(
                file,
                java.nio.file.attribute.FileTime.fromMillis(86_400_000L),
                PosixFilePermissions.fromString("r--------"));
        assertEquals("r--------", mode(file));
        assertEquals(
                86_400_000L,
                Files.getLastModifiedTime(file, LinkOption.NOFOLLOW_LINKS).toMillis());
        StateFiles.openLock(state.resolve("jobs/laptop.lock")).close();
        assertEquals(
                "root",
                Files.getOwner(state.resolve("jobs"), LinkOption.NOFOLLOW_LINKS).getName(),
                "the caller's own (the agent's jobs/), as before");
        java.nio.file.NoSuchFileException missing = assertThrows(
                java.nio.file.NoSuchFileException.class, () -> StateFiles.read(state.resolve("jobs/none.json")));
        assertEquals(state.resolve("jobs/none.json").toString(), missing.getMessage(), "named whole");
    }

    /**
     * An admin's link where only root can change it ({@code /var/lib/zreplj -> /srv/zreplj}) is followed: only links
     * in directories others can write are refused. Under /run, which only root can change (this test runs as root,
     * as CI does); /tmp, where the other tests live, anyone can.
     */
    @Test
    void aLinkWhereOnlyRootCanChangeItIsFollowed() throws Exception {
        Path root = Files.createTempDirectory(Path.of("/run"), "zreplj-statefiles");
        try {
            Path real = Files.createDirectory(root.resolve("real"));
            Path link = Files.createSymbolicLink(root.resolve("state"), Path.of("real"));
            StateFiles.createDirectories(link.resolve("jobs"));
            StateFiles.replace(
                    link.resolve("jobs/laptop.json"), "{}".getBytes(), PosixFilePermissions.fromString("rw-------"));
            assertEquals("{}", Files.readString(real.resolve("jobs/laptop.json")));
        } finally {
            try (Stream<Path> all = Files.walk(root)) {
                for (Path p : all.sorted(java.util.Comparator.reverseOrder()).toList()) {
                    Files.delete(p);
                }
            }
        }
    }

    /**
     * Root's agent keeps its status in {@code jobs/} inside the box user's state directory, and that user can put a
     * directory of its own there, with a status that says all is well: root reads its own files only from a
     * directory of its own that nobody else can write to.
     */
    @Test
    void readOwnReadsOnlyFromADirectoryOfThisUsersAlone() throws Exception {
        Path mine = Files.createDirectory(dir.resolve("mine"));
        Files.writeString(mine.resolve("laptop.json"), "{}");
        Files.setLastModifiedTime(mine.resolve("laptop.json"), java.nio.file.attribute.FileTime.fromMillis(5000));
        StateFiles.Own own = StateFiles.readOwn(mine.resolve("laptop.json"));
        assertEquals("{}", new String(own.content(), java.nio.charset.StandardCharsets.UTF_8));
        assertEquals(5000, own.modified().toMillis());

        Path forged = othersDirectory("jobs");
        Files.writeString(forged.resolve("laptop.json"), "{}");
        IOException others = assertThrows(IOException.class, () -> StateFiles.readOwn(forged.resolve("laptop.json")));
        assertEquals(
                forged + ": it is nobody's, not root's, so what it holds may not be what root wrote there; zreplj does"
                        + " not read it; remove the directory (the next pass makes it again as root's)",
                others.getMessage());

        Files.setPosixFilePermissions(mine, PosixFilePermissions.fromString("rwxrwxrwx"));
        IOException everyone = assertThrows(IOException.class, () -> StateFiles.readOwn(mine.resolve("laptop.json")));
        assertTrue(everyone.getMessage().startsWith(mine + ": every user can write to it, "), everyone.getMessage());
        Files.setPosixFilePermissions(mine, PosixFilePermissions.fromString("rwxrwx---"));
        Files.getFileAttributeView(mine, java.nio.file.attribute.PosixFileAttributeView.class)
                .setGroup(dir.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByGroupName("nogroup"));
        IOException group = assertThrows(IOException.class, () -> StateFiles.readOwn(mine.resolve("laptop.json")));
        assertTrue(group.getMessage().startsWith(mine + ": group nogroup can write to it, "), group.getMessage());

        assertThrows(java.nio.file.NoSuchFileException.class, () -> StateFiles.readOwn(dir.resolve("none/x.json")));
    }

    /** A directory of {@code nobody}'s, as the box user's state directory is to root's agent. */
    private Path othersDirectory(String name) throws IOException {
        Path d = Files.createDirectory(dir.resolve(name));
        Files.setOwner(d, nobody());
        return d;
    }

    private UserPrincipal nobody() throws IOException {
        return dir.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName("nobody");
    }

    private static String mode(Path p) throws IOException {
        return PosixFilePermissions.toString(Files.getPosixFilePermissions(p, LinkOption.NOFOLLOW_LINKS));
    }
}
