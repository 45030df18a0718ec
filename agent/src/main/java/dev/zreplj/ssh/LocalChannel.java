package dev.zreplj.ssh;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.time.Duration;
import java.util.List;
import java.util.OptionalInt;

/** One channel of the {@link LocalTransport}: a stdinserver child, its stdin and stdout the protocol's. */
final class LocalChannel implements SshChannel {
    private final Process process;
    private final String target;
    private final RemoteStderr stderr;
    private final ChildProcess child;

    LocalChannel(Process process, String target, RemoteStderr stderr, Thread stderrPump) {
        this.process = process;
        this.target = target;
        this.stderr = stderr;
        this.child = new ChildProcess(process, stderrPump, "", "the local stdinserver for " + target);
    }

    @Override
    public IOException startFailure(IOException failure) {
        OptionalInt ended = child.endedAtStart();
        if (ended.isEmpty()) {
            return failure;
        }
        int status = ended.getAsInt();
        List<String> lines = stderr.lastLines();
        if (status == 0 && lines.isEmpty()) {
            return failure;
        }
        String said = lines.isEmpty() ? "" : ": " + StartFailure.why(lines);
        // zreplj exits 2 for a config or command-line error: the sink's side of the same config.
        String advice = status == 2 ? "; run 'zreplj configcheck'" : "; see the log above";
        return new TransportException(
                "the local stdinserver for " + target + " failed to start (exit " + status + ")" + said + advice,
                failure);
    }

    @Override
    public InputStream stdout() {
        return process.getInputStream();
    }

    @Override
    public OutputStream stdin() {
        return process.getOutputStream();
    }

    @Override
    public OptionalInt exitStatus() {
        return child.exitStatus();
    }

    @Override
    public boolean ended() {
        return child.ended();
    }

    @Override
    public int waitForExit(Duration timeout) throws TransportException {
        return child.waitForExit(timeout);
    }

    @Override
    public void abort() {
        child.abort();
    }

    @Override
    public void close() {
        child.close(process.getOutputStream());
    }
}
