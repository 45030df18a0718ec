package dev.zreplj.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.zreplj.zfs.DatasetName;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A zfs call on the box that hangs (a suspended pool, a hung zfs-fuse) is stopped at the sink job's
 * serve.zreplj.stream_timeout: the box answers with a line naming the call, its process ends within that bound even
 * when the agent already gave up and closed the channel (sshd does not signal a forced command), so it keeps no
 * dataset lock, and the next pass, zfs healthy again, does the work. Without the bound the box's process waited for
 * ever on its zfs, holding its locks: every later pass into that filesystem was refused busy.
 */
@Tag("system")
class HangingBoxZfsIT {
    @TempDir
    Path tmp;

    /** The box's zfs: the real one, except the subcommand named in the file "hang", which sleeps (pid kept). */
    private Path hangingZfs() throws IOException {
        Path wrapper = tmp.resolve("box-zfs");
        Files.writeString(
                wrapper,
                "#!/bin/sh\nif [ -f " + hang() + " ] && [ \"$1\" = \"$(cat " + hang() + ")\" ]; then echo $$ > "
                        + tmp.resolve("pid") + "; exec sleep 600; fi\n"
                        // The subcommand named in "hang-after" does its work, then does not end.
                        + "if [ -f " + hangAfter() + " ] && [ \"$1\" = \"$(cat " + hangAfter() + ")\" ]; then"
                        + " /usr/sbin/zfs \"$@\" || exit; echo $$ > " + tmp.resolve("pid") + "; exec sleep 600; fi\n"
                        + "exec /usr/sbin/zfs \"$@\"\n");
        Files.setPosixFilePermissions(wrapper, PosixFilePermissions.fromString("rwxr-xr-x"));
        return wrapper;
    }

    private Path hang() {
        return tmp.resolve("hang");
    }

    private Path hangAfter() {
        return tmp.resolve("hang-after");
    }

    private static EndToEnd box(Path tmp, String agentTimeout, String boxTimeout, Path zfs) throws IOException {
        EndToEnd e = new EndToEnd(
                tmp,
                PushSuite.HOME_FILTER,
                EndToEnd.KEEP_LAST_ONE_TAIL + "    replication:\n      timeout: " + agentTimeout + "\n",
                "      zreplj:\n        stream_timeout: " + boxTimeout + "\n");
        Path sink = Path.of(e.sinkConfigPath());
        Files.writeString(
                sink,
                Files.readString(sink)
                        .replace("global:\n  zreplj:\n", "global:\n  zreplj:\n    zfs_binary: " + zfs + "\n"));
        return e;
    }

    /** The box's stdinserver processes: the only ones whose command line names this test's sink config. */
    private static List<ProcessHandle> stdinservers(EndToEnd e) {
        return ProcessHandle.allProcesses()
                .filter(p -> p.info().commandLine().orElse("").contains(e.sinkConfigPath()))
                .toList();
    }

    /** Waits up to {@code seconds} for the box's processes to end; the seconds it took, or -1. */
    private static long awaitNoStdinserver(EndToEnd e, int seconds) throws InterruptedException {
        long started = System.nanoTime();
        while (System.nanoTime() - started < seconds * 1_000_000_000L) {
            if (stdinservers(e).isEmpty()) {
                return (System.nanoTime() - started) / 1_000_000_000L;
            }
            Thread.sleep(200);
        }
        return -1;
    }

    private static boolean alive(Path pidFile) throws IOException {
        long pid =
                Long.parseLong(Files.readString(pidFile, StandardCharsets.UTF_8).strip());
        return ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
    }

