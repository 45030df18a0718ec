package dev.zreplj.files.testing;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A small tmpfs mounted for one test, to be filled to the last byte or remounted read-only: the real ENOSPC and
 * EROFS of a full or failed state disk, which no mock reproduces in the JDK's own words. Needs root, as the zfs
 * tests do; the mount point's name carries "diskfull" and it is unmounted on close.
 */
public final class FullDisk implements AutoCloseable {
    private final Path dir;

    private FullDisk(Path dir) {
        this.dir = dir;
    }

    /** Mounts a 256 KiB tmpfs on {@code dir} (created if missing). */
    public static FullDisk mount(Path dir) throws IOException, InterruptedException {
        return mount(dir, 256);
    }

    /**
     * Mounts a tmpfs of {@code kib} KiB: more than 256 where the code under test calls a disk with less free space
     * full (the box's status, under 1 MiB), so that it is not full before {@link #fill}.
     */
    public static FullDisk mount(Path dir, int kib) throws IOException, InterruptedException {
        Files.createDirectories(dir);
        run("mount", "-t", "tmpfs", "-o", "size=" + kib + "k", "zreplj-diskfull-test", dir.toString());
        return new FullDisk(dir);
    }

    public Path dir() {
        return dir;
    }

    /** Takes every free byte with a file of its own, as a runaway log would. */
    public void fill() throws IOException {
        try (OutputStream out = Files.newOutputStream(dir.resolve("diskfull-filler"))) {
            byte[] block = new byte[4096];
            while (true) {
                out.write(block);
                out.flush();
            }
        } catch (IOException full) {
            if (!String.valueOf(full.getMessage()).contains("No space left on device")) {
                throw full;
            }
        }
    }

    /** Frees what {@link #fill} took. */
    public void free() throws IOException {
        Files.deleteIfExists(dir.resolve("diskfull-filler"));
    }

    /** As the kernel does to ext4 after an error with errors=remount-ro. */
    public void readOnly() throws IOException, InterruptedException {
        run("mount", "-o", "remount,ro", dir.toString());
    }

    /** As an admin does once the disk is repaired. */
    public void readWrite() throws IOException, InterruptedException {
        run("mount", "-o", "remount,rw", dir.toString());
    }

    @Override
    public void close() throws IOException {
        try {
            run("umount", dir.toString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted unmounting " + dir, e);
        }
    }

    private static void run(String... command) throws IOException, InterruptedException {
        Process p =
                new ProcessBuilder(List.of(command)).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IOException(String.join(" ", command) + " failed: " + out.strip());
        }
    }
}
