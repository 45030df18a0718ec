package dev.zreplj.stdinserver;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * A throwaway zfs-fuse pool on a sparse file, driven with the zfs/zpool binaries directly so that the
 * test's setup and checks do not depend on the code under test. Fails loudly when zfs-fuse is missing.
 */
final class ZfsPoolFixture implements AutoCloseable {
    final String pool;
    private final Path file;

    ZfsPoolFixture() throws IOException, InterruptedException {
        requireZfs();
        pool = "zjproto" + UUID.randomUUID().toString().replace("-", "").substring(0, 10);
        file = Files.createTempFile(pool, ".img");
        try (var raf = new java.io.RandomAccessFile(file.toFile(), "rw")) {
            raf.setLength(128L << 20);
        }
        run("zpool", "create", "-m", "none", pool, file.toString());
    }

    private static void requireZfs() throws InterruptedException {
        try {
            Process p = new ProcessBuilder("zpool", "list", "-H").redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (p.waitFor() != 0) {
                throw new AssertionError("system test needs a running zfs-fuse (or OpenZFS) as root: 'zpool list'"
                        + " failed: " + out.strip());
            }
        } catch (IOException e) {
            throw new AssertionError("system test needs zfs-fuse installed and running as root: " + e.getMessage());
        }
    }

    static String run(String... command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).start();
        byte[] out = p.getInputStream().readAllBytes();
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        if (p.waitFor() != 0) {
            throw new AssertionError(String.join(" ", command) + " failed: " + err.strip());
        }
        return new String(out, StandardCharsets.UTF_8);
    }

    /** The full output of a zfs send (test streams are small). */
    static byte[] send(String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of("zfs", "send"));
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command).start();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (InputStream in = p.getInputStream()) {
            in.transferTo(out);
        }
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        if (p.waitFor() != 0) {
            throw new AssertionError(command + " failed: " + err.strip());
        }
        return out.toByteArray();
    }

    static long guid(String snapshot) throws IOException, InterruptedException {
        return Long.parseUnsignedLong(run("zfs", "get", "-Hp", "-o", "value", "guid", snapshot).strip());
    }

    static String property(String dataset, String property) throws IOException, InterruptedException {
        return run("zfs", "get", "-H", "-o", "value", property, dataset).strip();
    }

    /** Every dataset and snapshot in the pool, one per line: the state a refused request must not change. */
    String snapshotOfState() throws IOException, InterruptedException {
        return run("zfs", "list", "-H", "-r", "-t", "all", "-o", "name", pool);
    }

    @Override
    public void close() throws IOException, InterruptedException {
        try {
            run("zpool", "destroy", "-f", pool);
        } finally {
            Files.deleteIfExists(file);
        }
    }
}
