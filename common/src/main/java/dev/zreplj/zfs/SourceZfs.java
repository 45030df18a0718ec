package dev.zreplj.zfs;

import java.nio.file.Path;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import org.jspecify.annotations.Nullable;

/**
 * The zfs operations a push pass runs on the sending machine: listing, snapshots, send, the replication
 * cursor's marks and sender-side pruning. {@link Zfs} runs them; the pass driver's tests run an
 * in-memory fake, so every failure path of a pass is tested without root or a pool. The methods mean
 * what {@link Zfs}'s of the same name document.
 */
public interface SourceZfs {
    Capabilities capabilities() throws ZfsException;

    List<DatasetName> listAllFilesystems() throws ZfsException;

    Map<DatasetName, List<ZfsVersion>> listVersions(DatasetName root) throws ZfsException;

    VersionListing listVersions(DatasetName root, @Nullable String localProperty) throws ZfsException;

    Map<DatasetName, Map<String, String>> getProperties(DatasetName root, boolean recursive, List<String> properties)
            throws ZfsException;

    void snapshot(Collection<DatasetName> filesystems, String snapshotName) throws ZfsException;

    void destroySnapshots(DatasetName filesystem, Collection<String> snapshotNames) throws ZfsException;

    /**
     * The guids the given snapshots ({@code fs@name}) have now; one that does not exist is absent. Lets a
     * destroy planned from an earlier listing check that each name is still the snapshot it decided on.
     */
    Map<String, Long> snapshotGuids(Collection<String> snapshots) throws ZfsException;

    SendStream send(SendRequest request) throws ZfsException;

    /** {@link #send(SendRequest)} writing the stream into {@code output}, a FIFO another process reads. */
    SendStream send(SendRequest request, Path output) throws ZfsException;

    OptionalLong estimateSendSize(SendRequest request) throws ZfsException;

    Map<DatasetName, String> localProperty(DatasetName root, String property) throws ZfsException;

    void setProperty(DatasetName dataset, String property, String value) throws ZfsException;

    void hold(String tag, ZfsVersion snapshot) throws ZfsException;

    boolean releaseIfHeld(String tag, ZfsVersion snapshot) throws ZfsException;

    void bookmark(ZfsVersion snapshot, String bookmarkName) throws ZfsException;

    void destroyBookmark(ZfsVersion bookmark) throws ZfsException;
}