    @Test
    void aHangingListOnTheBoxFailsThePassWithTheBoxsLineAndTheNextPassReplicates() throws Exception {
        Path zfs = hangingZfs();
        try (EndToEnd e = box(tmp, "60s", "5s", zfs)) {
            DatasetName home = e.createFilesystem(e.src().child("home"));
            e.writeRandomFile(home, "a.bin", 1 << 20);
            Files.writeString(hang(), "list");
            long started = System.nanoTime();
            EndToEnd.Run stuck = e.zreplj(
                    List.of("--config", e.agentConfig.toString(), "--summary", "agent", "once", "--snapshot"),
                    null,
                    150);
            long seconds = (System.nanoTime() - started) / 1_000_000_000L;
            assertEquals(1, stuck.exit(), stuck::toString);
            assertTrue(seconds < 45, "took " + seconds + " s: " + stuck);
            assertTrue(
                    stuck.stderr()
                            .contains("did not end within 5s (serve.zreplj.stream_timeout of sink job"
                                    + " 'backups'); zreplj stopped it. A zfs command that hangs usually waits on a"
                                    + " suspended pool or a failing disk: see 'zpool status -x' and dmesg"),
                    stuck::toString);
            assertTrue(stuck.stderr().contains("'" + zfs + " list "), stuck::toString);
            assertTrue(awaitNoStdinserver(e, 15) >= 0, () -> "the box still runs: " + stdinservers(e));
            assertTrue(!alive(tmp.resolve("pid")), "the box's zfs list still runs");

            Files.delete(hang());
            EndToEnd.Run next = e.agent("agent", "once");
            assertEquals(0, next.exit(), next::toString);
            assertEquals(PushSuite.expectedOnBox(e, e.snapshotsWithGuids(home)), e.snapshotsWithGuids(e.jail()));
        }
    }

    /**
     * A zfs recv that has read its whole stream and committed it, but does not end (helper audit: SIGSTOPped; a
     * suspended pool): the box's wait for it was unbounded, so the box's process kept the filesystem's lock for ever
     * and every later pass into it was refused busy, while the agent's message promised the box ends it.
     */
    @Test
    void aReceiveThatDoesNotEndAfterItsStreamIsStoppedAtTheBoxsBound() throws Exception {
        Path zfs = hangingZfs();
        try (EndToEnd e = box(tmp, "60s", "5s", zfs)) {
            DatasetName home = e.createFilesystem(e.src().child("home"));
            e.writeRandomFile(home, "a.bin", 1 << 20);
            Files.writeString(hangAfter(), "recv");
            EndToEnd.Run stuck = e.zreplj(
                    List.of("--config", e.agentConfig.toString(), "--summary", "agent", "once", "--snapshot"),
                    null,
                    150);
            assertTrue(
                    (stuck.stdout() + stuck.stderr())
                            .contains("did not end within 5s (serve.zreplj.stream_timeout of sink job 'backups')"
                                    + " after its stream; zreplj stopped it."),
                    stuck::toString);
            assertTrue(awaitNoStdinserver(e, 30) >= 0, () -> "the box still runs: " + stdinservers(e));
            assertTrue(!alive(tmp.resolve("pid")), "the box's zfs recv still runs");

            Files.delete(hangAfter());
            e.writeRandomFile(home, "b.bin", 1 << 20);
            EndToEnd.Run next = e.agent("agent", "once", "--snapshot");
            assertEquals(0, next.exit(), next::toString);
            assertEquals(PushSuite.expectedOnBox(e, e.snapshotsWithGuids(home)), e.snapshotsWithGuids(e.jail()));
        }
    }

    @Test
    void aBoxWhoseAgentGaveUpOnAHangingDestroyEndsWithinItsBoundAndLeavesNoLock() throws Exception {
        Path zfs = hangingZfs();
        try (EndToEnd e = box(tmp, "5s", "15s", zfs)) {
            DatasetName home = e.createFilesystem(e.src().child("home"));
            e.writeRandomFile(home, "a.bin", 1 << 20);
            EndToEnd.Run first = e.agent("agent", "once", "--snapshot");
            assertEquals(0, first.exit(), first::toString);

            // The second pass prunes the box's first snapshot: its DESTROY hangs under the dataset's lock.
            Files.writeString(hang(), "destroy");
            EndToEnd.Run stuck = e.agent("agent", "once", "--snapshot");
            assertEquals(1, stuck.exit(), stuck::toString);
            long gone = awaitNoStdinserver(e, 30);
            assertTrue(gone >= 0, () -> "the box still runs 30 s after the agent left: " + stdinservers(e));
            assertTrue(!alive(tmp.resolve("pid")), "the box's zfs destroy still runs");

            Files.delete(hang());
            EndToEnd.Run next = e.agent("agent", "once", "--snapshot");
            assertEquals(0, next.exit(), next::toString);
            DatasetName copy = e.jail().child(home.value());
            assertEquals(PushSuite.expectedOnBox(e, e.snapshotsWithGuids(home)), e.snapshotsWithGuids(e.jail()));
            assertEquals(
                    1, e.snapshotNames(copy).size(), () -> e.snapshotNames(copy).toString());
        }
    }
}
