package dev.zreplj.agent;

import dev.zreplj.files.StateFiles;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One pass per job at a time: {@code <state_dir>/jobs/<job>.lock}, an OS lock holding the pid of the
 * process that runs the job. The OS drops the lock when that process dies, so the file a killed pass
 * leaves behind (with its dead pid) is taken over by the next one. The file is never deleted: deleting a
 * lock file lets two processes lock two different files of the same name.
 */
public final class JobLock implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(JobLock.class);

    /** Another live process runs the job; the message is the one line the user sees. */
    public static final class HeldException extends Exception {
        private static final long serialVersionUID = 1L;

        HeldException(String message) {
            super(message);
        }
    }

    private final List<FileChannel> channels;

    private JobLock(List<FileChannel> channels) {
        this.channels = channels;
    }

    public static Path file(Path stateDir, String job) {
        return stateDir.resolve("jobs").resolve(job + ".lock");
    }

    /** The locks of all {@code jobs}, or none: refuses at once, naming the running process, when one is held. */
    public static JobLock acquire(Path stateDir, List<String> jobs) throws IOException, HeldException {
        List<FileChannel> held = new ArrayList<>();
        try {
            for (String job : jobs) {
                held.add(lockOne(file(stateDir, job), job));
            }
            return new JobLock(held);
        } catch (IOException | HeldException | RuntimeException e) {
            for (FileChannel channel : held) {
                channel.close();
            }
            throw e;
        }
    }

    private static FileChannel lockOne(Path file, String job) throws IOException, HeldException {
        StateFiles.createDirectories(file.getParent());
        // Not through a symlink: the state directory may belong to the box's user (one machine, both roles), and a
        // root agent must not create or open a file wherever a link planted there points.
        FileChannel channel = StateFiles.openLock(file);
        try {
            FileLock lock;
            try {
                lock = channel.tryLock();
            } catch (OverlappingFileLockException e) {
                lock = null; // held by this very process (agent run already runs the job)
            }
            if (lock == null) {
                OptionalLong pid = pid(channel);
                throw new HeldException("job " + job + ": another pass is running"
                        + (pid.isPresent() ? " (pid " + pid.getAsLong() + commandOf(pid.getAsLong()) + ")" : "")
                        + "; it holds " + file + ". Wait for it to finish, or stop that process");
            }
            OptionalLong previous = pid(channel);
            if (previous.isPresent()
                    && previous.getAsLong() != ProcessHandle.current().pid()) {
                log.info(
                        "job {}: taking over {} from pid {}, which is no longer running",
                        job,
                        file,
                        previous.getAsLong());
            }
            try {
                channel.truncate(0);
                channel.write(
                        ByteBuffer.wrap((ProcessHandle.current().pid() + "\n").getBytes(StandardCharsets.US_ASCII)), 0);
                channel.force(false);
            } catch (IOException e) {
                // The OS lock is what excludes another pass; the pid only names the holder in its message. A full
                // state filesystem must not stop the snapshots and the replication with it.
                log.warn(
                        "job {}: cannot write this process's pid into {} ({}); the lock holds all the same",
                        job,
                        file,
                        e.getMessage());
            }
            return channel;
        } catch (IOException | HeldException | RuntimeException e) {
            channel.close();
            throw e;
        }
    }

    private static OptionalLong pid(FileChannel channel) throws IOException {
        ByteBuffer buf = ByteBuffer.allocate(32);
        int n = channel.read(buf, 0);
        String text = n <= 0 ? "" : new String(buf.array(), 0, n, StandardCharsets.US_ASCII).trim();
        try {
            return text.isEmpty() ? OptionalLong.empty() : OptionalLong.of(Long.parseLong(text));
        } catch (NumberFormatException e) {
            return OptionalLong.empty(); // not ours to interpret: the message then names the file only
        }
    }

    private static String commandOf(long pid) {
        return ProcessHandle.of(pid)
                .flatMap(h -> h.info().commandLine())
                .map(c -> ", " + abbreviate(withoutJvmOptions(c)))
                .orElse("");
    }

    /**
     * From the main class on: the launcher's JVM options filled the 120 characters, and the message never said
     * whether the holder was an {@code agent run} or an {@code agent once}.
     */
    static String withoutJvmOptions(String commandLine) {
        String main = " dev.zreplj.cli.Main ";
        int at = commandLine.indexOf(main);
        return at < 0 ? commandLine : "zreplj " + commandLine.substring(at + main.length());
    }

    private static String abbreviate(String commandLine) {
        return commandLine.length() <= 120 ? commandLine : commandLine.substring(0, 117) + "...";
    }

    /**
     * Releases every lock; closing the channel drops the OS lock. The pid is cleared first, while the lock is
     * still held, so that only a pass that died leaves one behind and the next pass says it took over.
     */
    @Override
    public void close() throws IOException {
        IOException failure = null;
        for (FileChannel channel : channels) {
            try (channel) {
                clearPid(channel);
            } catch (IOException e) {
                failure = e;
            }
        }
        if (failure != null) {
            throw failure;
        }
    }

    private static void clearPid(FileChannel channel) {
        try {
            channel.truncate(0);
        } catch (IOException e) {
            // Costs only a wrong "taking over" line at the next pass; the lock itself is released either way.
            log.debug("cannot clear the pid from a job lock file: {}", e.getMessage());
        }
    }
}
