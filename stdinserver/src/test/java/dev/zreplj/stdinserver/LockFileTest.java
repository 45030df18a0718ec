package dev.zreplj.stdinserver;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The locks hold against other processes (another stdinserver on the box, here a child JVM) also after a
 * second channel of the same process found one taken: on Linux closing any descriptor of a file drops
 * every lock the process holds on it.
 */
class LockFileTest {
    @TempDir
    Path dir;

    /** Run in a child JVM: prints "taken" or "free" for the file named by the argument. */
    public static final class Probe {
        public static void main(String[] args) throws IOException {
            try (FileChannel c =
                            FileChannel.open(Path.of(args[0]), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
                    FileLock lock = c.tryLock()) {
                System.out.print(lock == null ? "taken" : "free");
            }
        }
    }

    private static String probe(Path file) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(List.of(
                        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                        "-cp",
                        System.getProperty("java.class.path"),
                        Probe.class.getName(),
                        file.toString()))
                .redirectErrorStream(true)
                .start();
        String out = new String(p.getInputStream().readAllBytes()).strip();
        assertEquals(0, p.waitFor(), out);
        return out;
    }

    @Test
    void aSecondTryInTheSameProcessLeavesTheLockHeldForOtherProcesses() throws Exception {
        Path file = dir.resolve("slots").resolve("0.lock");
        try (LockFile held = LockFile.tryLock(file)) {
            assertNotNull(held);
            assertNull(LockFile.tryLock(file), "taken within this process");
            assertNull(LockFile.tryLock(dir.resolve("slots/../slots/0.lock")), "by another spelling of its path");
            assertEquals("taken", probe(file), "another process must still find it taken");
        }
        assertEquals("free", probe(file));
        try (LockFile again = LockFile.tryLock(file)) {
            assertNotNull(again, "free again in this process after close");
        }
    }
}
