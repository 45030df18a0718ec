package dev.zreplj.ssh;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Receives a remote process's stderr and logs it line by line with a prefix. MINA closes the stream it is
 * given when the channel closes, which is why this is never System.err.
 */
final class RemoteStderr extends OutputStream {
    private static final Logger LOG = LoggerFactory.getLogger("dev.zreplj.ssh.remote");
    /** A remote that never sends a newline must not make us hold its output forever. */
    static final int MAX_LINE = 8192;

    private final String prefix;
    private final ByteArrayOutputStream line = new ByteArrayOutputStream();

    RemoteStderr(String prefix) {
        this.prefix = prefix;
    }

    @Override
    public synchronized void write(int b) {
        if (b == '\n') {
            emit();
        } else {
            line.write(b);
            if (line.size() >= MAX_LINE) emit();
        }
    }

    @Override
    public synchronized void write(byte[] b, int off, int len) {
        for (int i = off; i < off + len; i++) {
            write(b[i]);
        }
    }

    @Override
    public synchronized void close() {
        if (line.size() > 0) emit();
    }

    private void emit() {
        String text = line.toString(StandardCharsets.UTF_8);
        line.reset();
        if (text.endsWith("\r")) text = text.substring(0, text.length() - 1);
        LOG.info("{}{}", prefix, text);
    }
}
