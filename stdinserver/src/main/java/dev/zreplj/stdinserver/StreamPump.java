package dev.zreplj.stdinserver;

import dev.zreplj.protocol.ErrorCodes;
import dev.zreplj.protocol.ErrorReply;
import dev.zreplj.protocol.FrameReader;
import dev.zreplj.protocol.FrameType;
import dev.zreplj.protocol.ProtocolException;
import dev.zreplj.protocol.RemoteException;
import dev.zreplj.protocol.StreamInflater;
import dev.zreplj.zfs.DatasetName;
import dev.zreplj.zfs.ZfsException;
import dev.zreplj.zfs.ZfsProcess;
import java.io.IOException;
import java.io.OutputStream;
import java.time.Duration;
import java.util.Arrays;

/**
 * Moves a RECV's DATA frames: first the stream's header for checking, then the rest into zfs recv. A ZDATA
 * frame is decompressed here, where frames become stream bytes, so everything after sees only the stream.
 */
final class StreamPump {
    /** zfs has this long to abort the receive after its input ended before it is killed. */
    private static final Duration ABORT_GRACE = Duration.ofSeconds(10);

    private final Conversation conversation;
    private final BoxLog log;
    private StreamInflater inflater;

    StreamPump(Conversation conversation, BoxLog log) {
        this.conversation = conversation;
        this.log = log;
    }

    /** The stream's first bytes, at least a whole DRR_BEGIN record unless the stream is shorter. */
    record HeaderBytes(byte[] bytes, int length, boolean ended) {}

    /** Reads DATA frames until the DRR_BEGIN record is complete; null when the client aborted. */
    HeaderBytes readHeader() throws IOException, InterruptedException {
        return readMore(new HeaderBytes(new byte[0], 0, false), StreamHeader.LENGTH);
    }

    /**
     * Reads further DATA frames onto {@code first} until it holds at least {@code needed} bytes (a compound
     * stream's properties and its substream's BEGIN record; the caller caps {@code needed}), or the stream
     * ended; null when the client aborted.
     */
    HeaderBytes readMore(HeaderBytes first, int needed) throws IOException, InterruptedException {
        FrameReader reader = conversation.reader;
        byte[] bytes = first.bytes();
        int length = first.length();
        if (first.ended()) {
            return first;
        }
        while (length < needed) {
            FrameType t = reader.expectFrame("DATA");
            switch (t) {
                case DATA, ZDATA -> {
                    int n = streamBytes(reader, null);
                    if (bytes.length < length + n) {
                        // Doubling: growing to the exact size copied the whole prefix for every frame, and a
                        // client sending a 4 MiB header in 1-byte frames held a receive slot for minutes of CPU.
                        bytes = Arrays.copyOf(bytes, Math.max(length + n, 2 * bytes.length));
                    }
                    System.arraycopy(chunk(reader), 0, bytes, length, n);
                    length += n;
                }
                case END -> {
                    return new HeaderBytes(bytes, length, true);
                }
                case ABORT -> {
                    return null;
                }
                default -> {
                    ProtocolException e = reader.unexpected("DATA, END or ABORT");
                    conversation.reply(new ErrorReply(ErrorCodes.PROTOCOL, e.getMessage(), ""));
                    throw e;
                }
            }
        }
        return new HeaderBytes(bytes, length, false);
    }

    /** What the client is told when zfs recv fails before it took the whole stream. */
    @FunctionalInterface
    interface FailureReply {
        ErrorReply of(ZfsException e) throws InterruptedException;
    }

