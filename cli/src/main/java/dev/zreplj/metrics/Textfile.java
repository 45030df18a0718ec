package dev.zreplj.metrics;

import dev.zreplj.files.StateFiles;
import io.prometheus.metrics.config.EscapingScheme;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.registry.MultiCollector;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.math.BigDecimal;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;

/**
 * The metrics file for node_exporter's textfile collector, replaced atomically (temp file in the same
 * directory, then rename) so the collector never reads half a file. Writers (passes of different jobs,
 * concurrent stdinservers) take turns under {@code <file>.lock}, and each writes what the state files
 * say at that moment, so the last rename is never older than the state it follows.
 */
public final class Textfile {
    /**
     * The file lock is the process's, and a second channel of this process would find it "overlapping" and on
     * closing drop it for every other process: threads of one process (channels of the box JVM) take turns
     * here first.
     */
    private static final Object IN_PROCESS = new Object();

    private Textfile() {}

    /**
     * How long a writer waits for another process's turn: a write takes milliseconds, and on a machine with both
     * roles the other process may be the box user's, which must not be able to stop the agent's passes.
     */
    private static final Duration LOCK_WAIT = Duration.ofSeconds(30);

    private static final long LOCK_POLL_MILLIS = 50;

    public static void write(Path file, MultiCollector metrics) throws IOException {
        write(file, metrics, LOCK_WAIT);
    }

    static void write(Path file, MultiCollector metrics, Duration lockWait) throws IOException {
        synchronized (IN_PROCESS) {
            writeLocked(file, metrics, lockWait);
        }
    }

    /** Why {@code file} could not be written, naming it once: a full disk's message names it already (StateFiles). */
    public static String failure(Path file, Exception e) {
        String why = String.valueOf(e.getMessage());
        return why.startsWith(file + ": ") ? why : file + ": " + why;
    }

    private static void writeLocked(Path file, MultiCollector metrics, Duration lockWait) throws IOException {
        Path dir = file.toAbsolutePath().getParent();
        // node_exporter, another user, reads the file: a directory made here under the units' UMask=0077 would
        // keep it out.
        StateFiles.createDirectories(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        // The agent (root) and the box's stdinserver may share this directory, which the box's user may own: no file
        // is opened through a link planted there, and the temp file has a fresh name (O_EXCL).
        Path lockFile = dir.resolve("." + file.getFileName() + ".lock");
        try (FileChannel lock = StateFiles.openLock(lockFile);
                var held = lockWithin(lock, lockFile, lockWait)) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            PrometheusTextFormatWriter.create().write(out, metrics.collect(), EscapingScheme.DEFAULT);
            // node_exporter runs as its own user: the file must be readable by it.
            StateFiles.replace(file, out.toByteArray(), PosixFilePermissions.fromString("rw-r--r--"));
        }
    }

    private static FileLock lockWithin(FileChannel lock, Path lockFile, Duration wait) throws IOException {
        long deadline = System.nanoTime() + wait.toNanos();
        while (true) {
            FileLock held = lock.tryLock();
            if (held != null) {
                return held;
            }
            if (System.nanoTime() - deadline >= 0) {
                throw new IOException(lockFile + ": another process has held this lock for "
                        + BigDecimal.valueOf(wait.toMillis(), 3)
                                .stripTrailingZeros()
                                .toPlainString()
                        + " s; the textfile is written again after the next pass or receive");
            }
            try {
                Thread.sleep(LOCK_POLL_MILLIS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new InterruptedIOException("interrupted waiting for " + lockFile);
            }
        }
    }
}
