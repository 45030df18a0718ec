package dev.zreplj.zfs;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * A running {@code zfs} command, usually {@code send} or {@code recv}. stderr is drained in the
 * background into a bounded buffer (the last {@value #STDERR_LIMIT} bytes) so the process never blocks
 * on it and its text can be reported when the process fails.
 */
public final class ZfsProcess implements SendStream {
    static final int STDERR_LIMIT = 64 * 1024;
    private static final long KILL_GRACE_MILLIS = 2000;
    /** How long a process whose output was closed may take to end on its own before it is killed. */
    static final long OUTPUT_GRACE_MILLIS = 1000;
    /**
     * How long stderr may stay open after zfs exited. A grandchild that inherited the pipe (a helper zfs
     * forked, or one our kill did not reach) would otherwise hold {@link #finish()} for as long as it lives.
     */
    static final long STDERR_GRACE_MILLIS = 2000;
    /** How long a JVM told to stop waits for each running send to end after its output is closed. */
    static final long SHUTDOWN_GRACE_MILLIS = 5000;

    private final List<String> command;
    private final Process process;
    private final TailBuffer stderr = new TailBuffer(STDERR_LIMIT);
    /** Drains stderr's pipe; null where stderr goes to {@link #stderrFile}. */
    private final @Nullable Thread drainer;
    /** An unlinked file that holds stderr (a send's); null where stderr is a pipe. */
    private final @Nullable FileChannel stderrFile;
    /** A send's: ends it cleanly when the JVM is told to stop; null for other commands. */
    private final @Nullable Thread onShutdown;

    private ZfsProcess(
            List<String> command, Process process, @Nullable FileChannel stderrFile, @Nullable Thread onShutdown) {
        this.command = List.copyOf(command);
        this.process = process;
        this.stderrFile = stderrFile;
        this.onShutdown = onShutdown;
        if (stderrFile == null) {
            Thread t = new Thread(this::drainStderr, "zfs-stderr-" + process.pid());
            t.setDaemon(true);
            t.start();
            this.drainer = t;
        } else {
            this.drainer = null;
        }
    }

    /** Starts {@code command} (an argument array, never through a shell). */
    static ZfsProcess start(List<String> command) throws ZfsException {
        try {
            return new ZfsProcess(
                    command, inTheCLocale(new ProcessBuilder(command)).start(), null, null);
        } catch (IOException e) {
            throw new ZfsException("cannot run '" + String.join(" ", command) + "': " + e.getMessage());
        }
    }

    /**
     * Starts a {@code zfs send} whose stderr is a file, not a pipe to this JVM: zfs-fuse's {@code send -I} holds
     * the snapshots it sends and releases them only when it ends normally. When the JVM died mid-stream (killed,
     * OOM, {@code systemctl stop}), the client's "Broken pipe" line went to a pipe nobody read, SIGPIPE killed it
     * before it released them, and every later destroy of those snapshots failed "dataset is busy" until the pool
     * was imported again. The file is unlinked once both ends have it open, so nothing is left behind either way.
     */
    static ZfsProcess startSend(List<String> command) throws ZfsException {
        return startSend(command, null);
    }

    /**
     * {@link #startSend(List)} with the stream written to {@code output} (a FIFO another process reads)
     * instead of a pipe to this JVM, or to the pipe when null.
     */
    static ZfsProcess startSend(List<String> command, @Nullable Path output) throws ZfsException {
        Path file = null;
        try {
            file = Files.createTempFile("zreplj-zfs-send-", ".stderr");
            ProcessBuilder builder =
                    inTheCLocale(new ProcessBuilder(inSessionOfItsOwn(command))).redirectError(file.toFile());
            if (output != null) {
                builder.redirectOutput(output.toFile());
            }
            Process p = builder.start();
            FileChannel err = FileChannel.open(file, StandardOpenOption.READ);
            Files.delete(file);
            // SIGTERM to the JVM alone (the units' KillMode=mixed): the send ends the way that releases its
            // holds, its output closed, before the JVM is gone and systemd SIGKILLs what is left.
            Thread hook = new Thread(() -> endOnShutdown(p), "zreplj-zfs-send-" + p.pid());
            Runtime.getRuntime().addShutdownHook(hook);
            return new ZfsProcess(command, p, err, hook);
        } catch (IOException e) {
            if (file != null) {
                try {
                    Files.deleteIfExists(file);
                } catch (IOException ignored) {
                    // In the temporary directory: the system's cleanup takes it.
                }
            }
            throw new ZfsException("cannot run '" + String.join(" ", command) + "': " + e.getMessage());
        }
    }

    /**
     * zreplj reads zfs's messages, which a locale translates (glibc's strerror texts, at least): on the box the
     * session's LANG and LC_* are the client's to send (Debian's sshd accepts them), and on the agent the machine's
     * own locale must not change what a failure is taken for. LC_ALL overrides the others; LANGUAGE is gettext's.
     */
    private static ProcessBuilder inTheCLocale(ProcessBuilder builder) {
        builder.environment().put("LC_ALL", "C");
        builder.environment().remove("LANGUAGE");
        return builder;
    }

    /**
     * {@code command} run by {@code setsid}, with SIGPIPE ignored and no core file. setsid: Ctrl-C on a terminal (and
     * its hangup) signals the whole foreground process group, and a zfs send in it died by SIGINT before releasing
     * the holds zfs-fuse's {@code send -I} puts on what it sends; outside that group only the JVM is signalled, and
     * ends the send as on SIGTERM (its output closed). {@code -w}: should setsid have to fork, its exit status is
     * still the send's. SIGPIPE: a send whose output was closed while it took those holds (a connection cut in its
     * first milliseconds) died by SIGPIPE on its first write, the holds kept; ignoring it, the client sees EPIPE,
     * releases them and exits non-zero (zfs-fuse's then aborts on the unexpected errno: hence no core file; the JVM
     * does not ignore SIGPIPE for its children). OpenZFS's send ends on EPIPE as well.
     */
    private static List<String> inSessionOfItsOwn(List<String> command) {
        List<String> wrapped =
                new ArrayList<>(List.of("sh", "-c", "trap '' PIPE; ulimit -c 0; exec setsid -w \"$@\"", "sh"));
        wrapped.addAll(command);
        return wrapped;
    }

    public List<String> command() {
        return command;
    }

    public OutputStream stdin() {
        return process.getOutputStream();
    }

    @Override
    public InputStream stdout() {
        return process.getInputStream();
    }

    /** What zfs wrote to stderr so far (the last 64 KiB). */
    public String stderr() {
        FileChannel file = stderrFile;
        if (file == null) {
            return stderr.text();
        }
        try {
            long size = file.size();
            long from = Math.max(0, size - STDERR_LIMIT);
            ByteBuffer tail = ByteBuffer.allocate((int) (size - from));
            while (tail.hasRemaining() && file.read(tail, from + tail.position()) > 0) {
                // positional reads until the tail is in
            }
            return new String(tail.array(), 0, tail.position(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "(zfs's stderr unreadable: " + e.getMessage() + ")";
        }
    }

    @Override
    public CompletableFuture<Integer> exited() {
        return process.onExit().thenApply(Process::exitValue);
    }

    /** Waits for exit; throws with zfs's stderr when the exit status is non-zero. */
    @Override
    public void finish() throws ZfsException, InterruptedException {
        int exit = process.waitFor();
        // Bounded: past the grace the drainer (a daemon thread) is left to end with the pipe's last holder,
        // and what it read so far is the message.
        Thread t = drainer;
        if (t != null) {
            t.join(STDERR_GRACE_MILLIS);
        }
        if (exit != 0) {
            throw new ZfsException(command, exit, stderr());
        }
    }

    /** Waits at most {@code limit} for the process to exit; false while it still runs. */
    boolean exitsWithin(Duration limit) throws InterruptedException {
        return process.waitFor(limit.toNanos(), TimeUnit.NANOSECONDS);
    }

    /**
     * Stops the process (used when the other side of a stream failed). Idempotent. Its output is closed first,
     * so that a {@code zfs send} fails its next write with EPIPE and ends itself; only one still running after
     * {@link #OUTPUT_GRACE_MILLIS} is sent SIGTERM, and SIGKILL after {@link #KILL_GRACE_MILLIS}. Signalled
     * while its daemon was blocked writing a full pipe, the zfs-fuse client left the daemon holding the sent
     * snapshots: "dataset is busy" to every destroy until the daemon restarts. Closing the reader first does
     * not (stop 14's trials by hand), and OpenZFS's send ends the same way on EPIPE.
     */
    @Override
    public void kill() {
        if (!process.isAlive()) {
            return;
        }
        // Taken before the kill: once zfs is gone its children are re-parented and out of our reach.
        List<ProcessHandle> descendants = process.descendants().toList();
        try {
            process.getInputStream().close();
        } catch (IOException e) {
            // Already closed: the process's next write fails all the same.
        }
        try {
            if (process.waitFor(OUTPUT_GRACE_MILLIS, TimeUnit.MILLISECONDS)) {
                descendants.forEach(ProcessHandle::destroyForcibly);
                return;
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        process.destroy();
        try {
            if (!process.waitFor(KILL_GRACE_MILLIS, TimeUnit.MILLISECONDS)) {
                process.destroyForcibly();
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
        descendants.forEach(ProcessHandle::destroyForcibly);
    }

    /**
     * Stops a call that ran past its time: SIGTERM to it and what it started, SIGKILL to what is left after
     * {@link #KILL_GRACE_MILLIS}, off the caller's thread, which is not held up by a process that no signal ends.
     * Its pipes are left alone: the thread that reads them sees them end with it.
     */
    void terminate() {
        List<ProcessHandle> descendants = process.descendants().toList();
        process.destroy();
        descendants.forEach(ProcessHandle::destroy);
        Thread killer = new Thread(
                () -> {
                    try {
                        if (!process.waitFor(KILL_GRACE_MILLIS, TimeUnit.MILLISECONDS)) {
                            process.destroyForcibly();
                        }
                    } catch (InterruptedException e) {
                        process.destroyForcibly();
                    }
                    descendants.forEach(ProcessHandle::destroyForcibly);
                },
                "zreplj-zfs-terminate-" + process.pid());
        killer.setDaemon(true);
        killer.start();
    }

    /**
     * Ends a {@code zfs recv} whose stream is given up: its input ends first, so zfs aborts the receive itself
     * and exits once it has, and only one still running after {@code grace} is killed. Killed first, the
     * zfs-fuse client left its daemon still reading the stream (the JVM holds the pipe's write end until the
     * reaper closes it), and a receive into the same target a moment later found it "busy".
     */
    public void endInput(Duration grace) throws InterruptedException {
        // On its own thread: closing flushes what the stream still buffers, which blocks while zfs reads
        // nothing; the kill below then ends that write.
        Thread closer = new Thread(
                () -> {
                    try {
                        process.getOutputStream().close();
                    } catch (IOException e) {
                        // Already closed, or zfs is gone: either way its input has ended.
                    }
                },
                "zreplj-end-input");
        closer.setDaemon(true);
        closer.start();
        if (!process.waitFor(grace.toMillis(), TimeUnit.MILLISECONDS)) {
            kill();
        }
    }

    /** Closes a send's output and waits a little for it to end on EPIPE; never signals it (see {@link #kill}). */
    private static void endOnShutdown(Process p) {
        if (!p.isAlive()) {
            return;
        }
        try {
            p.getInputStream().close();
            p.waitFor(SHUTDOWN_GRACE_MILLIS, TimeUnit.MILLISECONDS);
        } catch (IOException | InterruptedException e) {
            // The JVM is going anyway; what was not released is the unit's final SIGKILL's to decide.
        }
    }

    @Override
    public void close() {
        kill();
        Thread hook = onShutdown;
        if (hook != null) {
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException shuttingDown) {
                // The hook runs (or ran) anyway; the send is over.
            }
        }
        FileChannel file = stderrFile;
        if (file != null) {
            try {
                file.close();
            } catch (IOException e) {
                // Unlinked already: closing only frees the descriptor.
            }
        }
    }

    private void drainStderr() {
        byte[] buf = new byte[8192];
        try (InputStream in = process.getErrorStream()) {
            int n;
            while ((n = in.read(buf)) >= 0) {
                stderr.append(buf, n);
            }
        } catch (IOException e) {
            // The process died or was killed; what was read so far is all there is.
        }
    }

    /** Keeps the last {@code limit} bytes written to it: the end of zfs's stderr says why it failed. */
    static final class TailBuffer {
        private final byte[] ring;
        private long written;

        TailBuffer(int limit) {
            this.ring = new byte[limit];
        }

        synchronized void append(byte[] data, int length) {
            for (int i = 0; i < length; i++) {
                ring[(int) (written++ % ring.length)] = data[i];
            }
        }

        synchronized String text() {
            int size = (int) Math.min(written, ring.length);
            byte[] out = new byte[size];
            int start = (int) ((written - size) % ring.length);
            for (int i = 0; i < size; i++) {
                out[i] = ring[(start + i) % ring.length];
            }
            return new String(out, StandardCharsets.UTF_8);
        }
    }
}
