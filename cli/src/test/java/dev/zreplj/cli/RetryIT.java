package dev.zreplj.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.zreplj.zfs.DatasetName;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Retries within a pass, on zfs-fuse with a real sshd: the box is busy with the filesystem on the first
 * attempt (this test holds the box's lock of that dataset, as a concurrent receive would), so the
 * filesystem fails for a passing reason; after the backoff the agent reconnects, lists again and succeeds.
 */
@Tag("system")
class RetryIT {
    @TempDir
    Path tmp;

    @Test
    void aFilesystemTheBoxWasBusyWithIsRetriedAfterTheBackoff() throws Exception {
        String tail = String.join("\n", "    replication:", "      attempts: 3", "      retry_backoff: 2s", "")
                + EndToEnd.DEFAULT_JOB_TAIL;
        try (EndToEnd e = new EndToEnd(tmp, PushSuite.HOME_FILTER, tail, "")) {
            DatasetName home = e.createFilesystem(e.src().child("home"));
            e.writeRandomFile(home, "a.bin", 1 << 20);
            DatasetName target = e.jail().child(home.value());
            // docs/box.md: one byte of locks/datasets.lock, at the first 62 bits of the SHA-256 of the name.
            Path lockFile = tmp.resolve("box-state").resolve("locks").resolve("datasets.lock");
            long position = ByteBuffer.wrap(MessageDigest.getInstance("SHA-256")
                                    .digest(target.value().getBytes(StandardCharsets.UTF_8)))
                            .getLong()
                    & 0x3FFF_FFFF_FFFF_FFFFL;
            Files.createDirectories(lockFile.getParent());
            Process agent;
            try (FileChannel channel =
                    FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
                FileLock lock = channel.tryLock(position, 1, false);
                assertNotNull(lock, "the test holds the box's lock of " + target);
                agent = e.startAgent("agent", "once", "--snapshot");
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
                while (!e.killedAgentLog().contains("failed for a passing reason; attempt 2 of 3 in 2 s")) {
                    assertTrue(agent.isAlive(), () -> "the agent ended before it retried: " + e.killedAgentLog());
                    assertTrue(System.nanoTime() < deadline, () -> "no retry within 120 s: " + e.killedAgentLog());
                    Thread.sleep(20);
                }
                lock.release();
            }
            assertTrue(agent.waitFor(120, TimeUnit.SECONDS), e::killedAgentLog);
            String log = e.killedAgentLog();
            assertEquals(0, agent.exitValue(), log);
            String snapshot = e.snapshotNames(home).get(0);
            assertTrue(log.contains(home.value() + ": replicated 1 step, "), log);
            assertTrue(
                    log.contains("[attempt 1 of 3 failed: step full @" + snapshot + ": another receive into " + target
                            + " is running; if it is one a lost link left behind, the box ends it once its sshd"
                            + " finds the connection dead (ClientAliveInterval x ClientAliveCountMax) or after 300 s"
                            + " without a byte (serve.zreplj.stream_timeout), and a later attempt gets in]"),
                    log);
            assertEquals(PushSuite.expectedOnBox(e, e.snapshotsWithGuids(home)), e.snapshotsWithGuids(e.jail()));
            assertEquals(List.of(snapshot), e.snapshotNames(target));
        }
    }

    /**
     * The box's copy was written into after its newest snapshot (an admin mounted it to look): zfs refuses every
     * incremental stream into it. The box rolls it back to that snapshot and asks again; the pass's second
     * attempt lands the snapshot and the pass is ok, with the first attempt's reason in the report.
     */
    @Test
    void aBoxCopyWrittenIntoSinceItsNewestSnapshotIsRolledBackAndTheRetryLandsTheSnapshot() throws Exception {
        String tail = String.join("\n", "    replication:", "      attempts: 2", "      retry_backoff: 1s", "")
                + EndToEnd.DEFAULT_JOB_TAIL;
        try (EndToEnd e = new EndToEnd(tmp, PushSuite.HOME_FILTER, tail, "")) {
            DatasetName home = e.createFilesystem(e.src().child("home"));
            e.writeRandomFile(home, "a.bin", 1 << 20);
            EndToEnd.Run first = e.agent("agent", "once", "--snapshot");
            assertEquals(0, first.exit(), first.toString());
            DatasetName target = e.jail().child(home.value());
            String base = e.snapshotNames(target).get(0);
            e.pools.zfs("set", "mountpoint=" + tmp.resolve("browsed"), target.value());
            e.pools.writeRandomFile(target, "written-on-the-box.bin", 4096);
            e.pools.zfs("inherit", "mountpoint", target.value());

            e.writeRandomFile(home, "b.bin", 1 << 20);
            Thread.sleep(1100); // the next snapshot's name (to the second) differs from the first one's
            EndToEnd.Run second = e.agent("agent", "once", "--snapshot");
            assertEquals(0, second.exit(), second.toString());
            String log = second.stdout() + second.stderr();
            assertTrue(log.contains("[attempt 1 of 2 failed: step @" + base + " -> @"), log);
            assertTrue(
                    log.contains(target + " had changed since its newest snapshot @" + base
                            + " (zfs: has been modified since most recent snapshot); the box rolled it back to that"
                            + " snapshot, destroying none, and takes the stream again]"),
                    log);
            assertEquals(PushSuite.expectedOnBox(e, e.snapshotsWithGuids(home)), e.snapshotsWithGuids(e.jail()));
            assertEquals(2, e.snapshotNames(target).size());
        }
    }
}
