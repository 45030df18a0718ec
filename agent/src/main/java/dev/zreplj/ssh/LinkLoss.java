package dev.zreplj.ssh;

import java.io.FilterInputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import org.apache.sshd.common.channel.exception.SshChannelClosedException;

/**
 * Says what a failed read or write on a channel means when its SSH session has closed under it (a keepalive
 * that went unanswered, a reset connection): MINA's own words there name its objects ("Already closed:
 * RemoteWindow[client](ChannelExec[id=0, ...]-ClientSessionImpl[...])"), and they end up in the pass's summary.
 */
final class LinkLoss {
    private final String target;
    private final BooleanSupplier sessionClosed;
    private final Supplier<String> boxSide;

    /** @param boxSide what the box's end of the channel said as it went: its exit status and last stderr line */
    LinkLoss(String target, BooleanSupplier sessionClosed, Supplier<String> boxSide) {
        this.target = target;
        this.sessionClosed = sessionClosed;
        this.boxSide = boxSide;
    }

    IOException explain(IOException e) {
        if (sessionClosed.getAsBoolean()) {
            return new IOException(
                    "the SSH connection to " + target + " closed (the link or the backup box went away)", e);
        }
        if (e instanceof SshChannelClosedException) {
            // The session stands, the channel's process on the box ended (killed, out of memory, a crash):
            // MINA's words were "write(ChannelOutputStream[ChannelExec[id=0, ...]...]) len=1048581 - channel
            // already closed".
            return new IOException(
                    "the backup box's zreplj stdinserver ended the channel" + boxSide.get()
                            + "; see the box's log (its state_dir/log/stdinserver.log)",
                    e);
        }
        return e;
    }

    InputStream in(InputStream in) {
        return new FilterInputStream(in) {
            @Override
            public int read() throws IOException {
                try {
                    return super.read();
                } catch (IOException e) {
                    throw explain(e);
                }
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                try {
                    return in.read(b, off, len);
                } catch (IOException e) {
                    throw explain(e);
                }
            }
        };
    }

    OutputStream out(OutputStream out) {
        return new FilterOutputStream(out) {
            @Override
            public void write(int b) throws IOException {
                try {
                    out.write(b);
                } catch (IOException e) {
                    throw explain(e);
                }
            }

            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                // Straight through: each write is cut into SSH packets without another copy.
                try {
                    out.write(b, off, len);
                } catch (IOException e) {
                    throw explain(e);
                }
            }

            @Override
            public void flush() throws IOException {
                try {
                    out.flush();
                } catch (IOException e) {
                    throw explain(e);
                }
            }

            @Override
            public void close() throws IOException {
                try {
                    out.close();
                } catch (IOException e) {
                    throw explain(e);
                }
            }
        };
    }
}
