package dev.zreplj.zfs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** ZfsProcess with ordinary commands standing in for zfs: the mechanics do not depend on the binary. */
class ZfsProcessTest {

    @Test
    void tailBufferKeepsTheLastBytes() {
        ZfsProcess.TailBuffer b = new ZfsProcess.TailBuffer(8);
        assertEquals("", b.text());
        b.append("abc".getBytes(StandardCharsets.UTF_8), 3);
        assertEquals("abc", b.text());
        b.append("defghij".getBytes(StandardCharsets.UTF_8), 7);
        assertEquals("cdefghij", b.text());
        b.append("0123456789XY".getBytes(StandardCharsets.UTF_8), 12);
        assertEquals("456789XY", b.text());
    }

    @Test
    void failureCarriesExitAndStderr() throws Exception {
        ZfsProcess p = ZfsProcess.start(
                List.of("/bin/sh", "-c", "echo out; echo 'cannot open x: dataset does not exist' >&2; exit 3"));
        assertEquals("out\n", new String(p.stdout().readAllBytes(), StandardCharsets.UTF_8));
        ZfsException e = assertThrows(ZfsException.class, p::finish);
        assertEquals(3, e.exitCode());
        assertEquals("cannot open x: dataset does not exist\n", e.stderr());
        assertEquals(
                "'/bin/sh -c echo out; echo 'cannot open x: dataset does not exist' >&2; exit 3' failed (exit 3):"
                        + " cannot open x: dataset does not exist",
                e.getMessage());
    }

    @Test
    void stderrIsBoundedToTheLast64KiB() throws Exception {
        // 200 000 bytes of 'a' then a final line: only the tail survives, and the process never blocks.
        ZfsProcess p = ZfsProcess.start(
                List.of("/bin/sh", "-c", "head -c 200000 /dev/zero | tr '\\0' a >&2; echo END >&2; exit 1"));
        ZfsException e = assertThrows(ZfsException.class, p::finish);
        assertEquals(ZfsProcess.STDERR_LIMIT, e.stderr().length());
        assertTrue(e.stderr().endsWith("aEND\n"));
    }

    /**
     * zreplj reads zfs's messages ("dataset is busy", "out of space", glibc's strerror texts), which a locale
     * translates: on the box, the session's LANG/LC_* are the client's to send (Debian's sshd accepts them), so
     * they must not reach zfs; on the agent, a machine's own locale must not change what a failure is taken for.
     */
    @Test
    void zfsRunsInTheCLocale() throws Exception {
        String show = "echo \"LC_ALL=$LC_ALL LANGUAGE=${LANGUAGE-unset}\"";
        ZfsProcess p = ZfsProcess.start(List.of("/bin/sh", "-c", show));
        assertEquals("LC_ALL=C LANGUAGE=unset\n", new String(p.stdout().readAllBytes(), StandardCharsets.UTF_8));
        p.finish();
        ZfsProcess send = ZfsProcess.startSend(List.of("/bin/sh", "-c", show));
        assertEquals("LC_ALL=C LANGUAGE=unset\n", new String(send.stdout().readAllBytes(), StandardCharsets.UTF_8));
        send.finish();
    }

    @Test
    void stdinReachesTheProcess() throws Exception {
        ZfsProcess p = ZfsProcess.start(List.of("/bin/sh", "-c", "cat >&2"));
        p.stdin().write("stream".getBytes(StandardCharsets.UTF_8));
        p.stdin().close();
        p.finish();
        assertEquals("stream", p.stderr());
    }

    /**
     * A given-up receive: the process sees the end of its input and ends on its own (what zfs recv does after
     * aborting), bytes still buffered for it included; only one that ignores its input is killed after the grace.
     */
    @Test
    void endInputLetsAReaderEndByItselfAndKillsOneThatDoesNot() throws Exception {
        ZfsProcess reader = ZfsProcess.start(List.of("/bin/sh", "-c", "cat >&2; echo eof >&2; exit 3"));
        reader.stdin().write("partial".getBytes(StandardCharsets.UTF_8));
        reader.endInput(Duration.ofSeconds(30));
        ZfsException ended = assertThrows(ZfsException.class, reader::finish);
        assertEquals(3, ended.exitCode(), "it exited by itself after its input ended, not killed");
        assertEquals("partial" + "eof\n", reader.stderr());

        ZfsProcess deaf = ZfsProcess.start(List.of("/bin/sh", "-c", "trap '' TERM; sleep 60"));
        long start = System.nanoTime();
        deaf.endInput(Duration.ofMillis(300));
        assertThrows(ZfsException.class, deaf::finish);
        long ms = (System.nanoTime() - start) / 1_000_000;
        assertTrue(ms >= 300 && ms < 10_000, "killed after the grace, not after its 60 s: " + ms + " ms");
    }

