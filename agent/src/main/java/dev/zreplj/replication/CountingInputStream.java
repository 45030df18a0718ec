package dev.zreplj.replication;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.concurrent.atomic.AtomicLong;

/** Counts the bytes read through it; {@link #count()} may be read from another thread (the progress display). */
public final class CountingInputStream extends FilterInputStream {
    private final AtomicLong count = new AtomicLong();

    public CountingInputStream(InputStream in) {
        super(in);
    }

    public long count() {
        return count.get();
    }

    @Override
    public int read() throws IOException {
        int b = in.read();
        if (b >= 0) count.incrementAndGet();
        return b;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        int n = in.read(b, off, len);
        if (n > 0) count.addAndGet(n);
        return n;
    }

    @Override
    public long skip(long n) throws IOException {
        long skipped = in.skip(n);
        if (skipped > 0) count.addAndGet(skipped);
        return skipped;
    }

    /** Mark/reset would count bytes twice. */
    @Override
    public boolean markSupported() {
        return false;
    }

    @Override
    public synchronized void mark(int readlimit) {
    }

    @Override
    public synchronized void reset() throws IOException {
        throw new IOException("mark/reset not supported");
    }
}
