package dev.zreplj.stdinserver;

import dev.zreplj.protocol.ErrorCodes;
import dev.zreplj.protocol.ErrorReply;
import dev.zreplj.protocol.FrameReader;
import dev.zreplj.protocol.FrameType;
import dev.zreplj.protocol.ProtocolException;
import dev.zreplj.protocol.RemoteException;
import dev.zreplj.protocol.StreamHeader;
import dev.zreplj.protocol.StreamInflater;
import dev.zreplj.protocol.StreamProgress;
import dev.zreplj.zfs.DatasetName;
import dev.zreplj.zfs.ZfsException;
import dev.zreplj.zfs.ZfsProcess;
import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.time.Duration;
import java.util.Arrays;

/**
 * Moves a RECV's DATA frames: first the stream's header for checking, then the rest into zfs recv. A ZDATA
 * frame is decompressed here, where frames become stream bytes, so everything after sees only the stream.
 *
 * <p>A raw pump ({@link #raw}) moves one RECV_RAW's unframed stream instead, as far as its records go
 * ({@link RawStream}). It differs where the framed one would skip the rest of a stream: a raw request refused
 * before READY has sent nothing to skip, and after READY nothing tells where the rest of a stream that is no
 * longer followed ends, so every refusal or failure then ends the conversation ({@link Abandoned}).
 */
final class StreamPump {
    /** zfs has this long to abort the receive after its input ended before it is killed. */
    private static final Duration ABORT_GRACE = Duration.ofSeconds(10);
    /** The most of a raw stream read before it is passed on; a payload is read in pieces of at most this. */
    private static final int RAW_CHUNK = 1 << 20;
    /** A raw stream's PROGRESS comes at most this often. */
    private static final long PROGRESS_NANOS = Duration.ofSeconds(1).toNanos();

    private final Conversation conversation;
    private final BoxLog log;
    private final RawStream raw;
    private StreamInflater inflater;
    /** Stream bytes read from the client so far. */
    private long read;
    /** Why {@link #pump} returned -1. */
    private String stopped = "";

    StreamPump(Conversation conversation, BoxLog log) {
        this(conversation, log, null);
    }

    private StreamPump(Conversation conversation, BoxLog log, RawStream raw) {
        this.conversation = conversation;
        this.log = log;
        this.raw = raw;
    }

    /** For one RECV_RAW or RECV_SERIES_RAW: its stream follows READY on the conversation's input. */
    static StreamPump raw(Conversation conversation, BoxLog log) {
        return new StreamPump(conversation, log, new RawStream(conversation.input));
    }

    /** Whether this pump reads an unframed stream: nothing but its records says where it ends. */
    boolean raw() {
        return raw != null;
    }

    /**
     * Answers a request refused before its stream's first byte was read: a framed one's frames are skipped, so
     * that the channel stays usable; a raw one's client waits for READY and has sent nothing.
     */
    void refuseRequest(RemoteException e) throws IOException {
        if (raw == null) {
            conversation.refuseStream(e, false);
        } else {
            conversation.reply(e);
        }
    }

    /**
     * Answers a stream refused after its first bytes were read: a framed one's rest is skipped (unless it has
     * {@code ended}); a raw one ends the conversation.
     *
     * @throws Abandoned for a raw stream, after the reply
     */
    void refuseStream(RemoteException e, boolean ended) throws IOException {
        if (raw == null) {
            conversation.refuseStream(e, ended);
        } else {
            throw abandon(new ErrorReply(e.code(), e.getMessage(), e.detail()));
        }
    }

    /**
     * Answers a receive that failed after its whole stream was read (zfs recv failed): a framed conversation
     * goes on; a raw one ends, as after any failure past READY, which is what its client expects.
     *
     * @throws Abandoned for a raw stream, after the reply
     */
    void failed(ErrorReply reply) throws IOException {
        if (raw == null) {
            conversation.reply(reply);
        } else {
            throw abandon(reply);
        }
    }

    /**
     * Thrown after the reply to a raw stream the box stopped following: the conversation cannot go on, since the
     * rest of that stream would be read as frames. The process then exits 1.
     */
    static final class Abandoned extends IOException {
        private static final long serialVersionUID = 1L;