    /**
     * A given-up send: its output is closed before any signal, so a writer ends by itself on its failed write
     * and never sees SIGTERM. A zfs-fuse client signalled while its daemon wrote a full pipe left the sent
     * snapshots busy until the daemon restarted. (The JDK's own destroy() closes the streams too, but only
     * after the signal: this writer, which ignores SIGPIPE as a daemon does, then records the SIGTERM.)
     */
    @Test
    void killClosesTheOutputBeforeAnySignalSoThatAWriterEndsByItself(@TempDir Path tmp) throws Exception {
        Path mark = tmp.resolve("signalled");
        ZfsProcess writer = ZfsProcess.start(List.of(
                "/bin/sh",
                "-c",
                "trap '' PIPE; trap 'touch " + mark + "; exit 0' TERM;"
                        + " while :; do echo 0123456789abcdef || exit 3; done"));
        assertEquals(4096, writer.stdout().readNBytes(4096).length);
        Thread.sleep(200); // the pipe fills: the writer is blocked in its write, as a send behind a stalled link
        long start = System.nanoTime();
        writer.kill();
        ZfsException ended = assertThrows(ZfsException.class, writer::finish);
        assertFalse(Files.exists(mark), "SIGTERM came before the output was closed");
        assertEquals(3, ended.exitCode(), "it ended by itself on the failed write");
        long ms = (System.nanoTime() - start) / 1_000_000;
        assertTrue(ms < 1000, "it ended at once, not after a grace: " + ms + " ms");
    }

    @Test
    void killStopsAStuckProcessAndIsIdempotent() throws Exception {
        ZfsProcess p = ZfsProcess.start(List.of("/bin/sh", "-c", "trap '' TERM; sleep 60"));
        long start = System.nanoTime();
        p.kill();
        p.kill();
        assertTrue((System.nanoTime() - start) / 1_000_000 < 10_000, "kill must not wait for the process");
        ZfsException e = assertThrows(ZfsException.class, p::finish);
        assertFalse(e.exitCode() == 0);
        assertTrue(
                (System.nanoTime() - start) / 1_000_000 < 10_000,
                "kill reaches the grandchild that holds stderr, so finish does not wait for its 60 s");
    }

    @Test
    void finishDoesNotWaitForAGrandchildHoldingStderr() throws Exception {
        // zfs exits, but something it started keeps the stderr pipe open for 60 s. The process exits only
        // once the drainer has read its first line, so the drainer is blocked reading the pipe, not racing
        // the JDK's own drain at exit.
        ZfsProcess p =
                ZfsProcess.start(List.of("/bin/sh", "-c", "echo early >&2; sleep 60 & echo $!; read go; exit 0"));
        long grandchild = Long.parseLong(
                new java.io.BufferedReader(new java.io.InputStreamReader(p.stdout(), StandardCharsets.UTF_8))
                        .readLine()
                        .trim());
        try {
            long deadline = System.nanoTime() + 10_000_000_000L;
            while (!p.stderr().equals("early\n")) {
                assertTrue(System.nanoTime() < deadline, "stderr: " + p.stderr());
                Thread.sleep(5);
            }
            p.stdin().write("go\n".getBytes(StandardCharsets.UTF_8));
            p.stdin().close();
            long start = System.nanoTime();
            p.finish();
            long millis = (System.nanoTime() - start) / 1_000_000;
            assertTrue(millis < ZfsProcess.STDERR_GRACE_MILLIS + 3000, "finish took " + millis + " ms");
            assertEquals("early\n", p.stderr());
        } finally {
            ProcessHandle.of(grandchild).ifPresent(ProcessHandle::destroyForcibly);
        }
    }

    @Test
    void aMissingBinaryIsOneClearError() {
        ZfsException e = assertThrows(ZfsException.class, () -> ZfsProcess.start(List.of("/nonexistent/zfs", "list")));
        assertTrue(e.getMessage().startsWith("cannot run '/nonexistent/zfs list': "), e.getMessage());
    }
}
