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

    /** What the bound becomes once a byte arrived ({@link #expect(String, Duration, String, Duration)}); null: none. */
    private String rest;

    private Duration restLimit;

    /** From now on a read waits at most {@code limit} for {@code what} (for the message). */
    void expect(String what, Duration limit) {
        bound.expect(what, limit);
        rest = null;
    }

    /**
     * As {@link #expect(String, Duration)} until the first byte arrives, then every read waits at most {@code
     * restLimit} for {@code rest}: a request may come after a long pause, but once begun it must come whole.
     */
    void expect(String what, Duration limit, String rest, Duration restLimit) {
        bound.expect(what, limit);
        this.rest = rest;
        this.restLimit = restLimit;
    }

    private void arrived() {
        if (rest != null) {
            bound.expect(rest, restLimit);
            rest = null;
        }
    }

    /** Stops the watchdog; the stream itself stays open. */
    void stop() {
        bound.stop();
    }

    @Override
    public int read() throws IOException {
        bound.begin();
        try {
            int b = in.read();
            if (b >= 0) {
                arrived();
            }
            return b;
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
            int n = in.read(b, off, len);
            if (n > 0) {
                arrived();
            }
            return n;
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
