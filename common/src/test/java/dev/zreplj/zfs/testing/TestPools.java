package dev.zreplj.zfs.testing;

import dev.zreplj.zfs.DatasetName;
import dev.zreplj.zfs.Zfs;
import dev.zreplj.zfs.ZfsException;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Uniquely named zfs-fuse (or OpenZFS) pools on sparse files in a temp dir, for system tests. Reuses
 * the running daemon and destroys exactly the pools it created in {@link #close()}, also after a
 * failure; it never touches another pool. Mountpoints lie inside the temp dir, so nothing lands in /.
 *
 * <pre>try (TestPools pools = TestPools.open()) { DatasetName src = pools.createPool("src"); ... }</pre>
 *
 * Runs zfs on its own (not through a {@link Zfs} under test) so a test's invocation counter only
 * counts the test's own calls.
 */
public final class TestPools implements AutoCloseable {
    public static final String UNAVAILABLE = "zfs-fuse not available: run contrib/dev/start-zfs-fuse as root";
    private static final long POOL_BYTES = 128L * 1024 * 1024;
    private static final long TIMEOUT_SECONDS = 120;
    private static final long DESTROY_RETRY_SECONDS = 30;
    private static final SecureRandom RANDOM = new SecureRandom();

    private final Path zfs;
    private final Path zpool;
    private final Path dir;
    private final String prefix;
    private final List<String> created = new ArrayList<>();
    private final Set<String> exported = new HashSet<>();

    private TestPools(Path zfs, Path zpool, Path dir, String prefix) {
        this.zfs = zfs;
        this.zpool = zpool;
        this.dir = dir;
        this.prefix = prefix;
    }

    /** Checks that zfs answers, else fails with {@link #UNAVAILABLE}. */
    public static TestPools open() {
        Path zfs;
        try {
            zfs = Zfs.locate().binary();
        } catch (ZfsException e) {
            throw new IllegalStateException(UNAVAILABLE + " (" + e.getMessage() + ")");
        }
        Path zpool = zfs.resolveSibling("zpool");
        Result probe = exec(List.of(zpool.toString(), "list", "-H", "-o", "name"));
        if (probe.exit != 0) {
            throw new IllegalStateException(UNAVAILABLE + " ('zpool list' said: " + probe.stderr.strip() + ")");
        }
        try {
            Path dir = Files.createTempDirectory("zreplj-pools");
            return new TestPools(zfs, zpool, dir, "zt" + randomLetters(6));
        } catch (IOException e) {
            throw new IllegalStateException("cannot create a temp dir for test pools: " + e.getMessage(), e);
        }
    }

    /** The zfs binary the pools are served by. */
    public Path zfsBinary() {
        return zfs;
    }

    /** Creates pool {@code zt<random><suffix>} (suffix: lowercase letters/digits), mounted below the temp dir. */
    public DatasetName createPool(String suffix) {
        if (!suffix.matches("[a-z0-9]*")) {
            throw new IllegalArgumentException("pool suffix '" + suffix + "' must be lowercase letters and digits");
        }
        String name = prefix + suffix;
        Path file = dir.resolve(name + ".img");
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
            raf.setLength(POOL_BYTES);
        } catch (IOException e) {
            throw new IllegalStateException("cannot create sparse file " + file + ": " + e.getMessage(), e);
        }
        Path mountpoint = dir.resolve("mnt").resolve(name);
        run(List.of(zpool.toString(), "create", "-m", mountpoint.toString(), name, file.toString()));
        created.add(name);
        return DatasetName.of(name);
    }

    /** {@code zfs create [-o k=v]... name}; returns the name. */
    public DatasetName createFilesystem(DatasetName name, String... properties) {
        List<String> args = new ArrayList<>(List.of("create"));
        for (String p : properties) {
            args.add("-o");
            args.add(p);
        }
        args.add(name.value());
        zfs(args.toArray(String[]::new));
        return name;
    }

    /** Writes {@code bytes} random bytes to a new file in the mounted filesystem; returns its path. */
    public Path writeRandomFile(DatasetName fs, String fileName, int bytes) {
        Path mountpoint = Path.of(get(fs.value(), "mountpoint"));
        if (!"yes".equals(get(fs.value(), "mounted"))) {
            throw new IllegalStateException(fs + " is not mounted; cannot write " + fileName);
        }
        byte[] data = new byte[bytes];
        RANDOM.nextBytes(data);
        try {
            return Files.write(mountpoint.resolve(fileName), data);
        } catch (IOException e) {
            throw new IllegalStateException("cannot write " + fileName + " into " + fs + ": " + e.getMessage(), e);
        }
    }

    /** {@code zfs snapshot fs@name}; returns the full name. */
    public String snapshot(DatasetName fs, String name) {
        String full = fs.value() + "@" + name;
        zfs("snapshot", full);
        return full;
    }

    /** The guid of a filesystem or snapshot, from {@code zfs get -Hp}. */
    public long guid(String datasetOrSnapshot) {
        return Long.parseUnsignedLong(getParsable(datasetOrSnapshot, "guid"));
    }

    /** A property value as {@code zfs get -H -o value} prints it. */
    public String get(String datasetOrSnapshot, String property) {
        return zfs("get", "-H", "-o", "value", property, datasetOrSnapshot).strip();
    }

    /** A property value as {@code zfs get -Hp -o value} prints it (numbers unformatted). */
    public String getParsable(String datasetOrSnapshot, String property) {
        return zfs("get", "-Hp", "-o", "value", property, datasetOrSnapshot).strip();
    }

    /** {@code name -> value} of {@code zfs get -Hp -o name,value property} over several datasets. */
    public Map<String, String> getParsable(String property, List<String> names) {
        List<String> args = new ArrayList<>(List.of("get", "-Hp", "-o", "name,value", property));
        args.addAll(names);
        Map<String, String> out = new java.util.LinkedHashMap<>();
        for (String line : zfs(args.toArray(String[]::new)).split("\n")) {
            if (line.isEmpty()) continue;
            String[] f = line.split("\t", 2);
            out.put(f[0], f[1]);
        }
        return out;
    }

    /** Snapshot names (after '@') of exactly this filesystem, in creation order. */
    public List<String> snapshotNames(DatasetName fs) {
        List<String> out = new ArrayList<>();
        for (String line : zfs("list", "-H", "-r", "-t", "snapshot", "-o", "name", "-s", "createtxg", fs.value())
                .split("\n")) {
            if (line.startsWith(fs.value() + "@")) {
                out.add(line.substring(fs.value().length() + 1));
            }
        }
        return out;
    }

    /** Runs zfs with the given arguments; returns stdout; fails with zfs's stderr on a non-zero exit. */
    public String zfs(String... args) {
        List<String> command = new ArrayList<>();
        command.add(zfs.toString());
        command.addAll(List.of(args));
        return run(command);
    }

    /** {@code zpool export NAME}: the pool's disk unplugged, as far as zfs can tell. */
    public void exportPool(DatasetName pool) {
        run(List.of(zpool.toString(), "export", pool.value()));
        exported.add(pool.value());
    }

    /** {@code zpool import} of a pool this instance created and exported: the disk plugged in again. */
    public void importPool(DatasetName pool) {
        run(List.of(zpool.toString(), "import", "-d", dir.toString(), pool.value()));
        exported.remove(pool.value());
    }

    /** Destroys every pool this instance created (and only those), then the temp dir. */
    @Override
    public void close() {
        List<String> failures = new ArrayList<>();
        for (String pool : exported) {
            // A test that failed with its pool exported: import it so that it can be destroyed.
            exec(List.of(zpool.toString(), "import", "-d", dir.toString(), pool));
        }
        exported.clear();
        for (int i = created.size() - 1; i >= 0; i--) {
            Result r = destroyPool(created.get(i));
            if (r.exit != 0) {
                failures.add(created.get(i) + ": " + r.stderr.strip());
            }
        }
        created.clear();
        if (!failures.isEmpty()) {
            // A pool still imported keeps using its file and mountpoint: leave the dir for a human.
            throw new IllegalStateException(
                    "could not destroy test pools (files left in " + dir + "): " + String.join("; ", failures));
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            throw new IllegalStateException("cannot delete temp dir " + dir + ": " + e.getMessage(), e);
        }
    }

    /**
     * zfs-fuse answers "pool is busy" for a while after the last unmount or a receive, more so on a
     * loaded machine: retry for up to {@value #DESTROY_RETRY_SECONDS} s before giving up.
     */
    private Result destroyPool(String name) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(DESTROY_RETRY_SECONDS);
        while (true) {
            Result r = exec(List.of(zpool.toString(), "destroy", "-f", name));
            if (r.exit == 0 || !r.stderr.contains("busy") || System.nanoTime() > deadline) {
                return r;
            }
            try {
                Thread.sleep(500);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return r;
            }
        }
    }

    /** The stream {@code zfs send ARGS} writes (full, incremental, -I); fails with zfs's stderr on a non-zero exit. */
    public byte[] send(String... args) {
        List<String> command = new ArrayList<>();
        command.add(zfs.toString());
        command.add("send");
        command.addAll(List.of(args));
        return output(command);
    }

    private static String run(List<String> command) {
        return new String(output(command), StandardCharsets.UTF_8);
    }

    private static byte[] output(List<String> command) {
        Result r = exec(command);
        if (r.exit != 0) {
            throw new IllegalStateException(
                    "'" + String.join(" ", command) + "' failed (exit " + r.exit + "): " + r.stderr.strip());
        }
        return r.stdout;
    }

    private record Result(int exit, byte[] stdout, String stderr) {}

    private static Result exec(List<String> command) {
        try {
            Path err = Files.createTempFile("zreplj-zfs", ".err");
            try {
                Process p =
                        new ProcessBuilder(command).redirectError(err.toFile()).start();
                p.getOutputStream().close();
                byte[] stdout = p.getInputStream().readAllBytes();
                if (!p.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                    return new Result(-1, stdout, "timed out after " + TIMEOUT_SECONDS + " s");
                }
                return new Result(p.exitValue(), stdout, Files.readString(err));
            } finally {
                Files.deleteIfExists(err);
            }
        } catch (IOException e) {
            return new Result(-1, new byte[0], e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Result(-1, new byte[0], "interrupted");
        }
    }

    private static String randomLetters(int n) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < n; i++) {
            sb.append((char) ('a' + RANDOM.nextInt(26)));
        }
        return sb.toString();
    }
}
