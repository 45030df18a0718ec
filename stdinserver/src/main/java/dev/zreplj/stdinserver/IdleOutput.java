package dev.zreplj.stdinserver;

import java.io.IOException;
import java.io.OutputStream;
import java.time.Duration;

/**
 * The client's output with a bound on every wait ({@link WaitBound}): a client that stops reading (or never opens
 * its channel's window) while the box writes a reply would otherwise hold what the request holds, a receive's
 * slots and its dataset's lock, for as long as it likes.
 */
final class IdleOutput extends OutputStream {
    private final OutputStream out;
    private final WaitBound bound;

    IdleOutput(OutputStream out, Duration limit) {
        this.out = out;
        this.bound = new WaitBound("stdinserver-write-watchdog", "read nothing", "was writing", "its reply", limit);
    }

    /** From now on a write or flush waits at most {@code limit}. */
    void limit(Duration limit) {
        bound.expect("its reply", limit);
    }

    /** Stops the watchdog; the stream itself stays open. */
    void stop() {
        bound.stop();
    }

    @Override
    public void write(int b) throws IOException {
        bound.begin();
        try {
            out.write(b);
        } catch (IOException e) {
            throw bound.cutOr(e);
        } finally {
            bound.end();
        }
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
        bound.begin();
        try {
            out.write(b, off, len);
        } catch (IOException e) {
            throw bound.cutOr(e);
        } finally {
            bound.end();
        }
    }

    @Override
    public void flush() throws IOException {
        bound.begin();
        try {
            out.flush();
        } catch (IOException e) {
            throw bound.cutOr(e);
        } finally {
            bound.end();
        }
    }

    @Override
    public void close() throws IOException {
        stop();
        out.close();
    }
}
