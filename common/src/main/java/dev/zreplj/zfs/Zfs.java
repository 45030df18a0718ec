package dev.zreplj.zfs;

import java.nio.file.Path;
import java.util.Collection;
import java.util.List;
import java.util.Map;

/**
 * The one place that runs {@code zfs}: always with an argument array (never a shell), always with
 * validated names. Listing is batched: a fixed number of invocations per call, however many
 * filesystems and snapshots there are. Capabilities are probed once per instance.
 *
 * SKELETON: signatures are the contract other modules code against; the zfs layer fills them in.
 */
public final class Zfs {
    private final Path binary;

    public Zfs(Path binary) {
        this.binary = binary;
    }

    /** Finds {@code zfs} on PATH or in /sbin, /usr/sbin, /usr/local/sbin (sshd's forced commands get a thin PATH). */
    public static Zfs locate() throws ZfsException {
        throw new ZfsException("not implemented yet");
    }

    public Path binary() {
        return binary;
    }

    public Capabilities capabilities() throws ZfsException {
        throw new ZfsException("not implemented yet");
    }

    /** {@code root} and every filesystem/volume below it, sorted by name; empty when root does not exist. */
    public List<DatasetName> listFilesystems(DatasetName root) throws ZfsException {
        throw new ZfsException("not implemented yet");
    }

    /** Every filesystem/volume of every imported pool, sorted by name. */
    public List<DatasetName> listAllFilesystems() throws ZfsException {
        throw new ZfsException("not implemented yet");
    }

    public boolean exists(DatasetName dataset) throws ZfsException {
        throw new ZfsException("not implemented yet");
    }

    /**
     * Snapshots (and bookmarks, where supported) of {@code root} and everything below it. Every
     * filesystem under root is a key, with an empty list when it has no versions; each list is sorted
     * by createtxg, then snapshots before bookmarks. Empty map when root does not exist.
     */
    public Map<DatasetName, List<ZfsVersion>> listVersions(DatasetName root) throws ZfsException {
        throw new ZfsException("not implemented yet");
    }

    /** Parsable values ({@code zfs get -Hp}) of the given properties; "-" for unset. */
    public Map<DatasetName, Map<String, String>> getProperties(DatasetName root, boolean recursive,
                                                              List<String> properties) throws ZfsException {
        throw new ZfsException("not implemented yet");
    }

    /** One atomic {@code zfs snapshot fs1@name fs2@name ...}. */
    public void snapshot(Collection<DatasetName> filesystems, String snapshotName) throws ZfsException {
        throw new ZfsException("not implemented yet");
    }

    /** {@code zfs destroy fs@a,b,c} in one call per filesystem (batched when the argument gets long). */
    public void destroySnapshots(DatasetName filesystem, Collection<String> snapshotNames) throws ZfsException {
        throw new ZfsException("not implemented yet");
    }

    /** {@code zfs create [-o k=v]... name}; parents must exist. */
    public void create(DatasetName dataset, Map<String, String> properties) throws ZfsException {
        throw new ZfsException("not implemented yet");
    }

    public void setProperty(DatasetName dataset, String property, String value) throws ZfsException {
        throw new ZfsException("not implemented yet");
    }

    public void hold(String tag, ZfsVersion snapshot) throws ZfsException {
        throw new ZfsException("not implemented yet");
    }

    public void release(String tag, ZfsVersion snapshot) throws ZfsException {
        throw new ZfsException("not implemented yet");
    }

    /** Starts {@code zfs send}; the stream is the process's stdout. */
    public ZfsProcess send(SendRequest request) throws ZfsException {
        throw new ZfsException("not implemented yet");
    }

    /** Starts {@code zfs recv}; the caller writes the stream to the process's stdin. Never mounts. */
    public ZfsProcess receive(ReceiveRequest request) throws ZfsException {
        throw new ZfsException("not implemented yet");
    }
}
