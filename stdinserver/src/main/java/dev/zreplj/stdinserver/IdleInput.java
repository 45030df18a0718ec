package dev.zreplj.stdinserver;

import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;

/** The client's input with a bound on every wait ({@link WaitBound}): the client must send within the limit. */
final class IdleInput extends InputStream {
    private final InputStream in;
    private final WaitBound bound;

    IdleInput(InputStream in, Duration limit) {
        this.in = in;
        this.bound = new WaitBound("stdinserver-idle-watchdog", "sent nothing", "waited for", "the handshake", limit);
    }

    /** From now on a read waits at most {@code limit} for {@code what} (for the message). */
    void expect(String what, Duration limit) {
        bound.expect(what, limit);
    }

    /** Stops the watchdog; the stream itself stays open. */
    void stop() {
        bound.stop();
    }

    @Override
    public int read() throws IOException {
        bound.begin();
        try {
            return in.read();
        } catch (IOException e) {
            throw bound.cutOr(e);
        } finally {
            bound.end();
        }
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        bound.begin();
        try {
            return in.read(b, off, len);
        } catch (IOException e) {
            throw bound.cutOr(e);
        } finally {
            bound.end();
        }
    }

    @Override
    public int available() throws IOException {
        return in.available();
    }

    @Override
    public void close() throws IOException {
        stop();
        in.close();
    }
}
