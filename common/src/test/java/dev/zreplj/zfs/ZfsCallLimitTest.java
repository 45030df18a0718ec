package dev.zreplj.zfs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A local zfs call that hangs is stopped at the call limit, named, and its process ended. */
class ZfsCallLimitTest {

    /**
     * A zfs whose {@code list} never ends (as on a suspended pool) and writes its pid first; {@code set user:x=1}
     * succeeds, anything else fails with a line on stderr.
     */
    private static Path hangingZfs(Path dir) throws Exception {
        Path fake = dir.resolve("zfs");
        Files.writeString(
                fake,
                "#!/bin/sh\nif [ \"$1\" = list ]; then echo $$ > " + dir.resolve("pid") + "; exec sleep 600; fi\n"
                        + "if [ \"$2\" = user:x=1 ]; then exit 0; fi\necho 'cannot do it' >&2\nexit 1\n");
        Files.setPosixFilePermissions(fake, PosixFilePermissions.fromString("rwxr-xr-x"));
        return fake;
    }

    @Test
    void aHangingListFailsAtTheLimitNamingTheCommandAndTheLimitAndItsProcessIsEnded(@TempDir Path dir)
            throws Exception {
        Path fake = hangingZfs(dir);
        Zfs zfs = new Zfs(fake).withCallLimit(Duration.ofMillis(700), "1s (the job's replication.timeout)");
        long started = System.nanoTime();
        ZfsException e = assertTimeoutPreemptively(
                Duration.ofSeconds(20), () -> assertThrows(ZfsException.class, zfs::listAllFilesystems));
        long millis = (System.nanoTime() - started) / 1_000_000;
        assertEquals(
                "'" + fake + " list -H -t filesystem,volume -o name' did not end within 1s (the job's"
                        + " replication.timeout); zreplj stopped it. A zfs command that hangs usually waits on a"
                        + " suspended pool or a failing disk: see 'zpool status -x' and dmesg",
                e.getMessage());
        assertTrue(millis >= 700 && millis < 5000, "took " + millis + " ms");
        long pid = Long.parseLong(Files.readString(dir.resolve("pid")).strip());
        boolean alive = true;
        for (int i = 0; i < 50 && alive; i++) {
            Thread.sleep(100);
            alive = ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
        }
        assertFalse(alive, "the hanging zfs (pid " + pid + ") still runs");
    }

    /**
     * A zfs that hung once hangs the next call too: waiting the limit again for each would keep a box process (and
     * its dataset lock) or a prune over many filesystems for a multiple of the limit.
     */
    @Test
    void afterACallWasStoppedTheNextFailsAtOnceNamingTheOneThatHung(@TempDir Path dir) throws Exception {
        Path fake = hangingZfs(dir);
        Zfs zfs = new Zfs(fake).withCallLimit(Duration.ofMillis(300), "1s (the job's replication.timeout)");
        ZfsException hung = assertThrows(ZfsException.class, zfs::listAllFilesystems);
        long calls = zfs.invocations();
        long started = System.nanoTime();
        ZfsException next =
                assertThrows(ZfsException.class, () -> zfs.setProperty(DatasetName.of("tank/a"), "user:x", "1"));
        assertTrue(System.nanoTime() - started < 200_000_000L, "waited for the limit again");
        assertEquals("'" + fake + " set user:x=1 tank/a' not run: " + hung.getMessage(), next.getMessage());
        assertEquals(calls, zfs.invocations(), "zfs was not started again");
        // Another bound over the same zfs (a pass's, after the command's) starts afresh.
        new Zfs(fake).withCallLimit(Duration.ofSeconds(10), "10s").setProperty(DatasetName.of("tank/a"), "user:x", "1");
    }

    @Test
    void callsThatEndInTimeAnswerAsWithoutALimit(@TempDir Path dir) throws Exception {
        Path fake = hangingZfs(dir);
        Zfs zfs = new Zfs(fake).withCallLimit(Duration.ofSeconds(10), "10s");
        zfs.setProperty(DatasetName.of("tank/a"), "user:x", "1");
        ZfsException e =
                assertThrows(ZfsException.class, () -> zfs.setProperty(DatasetName.of("tank/a"), "user:x", "2"));
        assertEquals("'" + fake + " set user:x=2 tank/a' failed (exit 1): cannot do it", e.getMessage());
    }
}
