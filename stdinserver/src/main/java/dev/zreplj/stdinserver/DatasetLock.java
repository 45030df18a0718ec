package dev.zreplj.stdinserver;

import dev.zreplj.zfs.DatasetName;
import java.io.IOException;
import java.nio.file.Path;

/**
 * One receive or destroy per dataset across every stdinserver process on the box: a {@link LockFile}
 * {@code <state_dir>/locks/<dataset>.lock}.
 */
final class DatasetLock implements AutoCloseable {
    private final LockFile file;

    private DatasetLock(LockFile file) {
        this.file = file;
    }

    /** The lock, or null when another receive or destroy of the dataset holds it. */
    static DatasetLock tryAcquire(Path stateDir, DatasetName dataset) throws IOException {
        LockFile file = LockFile.tryLock(stateDir.resolve("locks").resolve(fileName(dataset)));
        return file == null ? null : new DatasetLock(file);
    }

    /** '/' cannot appear in a file name and '%' cannot appear in a dataset name, so this is unambiguous. */
    static String fileName(DatasetName dataset) {
        return dataset.value().replace("/", "%2F") + ".lock";
    }

    @Override
    public void close() throws IOException {
        file.close();
    }
}
