package dev.zreplj.ssh;

import dev.zreplj.protocol.Printable;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Receives a remote process's stderr and logs it line by line with a prefix, keeping the last few lines:
 * when the forced command dies before speaking the protocol (a binary moved by an upgrade), they are the
 * only account of why. MINA closes the stream it is given when the channel closes, which is why this is
 * never System.err. The remote's text is escaped (Printable): a hostile or broken box must not write escape
 * sequences to the admin's terminal or a carriage return that hides the rest of a line.
 */
final class RemoteStderr extends OutputStream {
    private static final Logger LOG = LoggerFactory.getLogger("dev.zreplj.ssh.remote");
    /** A remote that never sends a newline must not make us hold its output forever. */
    static final int MAX_LINE = 8192;

    static final int KEPT_LINES = 5;

    /**
     * Lines logged per channel: a box writes a handful, a few hundred in a first prune whose snapshots its floor
     * keeps; a hostile one could write without end into the journal or cron's mail while the pass waits.
     */
    static final int MAX_LINES = 1000;

    private final String prefix;
    private final ByteArrayOutputStream line = new ByteArrayOutputStream();
    private final Deque<String> last = new ArrayDeque<>();
    private int logged;
    private long dropped;

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
        if (dropped > 0) {
            LOG.info("{}({} more lines on stderr were not logged)", prefix, dropped);
            dropped = 0;
        }
    }

    /** The last {@value #KEPT_LINES} non-blank lines so far, oldest first, with a pending unterminated one. */
    synchronized List<String> lastLines() {
        List<String> out = new ArrayList<>(last);
        String pending = Printable.of(line.toString(StandardCharsets.UTF_8).strip());
        if (!pending.isEmpty()) out.add(pending);
        return out;
    }

    private void emit() {
        String text = line.toString(StandardCharsets.UTF_8);
        line.reset();
        if (text.endsWith("\r")) text = text.substring(0, text.length() - 1);
        text = Printable.of(text);
        if (logged < MAX_LINES) {
            logged++;
            LOG.info("{}{}", prefix, text);
        } else if (dropped++ == 0) {
            LOG.info("{}(more than {} lines on stderr; the rest is not logged)", prefix, MAX_LINES);
        }
        if (!text.isBlank()) {
            last.addLast(text.strip());
            if (last.size() > KEPT_LINES) last.removeFirst();
        }
    }
}
