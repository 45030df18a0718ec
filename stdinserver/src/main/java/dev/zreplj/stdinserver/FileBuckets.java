package dev.zreplj.stdinserver;

import dev.zreplj.files.StateFiles;
import io.github.bucket4j.TimeMeter;
import io.github.bucket4j.distributed.proxy.ClientSideConfig;
import io.github.bucket4j.distributed.proxy.generic.pessimistic_locking.AbstractLockBasedProxyManager;
import io.github.bucket4j.distributed.proxy.generic.pessimistic_locking.LockBasedTransaction;
import io.github.bucket4j.distributed.remote.RemoteBucketState;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Bucket4j token buckets kept in files, one per key, so that every stdinserver process of a sink job takes
 * from one bucket: each take locks the file ({@link FileChannel#lock()}), reads the bucket's state, and
 * writes it back. Bucket4j does the token arithmetic; this class only stores it. Its time is the wall
 * clock (milliseconds), the one clock all processes share.
 */
final class FileBuckets extends AbstractLockBasedProxyManager<Path> {
    /**
     * A file lock belongs to the process, so every store of the process (the box log's, the receive
     * bandwidth's, other servers' in one test JVM) takes turns here first.
     */
    private static final ReentrantLock IN_PROCESS = new ReentrantLock();

    FileBuckets() {
        super(ClientSideConfig.getDefault());
    }

    /** With another clock, for tests (in one process only: it is not shared). */
    FileBuckets(TimeMeter clock) {
        super(ClientSideConfig.getDefault().withClientClock(clock));
    }

    @Override
    protected LockBasedTransaction allocateTransaction(Path file, Optional<Long> timeoutNanos) {
        return new LockBasedTransaction() {
            private FileChannel channel;
            private FileLock lock;
            private boolean locked;

            @Override
            public void begin(Optional<Long> timeout) {
                try {
                    LockFile.createDirectories(file.getParent());
                    // Not through a link: a local sink's stdinserver runs as root in the box user's directory.
                    channel = StateFiles.openLock(file);
                } catch (IOException e) {
                    throw new UncheckedIOException("cannot open the token bucket " + file, e);
                }
            }

            @Override
            public byte[] lockAndGet(Optional<Long> timeout) {
                IN_PROCESS.lock();
                locked = true;
                try {
                    lock = channel.lock();
                    ByteBuffer buffer = ByteBuffer.allocate((int) channel.size());
                    while (buffer.hasRemaining() && channel.read(buffer, buffer.position()) >= 0) {
                        // read() advances the buffer
                    }
                    return buffer.capacity() == 0 ? null : buffer.array();
                } catch (IOException e) {
                    throw new UncheckedIOException("cannot read the token bucket " + file, e);
                }
            }

            @Override
            public void create(byte[] data, RemoteBucketState state, Optional<Long> timeout) {
                update(data, state, timeout);
            }

            @Override
            public void update(byte[] data, RemoteBucketState state, Optional<Long> timeout) {
                try {
                    channel.truncate(0);
                    ByteBuffer buffer = ByteBuffer.wrap(data);
                    while (buffer.hasRemaining()) {
                        channel.write(buffer, buffer.position());
                    }
                } catch (IOException e) {
                    throw new UncheckedIOException("cannot write the token bucket " + file, e);
                }
            }

            @Override
            public void unlock() {
                try {
                    if (lock != null) {
                        lock.release();
                        lock = null;
                    }
                } catch (IOException e) {
                    throw new UncheckedIOException("cannot unlock the bandwidth bucket " + file, e);
                } finally {
                    if (locked) {
                        locked = false;
                        IN_PROCESS.unlock();
                    }
                }
            }

            @Override
            public void commit(Optional<Long> timeout) {
                // every update is written at once
            }

            @Override
            public void rollback() {
                // a half-written state is not possible: Bucket4j writes only after computing all of it
            }

            @Override
            public void release() {
                try {
                    if (channel != null) {
                        channel.close();
                    }
                } catch (IOException e) {
                    throw new UncheckedIOException("cannot close the bandwidth bucket " + file, e);
                }
            }
        };
    }

    @Override
    public void removeProxy(Path file) {
        try {
            StateFiles.delete(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
