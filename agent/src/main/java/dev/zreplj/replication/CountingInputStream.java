package dev.zreplj.replication;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Counts the bytes read through it; {@link #count()} may be read from another thread (the progress display).
 * {@code atEnd} runs once, when a read first reports the end of the stream.
 */
public final class CountingInputStream extends FilterInputStream {
    private final AtomicLong count = new AtomicLong();
    private final Runnable atEnd;
    private boolean ended;

    public CountingInputStream(InputStream in) {
        this(in, () -> {});
    }

    public CountingInputStream(InputStream in, Runnable atEnd) {
        super(in);
        this.atEnd = atEnd;
    }

    public long count() {
        return count.get();
    }

    @Override
    public int read() throws IOException {
        int b = in.read();
        if (b >= 0) count.incrementAndGet();
        else end();
        return b;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        int n = in.read(b, off, len);
        if (n > 0) count.addAndGet(n);
        else if (n < 0) end();
        return n;
    }

    @Override
    public long skip(long n) throws IOException {
        long skipped = in.skip(n);
        if (skipped > 0) count.addAndGet(skipped);
        return skipped;
    }

    private void end() {
        if (ended) return;
        ended = true;
        atEnd.run();
    }

    /** Mark/reset would count bytes twice. */
    @Override
    public boolean markSupported() {
        return false;
    }

    @Override
    public synchronized void mark(int readlimit) {}

    @Override
    public synchronized void reset() throws IOException {
        throw new IOException("mark/reset not supported");
    }
}
