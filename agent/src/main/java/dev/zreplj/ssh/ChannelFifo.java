package dev.zreplj.ssh;

import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A channel's stdin as a FIFO that its {@code ssh -S} reads: the agent writes its frames through
 * {@link #output()}, and a {@code zfs send} started through {@link #writer} writes a stream into the same FIFO
 * between two of them, without the bytes passing through the agent (one pipe hop fewer: about 0.6 s of CPU a
 * GiB on the test machine). The agent holds only a write end, so a writer fails with EPIPE once ssh, the only
 * reader, is gone, and a zfs send whose channel died ends the way that releases its holds. Opening a FIFO
 * blocks until it has the other end; a read-write guard is that end while ssh and each writer open it, so no
 * open waits on a channel that has just ended.
 */
public final class ChannelFifo {
    private final Path path;
    private final Process reader;
    private final OutputStream out;
    /**
     * Ends ssh when the JVM is told to stop (SIGTERM, the units' KillMode=mixed) while a zfs send may be writing
     * into the FIFO: its reader gone, the send fails with EPIPE and releases its holds (see ZfsProcess.kill), before
     * the unit's final SIGKILL would find it blocked in a full FIFO, which leaves zfs-fuse holding the snapshots.
     */
    private final Thread onShutdown;

    /** How a writer is started on the FIFO, e.g. {@code zfs send} with its stdout redirected to {@code fifo}. */
    @FunctionalInterface
    public interface Start<T, E extends Exception> {
        T start(Path fifo) throws E;
    }

    private ChannelFifo(Path path, Process reader, OutputStream out) {
        this.path = path;
        this.reader = reader;
        this.out = out;
        this.onShutdown = new Thread(reader::destroyForcibly, "zreplj-channel-fifo-" + reader.pid());
        Runtime.getRuntime().addShutdownHook(onShutdown);
    }

    /** Starts {@code ssh} reading the FIFO at {@code path} as its stdin and opens the agent's write end. */
    static ChannelFifo open(Path path, ProcessBuilder ssh) throws IOException {
        try (RandomAccessFile guard = new RandomAccessFile(path.toFile(), "rw")) {
            Process p = ssh.redirectInput(path.toFile()).start();
            try {
                return new ChannelFifo(path, p, new FileOutputStream(path.toFile()));
            } catch (IOException e) {
                p.destroyForcibly();
                throw e;
            }
        }
    }

    Process reader() {
        return reader;
    }

    /** The agent's write end; closing it is the channel's EOF (when no writer holds the FIFO open). */
    OutputStream output() {
        return out;
    }

    /**
     * Starts a writer on the FIFO. Call only between frames, with everything written to {@link #output()}
     * flushed: the writer's bytes follow them in the channel.
     *
     * @throws IOException when the channel's ssh has ended (a writer would only get EPIPE)
     */
    public synchronized <T, E extends Exception> T writer(Start<T, E> start) throws E, IOException {
        if (!reader.isAlive()) {
            throw new IOException("the channel to the backup box has ended");
        }
        try (RandomAccessFile guard = new RandomAccessFile(path.toFile(), "rw")) {
            return start.start(path);
        }
    }

    /**
     * Removes the FIFO from the control directory (ssh and writers keep what they opened), once the channel is
     * closed.
     */
    void delete() {
        try {
            Runtime.getRuntime().removeShutdownHook(onShutdown);
        } catch (IllegalStateException shuttingDown) {
            // The hook runs (or ran) anyway.
        }
        try {
            Files.deleteIfExists(path);
        } catch (IOException e) {
            // The control directory goes with the master anyway.
        }
    }
}
