package dev.zreplj.stdinserver;

import dev.zreplj.zfs.DatasetName;
import dev.zreplj.zfs.Zfs;
import dev.zreplj.zfs.ZfsException;
import java.io.IOException;
import java.nio.file.Path;

/**
 * One receive or destroy per dataset across every stdinserver process on the box: a {@link LockFile}
 * {@code <state_dir>/locks/<dataset>.lock}.
 */
final class DatasetLock implements AutoCloseable {
    private final LockFile file;
    private final DatasetName dataset;
    private boolean forget;

    private DatasetLock(LockFile file, DatasetName dataset) {
        this.file = file;
        this.dataset = dataset;
    }

    /** The lock, or null when another receive or destroy of the dataset holds it. */
    static DatasetLock tryAcquire(Path stateDir, DatasetName dataset) throws IOException {
        LockFile file = LockFile.tryLock(stateDir.resolve("locks").resolve(fileName(dataset)));
        return file == null ? null : new DatasetLock(file, dataset);
    }

    /** '/' cannot appear in a file name and '%' cannot appear in a dataset name, so this is unambiguous. */
    static String fileName(DatasetName dataset) {
        return dataset.value().replace("/", "%2F") + ".lock";
    }

    /**
     * Removes the lock file as the lock is let go when the dataset does not exist (a refused or failed receive
     * into a new one, a destroy in one that never was): a client could otherwise leave one file per name it
     * makes up in the state directory. Where zfs cannot say, the file stays.
     */
    void forgetIfAbsent(Zfs zfs) {
        try {
            forget = !zfs.exists(dataset);
        } catch (ZfsException e) {
            forget = false;
        }
    }

    @Override
    public void close() throws IOException {
        if (forget) {
            file.closeAndDelete();
        } else {
            file.close();
        }
    }
}
