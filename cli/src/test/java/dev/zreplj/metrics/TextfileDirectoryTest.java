package dev.zreplj.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The textfile's directory, where the agent makes it: the shipped units run it under {@code UMask=0077}, and
 * node_exporter, another user, must still be able to read the 0644 file in it (docs/monitoring.md).
 */
class TextfileDirectoryTest {
    @TempDir
    Path dir;

    /** Run in a child JVM under umask 077: writes the textfile named by the first argument. */
    public static final class Writer {
        public static void main(String[] args) throws IOException {
            Textfile.write(Path.of(args[0]), new AgentMetrics(Path.of(args[1]), List.of("laptop")));
        }
    }

    @Test
    void aDirectoryMadeForTheTextfileUnderTheUnitsUmaskIsReadableByNodeExporter() throws Exception {
        Path textfile = dir.resolve("node-exporter").resolve("textfile").resolve("zreplj.prom");
        Path state = Files.createDirectory(dir.resolve("state"));
        Process p = new ProcessBuilder(List.of(
                        "sh",
                        "-c",
                        "umask 077 && exec \"$@\"",
                        "sh",
                        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                        "-cp",
                        System.getProperty("java.class.path"),
                        Writer.class.getName(),
                        textfile.toString(),
                        state.toString()))
                .redirectErrorStream(true)
                .start();
        String out = new String(p.getInputStream().readAllBytes()).strip();
        assertEquals(0, p.waitFor(), out);
        for (Path d : List.of(textfile.getParent(), textfile.getParent().getParent())) {
            assertEquals(
                    "rwxr-xr-x",
                    PosixFilePermissions.toString(Files.getPosixFilePermissions(d)),
                    d + " must let node_exporter in");
        }
        assertEquals("rw-r--r--", PosixFilePermissions.toString(Files.getPosixFilePermissions(textfile)));
    }

    /**
     * On a machine with both roles the textfile's directory is shared, and its lock with it: another process that
     * holds the lock (the box user's) must not stop the agent's passes, which wrote the textfile under it and
     * waited without end.
     */
    @Test
    void aLockHeldByAnotherProcessIsWaitedForABoundedTime() throws Exception {
        Path textfile = dir.resolve("zreplj.prom");
        Path lock = dir.resolve(".zreplj.prom.lock");
        Files.createFile(lock);
        Process holder = new ProcessBuilder(List.of(
                        "python3",
                        "-c",
                        "import fcntl, sys, time\n"
                                + "f = open(sys.argv[1], 'r+')\n"
                                + "fcntl.lockf(f, fcntl.LOCK_EX)\n"
                                + "print('held', flush=True)\n"
                                + "time.sleep(120)\n",
                        lock.toString()))
                .redirectErrorStream(true)
                .start();
        try {
            assertEquals(
                    "held",
                    new java.io.BufferedReader(new java.io.InputStreamReader(holder.getInputStream())).readLine());
            long start = System.nanoTime();
            java.io.IOException e = org.junit.jupiter.api.Assertions.assertThrows(
                    java.io.IOException.class,
                    () -> Textfile.write(
                            textfile,
                            new AgentMetrics(Files.createDirectories(dir.resolve("state")), List.of("laptop")),
                            java.time.Duration.ofMillis(500)));
            long waited = (System.nanoTime() - start) / 1_000_000;
            org.junit.jupiter.api.Assertions.assertTrue(waited < 5_000, "waited " + waited + " ms");
            assertEquals(
                    lock
                            + ": another process has held this lock for 0.5 s; the textfile is written again after the next"
                            + " pass or receive",
                    e.getMessage());
            org.junit.jupiter.api.Assertions.assertFalse(Files.exists(textfile));
        } finally {
            holder.destroyForcibly().waitFor();
        }
    }
}
