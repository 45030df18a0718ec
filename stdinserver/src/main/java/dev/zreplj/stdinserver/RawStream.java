package dev.zreplj.stdinserver;

import dev.zreplj.protocol.RemoteException;
import dev.zreplj.protocol.StreamHeader;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;

/**
 * An unframed stream (RECV_RAW) on the conversation's input, read exactly as far as its own records go and never
 * a byte further: the next frame follows it directly. A {@link CompoundTail} checks every piece as it arrives,
 * before anything passes it on, and says through {@link CompoundTail#wanted()} how far the stream goes.
 */
final class RawStream {
    private final InputStream in;
    private long read;

    /** @param in the conversation's input, where no frame reader has read ahead */
    RawStream(InputStream in) {
        this.in = in;
    }

    /** Stream bytes read so far. */
    long read() {
        return read;
    }

    /**
     * Reads exactly {@code n} bytes into {@code bytes} from {@code offset}: the records the box checks before zfs
     * recv starts, whose lengths the caller knows to lie within any stream it accepts.
     *
     * @throws EOFException when the input ends first
     */
    void readFully(byte[] bytes, int offset, int n) throws IOException {
        for (int done = 0; done < n; ) {
            int r = in.read(bytes, offset + done, n - done);
            if (r < 0) {
                throw new EOFException("the input ended " + read + " bytes into the stream");
            }
            done += r;
            read += r;
        }
    }

    /**
     * Reads the stream's next bytes into {@code buffer} from its start, as far as {@code tail} says is left of
     * each record, and checked by it: until the buffer is full, the stream complete, or a payload's read came
     * back short, since what came is better passed on than held while more is awaited. Many small records thus
     * go to zfs recv in one write. A record's 312-byte header is only ever read whole, so a refused record
     * reaches no one, not even in part.
     *
     * @param buffer at least {@link StreamHeader#LENGTH} bytes
     * @return how many bytes; 0 only when the tail is complete
     * @throws Refused when the tail refused a record, which is then not counted
     * @throws EOFException when the input ends before the stream does
     */
    int fill(CompoundTail tail, byte[] buffer) throws IOException, Refused {
        int n = 0;
        int recordStart = 0;
        while (true) {
            long left = tail.wanted();
            boolean header = tail.inHeader();
            if (left == 0 || n == buffer.length || (header && buffer.length - n < left)) {
                return n;
            }
            if (header && left == StreamHeader.LENGTH) {
                recordStart = n;
            }
            int want = (int) Math.min(buffer.length - n, left);
            int r = in.read(buffer, n, want);
            if (r < 0) {
                throw new EOFException("the input ended " + read + " bytes into the stream, inside a record");
            }
            read += r;
            try {
                tail.accept(buffer, n, r);
            } catch (RemoteException e) {
                // A series refused at a substream's BEGIN: the whole substreams before it may pass, which end
                // where this record begins.
                throw new Refused(e, tail.passable() < 0 ? -1 : recordStart);
            }
            n += r;
            if (r < want && !header) {
                return n;
            }
        }
    }

    /**
     * The tail refused the stream. {@code passable} bytes of the buffer, from its start, are whole substreams of
     * a series that zfs recv may still be given before its input ends; -1 when it must be stopped instead.
     */
    static final class Refused extends Exception {
        private static final long serialVersionUID = 1L;
        private final RemoteException reason;
        private final int passable;

        Refused(RemoteException reason, int passable) {
            super(reason.getMessage(), reason);
            this.reason = reason;
            this.passable = passable;
        }

        RemoteException reason() {
            return reason;
        }

        int passable() {
            return passable;
        }
    }
}
