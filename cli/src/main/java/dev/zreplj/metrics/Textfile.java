package dev.zreplj.metrics;

import dev.zreplj.files.StateFiles;
import io.prometheus.metrics.config.EscapingScheme;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.registry.MultiCollector;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

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

    public static void write(Path file, MultiCollector metrics) throws IOException {
        synchronized (IN_PROCESS) {
            writeLocked(file, metrics);
        }
    }

    /** Why {@code file} could not be written, naming it once: a full disk's message names it already (StateFiles). */
    public static String failure(Path file, Exception e) {
        String why = String.valueOf(e.getMessage());
        return why.startsWith(file + ": ") ? why : file + ": " + why;
    }

    private static void writeLocked(Path file, MultiCollector metrics) throws IOException {
        Path dir = file.toAbsolutePath().getParent();
        // node_exporter, another user, reads the file: a directory made here under the units' UMask=0077 would
        // keep it out.
        StateFiles.createDirectories(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        // The agent (root) and the box's stdinserver may share this directory, which the box's user may own: no file
        // is opened through a link planted there, and the temp file has a fresh name (O_EXCL).
        try (FileChannel lock = StateFiles.openLock(dir.resolve("." + file.getFileName() + ".lock"));
                var held = lock.lock()) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            PrometheusTextFormatWriter.create().write(out, metrics.collect(), EscapingScheme.DEFAULT);
            // node_exporter runs as its own user: the file must be readable by it.
            StateFiles.replace(file, out.toByteArray(), PosixFilePermissions.fromString("rw-r--r--"));
        }
    }
}
