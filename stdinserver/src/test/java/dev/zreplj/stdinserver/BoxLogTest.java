package dev.zreplj.stdinserver;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.zreplj.files.testing.FullDisk;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Runs as root in CI (as the zfs tests do): the state directory is a tmpfs it fills. */
class BoxLogTest {
    @TempDir
    Path tmp;

    /**
     * A full state directory made the log budget's write throw out of the refusal (Bucket4j wraps the store's
     * error in its own): the receive's refusal never reached the client, whose channel closed under it with
     * "internal error: io.github.bucket4j.BucketExceptions$BucketExecutionException: ...".
     */
    @Test
    void aFullStateDiskNeitherFailsARefusalNorKeepsItsLineFromTheClient() throws Exception {
        try (FullDisk disk = FullDisk.mount(tmp.resolve("diskfull-box"))) {
            disk.fill();
            ByteArrayOutputStream err = new ByteArrayOutputStream();
            BoxLog log = new BoxLog(disk.dir(), "laptop", new PrintStream(err, true, StandardCharsets.UTF_8));
            log.refused("refused RECV into pool/laptop/fs: no room");
            log.failure("the box cannot go on");
            assertEquals(
                    "zreplj stdinserver: client 'laptop': the box cannot go on\n",
                    err.toString(StandardCharsets.UTF_8),
                    "the client still hears it");

            disk.free();
            log.refused("refused RECV into pool/laptop/fs: room again");
            String written = Files.readString(BoxLog.path(disk.dir()));
            assertTrue(written.contains("client 'laptop' [pid "), written);
            assertTrue(written.endsWith(": refused RECV into pool/laptop/fs: room again\n"), written);
        }
    }

    /**
     * A log line cut short by the disk filling (the kernel writes what fits and no more) ran on into the next
     * line written once there was room again: one line that began with one event and ended with another's.
     */
    @Test
    void aLineCutShortByAFullDiskDoesNotRunIntoTheNextOne() throws Exception {
        try (FullDisk disk = FullDisk.mount(tmp.resolve("diskfull-box"))) {
            BoxLog log = new BoxLog(disk.dir(), "laptop", new PrintStream(new ByteArrayOutputStream()));
            log.info("received pool/laptop/fs@first");
            disk.fill();
            for (int i = 0; i < 100; i++) {
                log.info("received pool/laptop/fs@cut " + "x".repeat(100));
            }
            disk.free();
            log.info("received pool/laptop/fs@after");
            for (String line : Files.readAllLines(BoxLog.path(disk.dir()))) {
                assertTrue(
                        line.matches("\\d{4}-\\d\\d-\\d\\dT.* INFO client 'laptop' \\[pid \\d+\\]: received .*"), line);
                assertTrue(line.indexOf(" INFO ") == line.lastIndexOf(" INFO "), "one event per line: " + line);
            }
        }
    }

    /**
     * A local sink's stdinserver runs as root (the agent starts it) in the box user's state directory: its log went
     * wherever a {@code log} swapped for a link pointed, and the file it created there first was root's, which the
     * box user's stdinservers could then not append to.
     */
    @Test
    void rootsLogIsTheBoxUsersAndNeverWrittenThroughALink() throws Exception {
        java.nio.file.attribute.UserPrincipal nobody =
                tmp.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName("nobody");
        Path state = Files.createDirectory(tmp.resolve("state"));
        Files.setOwner(state, nobody);
        new BoxLog(state, "laptop", new PrintStream(new ByteArrayOutputStream())).info("received pool/laptop/fs@a");
        Path log = BoxLog.path(state);
        assertTrue(Files.readString(log).endsWith(": received pool/laptop/fs@a\n"));
        assertEquals(nobody, Files.getOwner(log));
        assertEquals(
                "rw-r-----", java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(log)));

        Path other = Files.createDirectory(tmp.resolve("other"));
        Files.delete(log);
        Files.delete(log.getParent());
        Files.createSymbolicLink(log.getParent(), other);
        new BoxLog(state, "laptop", new PrintStream(new ByteArrayOutputStream())).info("received pool/laptop/fs@b");
        try (java.util.stream.Stream<Path> files = Files.list(other)) {
            assertEquals(0, files.count(), "nothing written where the link points");
        }
    }
}