        Abandoned(String why) {
            super("stopped reading an unframed stream after replying '" + why + "'; the channel ends, since where"
                    + " the rest of that stream ends is unknown");
        }
    }

    private Abandoned abandon(ErrorReply reply) throws IOException {
        conversation.reply(reply);
        return new Abandoned(reply.message());
    }

    /** The stream's first bytes, at least a whole DRR_BEGIN record unless the stream is shorter. */
    record HeaderBytes(byte[] bytes, int length, boolean ended) {}

    /**
     * Reads DATA frames until the DRR_BEGIN record is complete; null when the client aborted. A raw stream's
     * client is told READY first: the request passed every check made before the stream.
     */
    HeaderBytes readHeader() throws IOException, InterruptedException {
        if (raw != null) {
            conversation.send(FrameType.READY);
        }
        return readMore(new HeaderBytes(new byte[0], 0, false), StreamHeader.LENGTH);
    }

    /**
     * Reads further DATA frames onto {@code first} until it holds at least {@code needed} bytes (a compound
     * stream's properties and its substream's BEGIN record; the caller caps {@code needed}), or the stream
     * ended; null when the client aborted.
     */
    HeaderBytes readMore(HeaderBytes first, int needed) throws IOException, InterruptedException {
        if (raw != null) {
            return readRaw(first, needed);
        }
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
        if (raw != null) {
            return pumpRaw(recv, first, checked, target, tail, bandwidth, failed);
        }
        FrameReader reader = conversation.reader;
        OutputStream stdin = bandwidth.wrap(recv.stdin());
        read = first.length();
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
                        read += n;
                        if (!pass(recv, stdin, tail, chunk(reader), 0, n, target, false)) {
                            return -1;
                        }
                    }
                    case END -> ended = true;
                    case ABORT -> {
                        stopped = "the client aborted the stream";
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
            return read;
        } catch (ProtocolException e) {
            throw e;
        } catch (IOException brokenPipe) {
            // zfs recv stopped reading, so it has exited or is about to: its stderr says why.
            stopped = "zfs recv stopped reading the stream before the client's END";
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
                stopped = "refused: " + refused.getMessage();
                stopRefused(recv, stdin, chunk, offset, tail.passable(), target, refused);
                conversation.refuseStream(refused, ended);
                return false;
            }
        }
        stdin.write(chunk, offset, n);
        return true;
    }

    /**
     * Stops zfs recv after the tail refused the stream, giving it first the {@code pass} bytes of {@code chunk}
     * from {@code offset} that are whole substreams of a series (-1: none, it is stopped at once).
     */
    private void stopRefused(
            ZfsProcess recv,
            OutputStream stdin,
            byte[] chunk,
            int offset,
            int pass,
            DatasetName target,
            RemoteException refused)
            throws InterruptedException {
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
    }

    /** {@link #readMore} of a raw stream: exactly up to {@code needed}, which the caller knows lies within it. */
    private HeaderBytes readRaw(HeaderBytes first, int needed) throws IOException {
        if (first.length() >= needed) {
            return first;
        }
        byte[] bytes = Arrays.copyOf(first.bytes(), needed);
        try {
            raw.readFully(bytes, first.length(), needed - first.length());
        } catch (IOException e) {
            throw inputFailed(
                    e,
                    "the client closed the connection after " + raw.read() + " bytes of the unframed stream, before"
                            + " its first records were complete");
        }
        return new HeaderBytes(bytes, needed, false);
    }

    /**
     * {@link #pump} of a raw stream: as far as {@code tail} (a plain one for a plain stream) follows its records,
     * which it checks before zfs recv gets them; PROGRESS between reads. Never returns -1: every failure after
     * READY ends the conversation.
     */
    private long pumpRaw(
            ZfsProcess recv,
            HeaderBytes first,
            int checked,
            DatasetName target,
            CompoundTail tail,
            ReceiveBandwidth bandwidth,
            FailureReply failed)
            throws IOException, InterruptedException {
        OutputStream stdin = bandwidth.wrap(recv.stdin());
        write(recv, stdin, first.bytes(), 0, checked, target, failed);
        try {
            tail.accept(first.bytes(), checked, first.length() - checked);
        } catch (RemoteException refused) {
            stopRefused(recv, stdin, first.bytes(), checked, tail.passable(), target, refused);
            throw abandon(new ErrorReply(refused.code(), refused.getMessage(), refused.detail()));
        }
        write(recv, stdin, first.bytes(), checked, first.length() - checked, target, failed);
        read = first.length();
        byte[] buffer = new byte[RAW_CHUNK];
        long reported = 0;
        long reportedAt = System.nanoTime();
        while (!tail.complete()) {
            int n;
            try {
                n = raw.fill(tail, buffer);
            } catch (RawStream.Refused r) {
                RemoteException refused = r.reason();
                stopRefused(recv, stdin, buffer, 0, r.passable(), target, refused);
                throw abandon(new ErrorReply(refused.code(), refused.getMessage(), refused.detail()));
            } catch (IOException e) {
                // Killing zfs recv makes ZFS discard the partial receive (or keep resumable state with -s).
                stopAndWait(recv);
                throw inputFailed(
                        e,
                        "the client closed the connection in the middle of the stream into " + target + " (after "
                                + raw.read() + " bytes); zfs recv was stopped");
            }
            read += n;
            write(recv, stdin, buffer, 0, n, target, failed);
            long now = System.nanoTime();
            if (read > reported && now - reportedAt >= PROGRESS_NANOS) {
                // The agent no longer sees the bytes: this is its progress line and its watchdog's sign of life.
                conversation.send(FrameType.PROGRESS, new StreamProgress(read));
                reported = read;
                reportedAt = now;
            }
        }
        try {
            stdin.close();
        } catch (IOException brokenPipe) {
            throw stoppedReading(recv, target, failed);
        }
        return read;
    }

    /** Writes stream bytes into zfs recv; when it stopped reading them, replies why and ends the conversation. */
    private void write(
            ZfsProcess recv,
            OutputStream stdin,
            byte[] bytes,
            int offset,
            int n,
            DatasetName target,
            FailureReply failed)
            throws IOException, InterruptedException {
        try {
            stdin.write(bytes, offset, n);
        } catch (IOException brokenPipe) {
            throw stoppedReading(recv, target, failed);
        }
    }

    /** zfs recv stopped reading, so it has exited or is about to: its stderr says why. */
    private Abandoned stoppedReading(ZfsProcess recv, DatasetName target, FailureReply failed)
            throws IOException, InterruptedException {
        ErrorReply reply;
        try {
            recv.finish();
            reply = new ErrorReply(ErrorCodes.ZFS, "zfs recv into " + target + " stopped reading the stream", "");
        } catch (ZfsException e) {
            reply = failed.of(e);
        }
        return abandon(reply);
    }

    /**
     * The client's input failed inside a raw stream (it ended, or stalled past the stream timeout): it is told,
     * should it still listen, and the conversation ends.
     *
     * @param closed the message when the input ended
     */
    private IOException inputFailed(IOException e, String closed) {
        IOException failure = e instanceof EOFException ? new ProtocolException(closed) : e;
        try {
            conversation.reply(new ErrorReply(ErrorCodes.PROTOCOL, failure.getMessage(), ""));
        } catch (IOException gone) {
            failure.addSuppressed(gone);
        }
        return failure;
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

    /** The stream bytes read from the client, also when the receive ended early. */
    long read() {
        return read;
    }

    /** Why the last {@link #pump} returned -1. */
    String stopped() {
        return stopped;
    }

    /**
     * Ends zfs recv's input and waits for it to exit (killed past {@link #ABORT_GRACE}): an incomplete stream is
     * discarded (or kept as resumable state with -s), a complete one is committed.
     */
    static void stopAndWait(ZfsProcess recv) throws InterruptedException {
        recv.endInput(ABORT_GRACE);
        try {
            recv.finish();
        } catch (ZfsException expected) {
            // Killed: its failure is the point.
        }
    }
}