    /**
     * Copies the stream into zfs recv's stdin until END, at most as fast as {@code bandwidth} lets it, and
     * stops before {@code tail} sees a second substream. Only the first {@code checked} bytes of {@code first}
     * were checked before zfs recv started: the rest goes through {@code tail} like any later DATA, so a
     * series' whole substreams reach zfs recv however the stream was framed. Returns the byte count, or -1
     * when the receive was ended here (aborted by the client, or zfs recv exited early: {@code failed} makes
     * that reply) and the reply has been sent.
     */
    long pump(
            ZfsProcess recv,
            HeaderBytes first,
            int checked,
            DatasetName target,
            CompoundTail tail,
            ReceiveBandwidth bandwidth,
            FailureReply failed)
            throws IOException, InterruptedException {
        FrameReader reader = conversation.reader;
        OutputStream stdin = bandwidth.wrap(recv.stdin());
        long bytes = first.length();
        boolean ended = first.ended();
        try {
            stdin.write(first.bytes(), 0, checked);
            if (!pass(recv, stdin, tail, first.bytes(), checked, first.length() - checked, target, ended)) {
                return -1;
            }
            while (!ended) {
                FrameType t = reader.next();
                if (t == null) {
                    // Killing zfs recv makes ZFS discard the partial receive (or keep resumable state with -s).
                    stopAndWait(recv);
                    throw new ProtocolException("the client closed the connection in the middle of the stream into "
                            + target + "; zfs recv was stopped");
                }
                switch (t) {
                    case DATA, ZDATA -> {
                        int n = streamBytes(reader, recv);
                        if (!pass(recv, stdin, tail, chunk(reader), 0, n, target, false)) {
                            return -1;
                        }
                        bytes += n;
                    }
                    case END -> ended = true;
                    case ABORT -> {
                        stopAndWait(recv);
                        conversation.reply(new ErrorReply(
                                ErrorCodes.ABORTED,
                                "the client aborted the stream into " + target + "; zfs recv was stopped",
                                ""));
                        return -1;
                    }
                    default -> {
                        stopAndWait(recv);
                        ProtocolException e = reader.unexpected("DATA, END or ABORT");
                        conversation.reply(new ErrorReply(ErrorCodes.PROTOCOL, e.getMessage(), ""));
                        throw e;
                    }
                }
            }
            stdin.close();
            return bytes;
        } catch (ProtocolException e) {
            throw e;
        } catch (IOException brokenPipe) {
            // zfs recv stopped reading, so it has exited or is about to: its stderr says why.
            try {
                recv.finish();
                conversation.reply(
                        new ErrorReply(ErrorCodes.ZFS, "zfs recv into " + target + " stopped reading the stream", ""));
            } catch (ZfsException e) {
                conversation.reply(failed.of(e));
            }
            if (!ended) {
                conversation.drain();
            }
            return -1;
        }
    }

    /**
     * The stream bytes the current DATA or ZDATA frame carries; a ZDATA frame is decompressed first. One
     * that does not decompress within the limits stops {@code recv} (when running) and is answered with a
     * protocol error.
     */
    private int streamBytes(FrameReader reader, ZfsProcess recv) throws IOException, InterruptedException {
        if (reader.type() == FrameType.DATA) {
            return reader.length();
        }
        if (inflater == null) {
            inflater = new StreamInflater();
        }
        try {
            return inflater.inflate(reader.payload(), reader.length());
        } catch (ProtocolException e) {
            if (recv != null) {
                stopAndWait(recv);
            }
            conversation.reply(new ErrorReply(ErrorCodes.PROTOCOL, e.getMessage(), ""));
            throw e;
        }
    }

    /** Where {@link #streamBytes} left them. */
    private byte[] chunk(FrameReader reader) {
        return reader.type() == FrameType.DATA ? reader.payload() : inflater.buffer();
    }

    /**
     * Checks {@code n} stream bytes with {@code tail} (when there is one) and writes them to zfs recv. False
     * when the tail refused them: zfs recv was stopped (given the whole substreams before the refusal, when it
     * fell between two of a series) and the refusal answered.
     */
    private boolean pass(
            ZfsProcess recv,
            OutputStream stdin,
            CompoundTail tail,
            byte[] chunk,
            int offset,
            int n,
            DatasetName target,
            boolean ended)
            throws IOException, InterruptedException {
        if (tail != null) {
            try {
                tail.accept(chunk, offset, n);
            } catch (RemoteException refused) {
                int pass = tail.passable();
                if (pass >= 0) {
                    // Between two substreams of a series: zfs recv keeps the whole ones it has and, at the end
                    // of its input, starts nothing of the refused one.
                    closeAndWait(recv, stdin, chunk, offset, pass);
                } else {
                    // Checked before zfs recv sees a byte of it: what it received so far is the one substream the
                    // box checked, and stopping it discards any partial state.
                    stopAndWait(recv);
                }
                log.refused("refused RECV into " + target + ": " + refused.getMessage());
                conversation.refuseStream(refused, ended);
                return false;
            }
        }
        stdin.write(chunk, offset, n);
        return true;
    }

    private static void closeAndWait(ZfsProcess recv, OutputStream stdin, byte[] chunk, int offset, int pass)
            throws InterruptedException {
        try {
            stdin.write(chunk, offset, pass);
            stdin.close();
        } catch (IOException exited) {
            // zfs recv stopped reading on its own: finish() below collects it.
        }
        try {
            recv.finish();
        } catch (ZfsException expected) {
            // Its input ended before the stream did: that failure is the point.
        }
    }

    private static void stopAndWait(ZfsProcess recv) throws InterruptedException {
        recv.endInput(ABORT_GRACE);
        try {
            recv.finish();
        } catch (ZfsException expected) {
            // Killed: its failure is the point.
        }
    }
}
