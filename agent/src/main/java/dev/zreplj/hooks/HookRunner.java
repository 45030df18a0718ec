package dev.zreplj.hooks;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * Runs one hook command as zrepl does: the executable alone, no arguments and no shell, with the hook's
 * variables added to the agent's environment, stdout and stderr captured together. A run that outlives
 * its timeout is killed with everything it started, so a forgotten child cannot hold the agent; what a run
 * that ended by itself left running is not the agent's to kill.
 */
public final class HookRunner {
    /** The tail of the output that is kept: enough for an error message, bounded against a chatty hook. */
    static final int MAX_OUTPUT = 16 * 1024;
    /** How long the output may keep flowing after the process itself ended or was killed. */
    private static final Duration DRAIN = Duration.ofSeconds(2);

    /**
     * @param exitCode the process's exit status; -1 when it was killed for its timeout or did not start
     * @param error    why the run failed (null when it succeeded)
     * @param output   stdout and stderr combined, at most {@link #MAX_OUTPUT} bytes (the end)
     */
    public record Run(int exitCode, String error, String output, Duration took) {
        public boolean ok() {
            return error == null;
        }
    }

    private static final String KILLED = "killed: the agent is stopping";

    private final Set<Process> running = ConcurrentHashMap.newKeySet();
    /** Runs {@link #killRunning} killed: failed, whatever exit status they still managed to give. */
    private final Set<Process> killed = ConcurrentHashMap.newKeySet();
    /**
     * Held from a run's last look at its cancellation through its process being registered, and by a kill: a
     * process started just before it was registered was otherwise missed by a kill in between, and ran on to its
     * timeout (a pre-snapshot freeze outliving the agent).
     */
    private final Object starting = new Object();

    /**
     * Kills every run in progress with what it started (the agent is stopping); each ends as a failed run. One that
     * already ended by itself (its output still draining) keeps its own status: a freeze that succeeded is owed its
     * thaw.
     */
    public void killRunning() {
        synchronized (starting) {
            for (Process p : running) {
                if (p.isAlive()) {
                    killed.add(p);
                }
                kill(p);
            }
        }
    }

    /**
     * The run's whole process group, in one signal: each hook runs in a session of its own ({@code setsid}), so what
     * it started goes with it, also what it detached ({@code ( cmd & )}, which no longer descends from it); and a
     * shell waiting on its children ({@code wait} exits 0 once they are gone) cannot exit 0 in between.
     */
    private static void kill(Process p) {
        try {
            Process k = new ProcessBuilder(
                            "sh", "-c", "kill -s KILL -- \"-$1\" 2>/dev/null", "sh", Long.toString(p.pid()))
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                    .start();
            k.waitFor(5, TimeUnit.SECONDS);
        } catch (IOException e) {
            // No shell to signal the group with: the command and what still descends from it, as before.
            List<ProcessHandle> started = p.descendants().toList();
            p.destroyForcibly();
            started.forEach(ProcessHandle::destroyForcibly);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        p.destroyForcibly();
    }

    /**
     * @param cancelled asked once, just before the start, where no {@link #killRunning} can come in between: when
     *                  true, the command is not started and the run is a killed one. It must not block, nor wait
     *                  for a lock that a caller of {@code killRunning} may hold.
     */
    public Run run(Path command, Map<String, String> env, Duration timeout, BooleanSupplier cancelled)
            throws InterruptedException {
        long start = System.nanoTime();
        if (!Files.isRegularFile(command) || !Files.isExecutable(command)) {
            // Checked here: setsid's own failure to run it would read as the hook's exit status.
            return new Run(-1, "cannot run: " + command + " is not an executable file", "", since(start));
        }
        // A session of its own: a kill reaches everything it started (kill), and a Ctrl-C on the agent's terminal
        // does not reach a post-snapshot run the agent still owes.
        ProcessBuilder pb = new ProcessBuilder("setsid", "-w", command.toString()).redirectErrorStream(true);
        pb.redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()));
        pb.environment().putAll(env);
        Process p;
        synchronized (starting) {
            if (cancelled.getAsBoolean()) {
                return new Run(-1, KILLED, "", since(start));
            }
            try {
                p = pb.start();
            } catch (IOException e) {
                return new Run(-1, "cannot run: " + e.getMessage(), "", since(start));
            }
            running.add(p);
        }
        try {
            Run run = wait(p, command, timeout, start);
            return killed.remove(p) ? new Run(-1, KILLED, run.output(), run.took()) : run;
        } finally {
            running.remove(p);
            killed.remove(p);
        }
    }

    private Run wait(Process p, Path command, Duration timeout, long start) throws InterruptedException {
        Tail tail = new Tail(p.getInputStream());
        Thread reader = new Thread(tail::drain, "hook output " + command.getFileName());
        reader.setDaemon(true);
        reader.start();
        boolean ended = p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
        if (!ended) {
            kill(p);
            p.waitFor();
        }
        reader.join(DRAIN.toMillis());
        if (reader.isAlive() && !ended) {
            kill(p);
        }
        // A hook that ended by itself may have left something running on its output (a session holding a lock
        // until the post hook ends it, as zrepl's hooks may): that is the admin's, and runs on. The run stops
        // waiting for its output here; the reader, a daemon thread, goes on draining it (so a write does not
        // fail) until it closes or the agent ends.
        String output = tail.text();
        if (!ended) {
            return new Run(-1, "killed after its timeout of " + timeout.toSeconds() + " s", output, since(start));
        }
        int exit = p.exitValue();
        return new Run(exit, exit == 0 ? null : "exit status " + exit, output, since(start));
    }

    private static Duration since(long startNanos) {
        return Duration.ofNanos(System.nanoTime() - startNanos);
    }

    /** Reads a stream to its end, keeping the last {@link #MAX_OUTPUT} bytes. */
    private static final class Tail {
        private final InputStream in;
        private final ByteArrayOutputStream kept = new ByteArrayOutputStream();
        private boolean truncated;

        Tail(InputStream in) {
            this.in = in;
        }

        void drain() {
            byte[] buf = new byte[8192];
            try (in) {
                for (int n; (n = in.read(buf)) > 0; ) {
                    synchronized (this) {
                        kept.write(buf, 0, n);
                        if (kept.size() > 2 * MAX_OUTPUT) {
                            byte[] all = kept.toByteArray();
                            kept.reset();
                            kept.write(all, all.length - MAX_OUTPUT, MAX_OUTPUT);
                            truncated = true;
                        }
                    }
                }
            } catch (IOException e) {
                // The process is gone or was killed; what arrived is kept.
            }
        }

        synchronized String text() {
            byte[] all = kept.toByteArray();
            int from = Math.max(0, all.length - MAX_OUTPUT);
            String s = new String(all, from, all.length - from, StandardCharsets.UTF_8);
            return truncated || from > 0 ? "[...]" + s : s;
        }
    }
}
