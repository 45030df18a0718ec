package dev.zreplj.cli.openzfs;

import static dev.zreplj.cli.openzfs.OpenZfsLab.command;
import static dev.zreplj.cli.openzfs.OpenZfsLab.quote;

import dev.zreplj.zfs.DatasetName;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

/**
 * Uniquely named OpenZFS pools in the lab guest, on sparse file vdevs in a per-instance work directory
 * there (so tests never compete for the guest's disks and a failed cleanup cannot block the next
 * test). Destroys exactly the pools it created, then the work directory, in {@link #close()}.
 * The guest-side counterpart of {@code TestPools}, plus what OpenZFS-only tests need.
 */
public final class LabPools implements AutoCloseable {
    private static final SecureRandom RANDOM = new SecureRandom();
    /** Sparse; the guest's root file system has about 2 GiB free, data stays far below. */
    private static final String POOL_SIZE = "1G";

    private final OpenZfsLab lab;
    private final String prefix;
    private final String dir;
    private final List<String> created = new ArrayList<>();

    private LabPools(OpenZfsLab lab, String prefix) {
        this.lab = lab;
        this.prefix = prefix;
        this.dir = "/var/tmp/zreplj-lab/" + prefix;
    }

    public static LabPools open(OpenZfsLab lab) {
        LabPools pools = new LabPools(lab, "zl" + randomLetters(6));
        lab.check("mkdir -p " + pools.dir + "/vdev " + pools.dir + "/mnt");
        return pools;
    }

    public OpenZfsLab lab() {
        return lab;
    }

    /** A guest directory that exists until {@link #close()}, for configs, keys and state of one test. */
    public String workDir() {
        return dir;
    }

    /** Creates pool {@code zl<random><suffix>} on a sparse file, mounted below the work directory. */
    public DatasetName createPool(String suffix) {
        if (!suffix.matches("[a-z0-9]*")) {
            throw new IllegalArgumentException("pool suffix '" + suffix + "' must be lowercase letters and digits");
        }
        String name = prefix + suffix;
        String file = dir + "/vdev/" + name + ".img";
        lab.check("truncate -s " + POOL_SIZE + " " + file + " && zpool create -o ashift=12 -O atime=off -m " + dir
                + "/mnt/" + name + " " + name + " " + file);
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

    /**
     * An encrypted filesystem (aes-256-gcm, passphrase in a key file in the work directory); returns the
     * key file's guest path, for {@code zfs load-key -L file://...} on a copy.
     */
    public String createEncrypted(DatasetName name, String passphrase) {
        String keyFile = dir + "/" + name.value().replace('/', '_') + ".key";
        lab.write(keyFile, passphrase + "\n");
        createFilesystem(name, "encryption=aes-256-gcm", "keyformat=passphrase", "keylocation=file://" + keyFile);
        return keyFile;
    }

    /** Writes {@code bytes} random bytes to a new file in the mounted filesystem; returns its guest path. */
    public String writeRandomFile(DatasetName fs, String fileName, int bytes) {
        if (!"yes".equals(get(fs.value(), "mounted"))) {
            throw new IllegalStateException(fs + " is not mounted; cannot write " + fileName);
        }
        String path = get(fs.value(), "mountpoint") + "/" + fileName;
        lab.check("head -c " + bytes + " /dev/urandom > " + quote(path));
        return path;
    }

    /** {@code zfs snapshot fs@name}; returns the full name. */
    public String snapshot(DatasetName fs, String name) {
        String full = fs.value() + "@" + name;
        zfs("snapshot", full);
        return full;
    }

    public long guid(String datasetOrSnapshot) {
        return Long.parseUnsignedLong(
                zfs("get", "-Hp", "-o", "value", "guid", datasetOrSnapshot).strip());
    }

    /** A property value as {@code zfs get -H -o value} prints it. */
    public String get(String datasetOrSnapshot, String property) {
        return zfs("get", "-H", "-o", "value", property, datasetOrSnapshot).strip();
    }

    /** Snapshot names (after '@') of exactly this filesystem, in creation order. */
    public List<String> snapshotNames(DatasetName fs) {
        List<String> out = new ArrayList<>();
        for (String line : zfs("list", "-H", "-d", "1", "-t", "snapshot", "-o", "name", "-s", "createtxg", fs.value())
                .split("\n")) {
            if (line.startsWith(fs.value() + "@")) {
                out.add(line.substring(fs.value().length() + 1));
            }
        }
        return out;
    }

    /** Names and exact guids of every snapshot below a dataset, "name\tguid" per line, sorted by name. */
    public String snapshotsWithGuids(DatasetName root) {
        return zfs("list", "-Hp", "-r", "-t", "snapshot", "-o", "name,guid", root.value())
                .lines()
                .sorted()
                .map(l -> l + "\n")
                .collect(Collectors.joining());
    }

    /** Every filesystem below (and including) a dataset, sorted by name. */
    public List<String> datasets(DatasetName root) {
        return zfs("list", "-H", "-r", "-o", "name", "-s", "name", root.value())
                .lines()
                .toList();
    }

    /**
     * Sends {@code snapshot} (with the given extra send flags, e.g. "-w") into {@code target} with a
     * resumable receive, cutting the stream after {@code bytes}: the receive fails and leaves a resume
     * token. Returns the receive's outcome.
     */
    public OpenZfsLab.Result sendCut(String snapshot, String sendFlags, long bytes, DatasetName target) {
        return lab.sh(
                "zfs send " + sendFlags + " " + quote(snapshot) + " | head -c " + bytes + " | zfs recv -s -u "
                        + quote(target.value()),
                null,
                OpenZfsLab.DEFAULT_TIMEOUT);
    }

    /** Runs zfs with the given arguments in the guest; returns stdout; fails with zfs's stderr. */
    public String zfs(String... args) {
        List<String> words = new ArrayList<>(List.of("zfs"));
        words.addAll(List.of(args));
        return lab.check(command(words));
    }

    /** Destroys every pool this instance created (and only those), then the work directory. */
    @Override
    public void close() {
        List<String> failures = new ArrayList<>();
        for (int i = created.size() - 1; i >= 0; i--) {
            OpenZfsLab.Result r = lab.sh("zpool destroy -f " + created.get(i), null, OpenZfsLab.DEFAULT_TIMEOUT);
            if (r.exit() != 0) {
                failures.add(created.get(i) + ": " + r.stderr().strip());
            }
        }
        created.clear();
        if (!failures.isEmpty()) {
            throw new IllegalStateException("could not destroy lab pools (files left in the guest's " + dir + "): "
                    + String.join("; ", failures));
        }
        lab.check("rm -rf --one-file-system " + dir);
    }

    private static String randomLetters(int n) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < n; i++) {
            sb.append((char) ('a' + RANDOM.nextInt(26)));
        }
        return sb.toString();
    }
}
