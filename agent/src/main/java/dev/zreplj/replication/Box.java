package dev.zreplj.replication;

import java.io.IOException;
import java.util.List;

/**
 * The backup box as a pass sees it: channels to it (each one stdinserver working through requests in
 * order), what it announced it can do, and a reconnect after a transient failure. The SSH connection
 * is the real one; the driver's tests use an in-memory fake.
 */
public interface Box extends AutoCloseable {
    /** What the box announced in its HELLO (e.g. {@code resumable-receive}). */
    List<String> capabilities();

    /** The first channel: LIST and pruning go through it. */
    BoxChannel first();

    /**
     * Up to {@code n} channels, opening more as needed; returns them all, fewer where the box refuses more
     * (busy: its cap on one client's channels), at least one.
     */
    List<BoxChannel> channels(int n) throws IOException;

    /** One more channel, for a worker whose own a failed step ended; safe to call from any worker's thread. */
    BoxChannel another() throws IOException;

    /** A channel nobody cut; a fresh one when every open one was cut (a stalled step). */
    BoxChannel healthy() throws IOException;

    /** Drops every channel and opens a fresh first one; a session that died is replaced. */
    void reconnect() throws IOException;

    /** Closes every channel and the session; failures to say goodbye are not the pass's failures. */
    @Override
    void close();

    /** Opens the box for a pass (connected, first channel handshaken), its requests bounded by the watchdog. */
    @FunctionalInterface
    interface Opener {
        Box open(Watchdog watchdog) throws IOException;
    }
}
