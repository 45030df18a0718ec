package dev.zreplj.protocol;

import dev.zreplj.zfs.DatasetName;
import dev.zreplj.zfs.InvalidNameException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.LongConsumer;
import java.util.function.LongSupplier;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The agent's side of the protocol on one channel (one stdinserver process). Requests are strictly
 * sequential on a channel. Pass buffered streams: every frame is one write, and the client flushes at
 * the end of each request.
 */
public final class SinkClient implements AutoCloseable {
    /** Targets per DESTROY frame: at most ~300 bytes of JSON each, so a batch stays far below the 1 MiB limit. */
    static final int DESTROY_BATCH = 2000;

    private static final Logger log = LoggerFactory.getLogger(SinkClient.class);
    private final InputStream in;
    private final FrameReader reader;
    private final FrameWriter writer;
    private final Runnable abortTransport;
    private final StreamCompression compression;
    private @Nullable StreamCompressor compressor;
    private volatile boolean aborted;
    private @Nullable Hello serverHello;
    private byte @Nullable [] dataBuffer;
    private boolean closed;
    private final LongSupplier nanoTime;

    /** Aborting closes both streams; a transport whose blocked calls that does not wake passes its own abort. */
    public SinkClient(InputStream fromServer, OutputStream toServer) {
        this(fromServer, toServer, () -> closeQuietly(fromServer, toServer));
    }

    /**
     * @param abortTransport tears the transport down at once so that every thread blocked reading or
     *                       writing on it wakes with an IOException (see {@link #abort()})
     */
    public SinkClient(InputStream fromServer, OutputStream toServer, Runnable abortTransport) {
        this(fromServer, toServer, abortTransport, StreamCompression.OFF);
    }

    /**
     * @param compression whether streams go zstd-compressed (ZDATA) where that pays, if the server
     *                    advertises {@link Wire#ZSTD_DATA}; an older server gets plain DATA
     */
    public SinkClient(
            InputStream fromServer, OutputStream toServer, Runnable abortTransport, StreamCompression compression) {
        this(fromServer, toServer, abortTransport, compression, System::nanoTime);
    }

    /** @param nanoTime the clock that times each chunk for {@link StreamCompression#AUTO}'s choice */
    SinkClient(
            InputStream fromServer,
            OutputStream toServer,
            Runnable abortTransport,
            StreamCompression compression,
            LongSupplier nanoTime) {
        this.nanoTime = nanoTime;
        this.abortTransport = abortTransport;
        this.compression = compression;
        this.in = fromServer;
        this.reader = new FrameReader(fromServer, "server", Wire.MAX_CONTROL_FROM_SERVER);
        this.writer = new FrameWriter(toServer, Wire.MAX_CONTROL_FROM_CLIENT);
    }

    /** Versioned handshake without a job name (the box then puts no last-received holds). */
    public void handshake() throws IOException {
        handshake(null);
    }

    /**
     * Versioned handshake; a mismatch is a RemoteException naming both versions. {@code job} is the push
     * job's name: the box names its hold on the last received snapshot after it (refused by the box
     * unless it is a valid dataset name component); null for none.
     */
    public void handshake(@Nullable String job) throws IOException {
        IOException sendFailure = null;
        try {
            writer.writeMagic();
            writer.control(
                    FrameType.HELLO,
                    new Hello(
                            Wire.PROTOCOL_VERSION,
                            Wire.softwareVersion(),
                            List.of(Wire.DESTROY_FAILED, Wire.BUSY_GREETING),
                            job));
            writer.flush();
        } catch (IOException e) {
            // A server that refuses us may already be gone; what it sent first says why.
            sendFailure = e;
        }
        Hello hello;
        try {
            reader.readMagic();
            FrameType t = reader.expectFrame("HELLO");
            if (t == FrameType.ERROR) {
                throw reader.json(ErrorReply.class).toException();
            }
            if (t != FrameType.HELLO) {
                throw reader.unexpected("HELLO");
            }
            hello = reader.hello();
        } catch (IOException e) {
            if (sendFailure != null) {
                e.addSuppressed(sendFailure);
            }
            throw e;
        }
        if (sendFailure != null) {
            throw sendFailure;
        }
        if (hello.protocol() != Wire.PROTOCOL_VERSION) {
            throw new RemoteException(
                    ErrorCodes.VERSION,
                    "protocol mismatch: this agent speaks zreplj protocol "
                            + Wire.PROTOCOL_VERSION + " (zreplj " + Wire.softwareVersion() + "), the backup box speaks "
                            + hello.protocol() + " (zreplj " + Printable.of(hello.software(), Printable.MAX_WORD)
                            + "); "
                            // Protocol versions only grow, so the side with the lower one is the older: name it.
                            + (hello.protocol() < Wire.PROTOCOL_VERSION
                                    ? "update zreplj on the backup box to this agent's version"
                                    : "update zreplj on this machine to the backup box's version"),
                    "");
        }
        // Its software version is printed (box list, errors): made safe and cut like an ERROR's text.
        serverHello = new Hello(
                hello.protocol(),
                Printable.of(hello.software(), Printable.MAX_WORD),
                hello.capabilities(),
                hello.job());
        if (compression != StreamCompression.OFF && hello.capabilities().contains(Wire.ZSTD_DATA)) {
            compressor = new StreamCompressor(compression);
        }
    }

    /** Whether streams on this channel go zstd-compressed where that pays (asked for, and the box can). */
    public boolean compressing() {
        requireHandshake();
        return compressor != null;
    }

    /** The server's HELLO: its software version and capabilities. */
    public Hello serverHello() {
        return requireHandshake();
    }

    /** Every filesystem in the client's jail (placeholders included) with its versions. */
    public List<RemoteFilesystem> listFilesystems() throws IOException {
        return listFilesystems(List.of());
    }

    /**
     * The filesystems in the client's jail at and below {@code roots} (sender-side names), with their
     * versions; every filesystem in the jail when {@code roots} is empty, has more than
     * {@link Wire#MAX_LIST_ROOTS} entries or the box does not offer {@link Wire#LIST_ROOTS}: a superset is
     * always a correct answer, as the caller looks up only its own filesystems.
     */
    public List<RemoteFilesystem> listFilesystems(List<String> roots) throws IOException {
        Hello hello = requireHandshake();
        request(() -> {
            if (!roots.isEmpty()
                    && roots.size() <= Wire.MAX_LIST_ROOTS
                    && hello.capabilities().contains(Wire.LIST_ROOTS)) {
                writer.control(FrameType.LIST_ROOTS, new ListRoots(roots));
            } else {
                writer.empty(FrameType.LIST);
            }
        });
        FrameType t = reader.expectFrame("LISTING");
        if (t == FrameType.ERROR) {
            throw reader.json(ErrorReply.class).toException();
        }
        if (t != FrameType.LISTING) {
            throw reader.unexpected("LISTING");
        }
        List<RemoteFilesystem> listed = reader.json(Listing.class).filesystems();
        for (RemoteFilesystem fs : listed) {
            checkNames(
                    fs.path(), fs.versions().stream().map(RemoteVersion::name).toList());
        }
        return listed;
    }

    /**
     * The box's names are printed (the journal, status, the terminal) and planned with: one that is no ZFS name
     * (a control character, an escape sequence, a path with '@') is the box breaking the protocol, not a name.
     */
    private static void checkNames(String path, List<String> versions) throws RemoteException {
        try {
            DatasetName.of(path);
            for (String v : versions) {
                DatasetName.validateComponent(v, "snapshot or bookmark name");
                // The box's full name (<root_fs>/<client>/path@name) is within ZFS's limit, so this one is too.
                int length = path.length() + 1 + v.length();
                if (length > DatasetName.MAX_LENGTH) {
                    throw new InvalidNameException(path + "@" + v.substring(0, Math.min(10, v.length())) + "... is "
                            + length + " characters long, longer than ZFS's " + DatasetName.MAX_LENGTH);
                }
            }
        } catch (InvalidNameException | NullPointerException e) {
            throw new RemoteException(
                    ErrorCodes.PROTOCOL,
                    "the backup box listed an invalid name: " + e.getMessage()
                            + "; it is not a zreplj box of this version, or it is broken",
                    "");
        }
    }

    /**
     * LIST_DETAILED: the jail with sizes, encryption and the box's clock; empty, with nothing sent, when the
     * box does not offer {@link Wire#LIST_DETAILS} (an older zreplj): then only {@link #listFilesystems} works.
     */
    public Optional<DetailedListing> listDetailed() throws IOException {
        if (!requireHandshake().capabilities().contains(Wire.LIST_DETAILS)) {
            return Optional.empty();
        }
        request(() -> writer.empty(FrameType.LIST_DETAILED));
        FrameType t = reader.expectFrame("DETAILED_LISTING");
        if (t == FrameType.ERROR) {
            throw reader.json(ErrorReply.class).toException();
        }
        if (t != FrameType.DETAILED_LISTING) {
            throw reader.unexpected("DETAILED_LISTING");
        }
        DetailedListing listed = reader.json(DetailedListing.class);
        for (DetailedFilesystem fs : listed.filesystems()) {
            checkNames(
                    fs.path(), fs.versions().stream().map(DetailedVersion::name).toList());
            if (fs.encryption() != null && !fs.encryption().matches("[A-Za-z0-9-]{1,64}")) {
                throw new RemoteException(
                        ErrorCodes.PROTOCOL,
                        "the backup box listed an invalid encryption for " + fs.path() + ": '"
                                + Printable.of(fs.encryption()) + "'",
                        "");
            }
        }
        return Optional.of(listed);
    }

    /**
     * Streams {@code stream} (a zfs send's stdout) to the server and waits for its receive to finish.
     * When the server reports an error before the stream ends, sending stops and that error is thrown.
     * When reading {@code stream} fails, the server is told to abort and that failure is thrown.
     */
    public ReceiveResult receive(ReceiveCommand command, InputStream stream) throws IOException {
        return receive(FrameType.RECV, command, stream);
    }

    /** {@link #receive(ReceiveCommand, InputStream)} of a {@code zfs send -I} stream; see {@link ReceiveSeries}. */
    public ReceiveResult receiveSeries(ReceiveSeries series, InputStream stream) throws IOException {
        return receive(FrameType.RECV_SERIES, series, stream);
    }

    private ReceiveResult receive(FrameType frame, Record request, InputStream stream) throws IOException {
        ReceiveCommand command = request instanceof ReceiveSeries series ? series.command() : (ReceiveCommand) request;
        requireHandshake();
        byte[] buffer = dataBuffer;
        if (buffer == null) {
            buffer = FrameWriter.newDataBuffer();
            dataBuffer = buffer;
        }
        StreamCompressor zstd = compressor;
        IOException sourceFailure = null;
        long raw0 = zstd == null ? 0 : zstd.rawBytes();
        long wire0 = zstd == null ? 0 : zstd.wireBytes();
        try {
            writer.control(frame, request);
            // Now, not with the first DATA: the box asks zfs about the target while zfs send starts.
            writer.flush();
            boolean more = true;
            // The first frame goes with the first bytes zfs send writes (its BEGIN record): the box checks the
            // header and starts zfs recv meanwhile, instead of after a full chunk.
            int least = 1;
            // The server answers before END only when it refuses or fails; then stop sending.
            while (more && in.available() == 0) {
                int n;
                long t0 = nanoTime.getAsLong();
                try {
                    n = fill(stream, buffer, least);
                } catch (IOException e) {
                    sourceFailure = e;
                    break;
                }
                least = Wire.MAX_DATA;
                if (n > 0) {
                    int z = zstd == null ? -1 : zstd.compress(buffer, n);
                    if (zstd != null && z >= 0) {
                        writer.zdata(zstd.buffer(), z);
                    } else {
                        writer.data(buffer, n);
                    }
                    if (zstd != null) {
                        zstd.sent(n, nanoTime.getAsLong() - t0);
                    }
                }
                more = n > 0;
            }
            writer.empty(sourceFailure == null ? FrameType.END : FrameType.ABORT);
            writer.flush();
        } catch (IOException sendFailure) {
            // The server may have said why before the connection broke; that reason is the better one.
            RemoteException reason = tryReadError();
            if (reason != null) {
                reason.addSuppressed(sendFailure);
                throw reason;
            }
            throw sendFailure;
        }
        FrameType t = reader.expectFrame("RESULT");
        if (t == FrameType.ERROR) {
            RemoteException error = reader.json(ErrorReply.class).toException();
            if (sourceFailure != null) {
                sourceFailure.addSuppressed(error);
                throw sourceFailure;
            }
            throw error;
        }
        if (t != FrameType.RESULT) {
            throw reader.unexpected("RESULT");
        }
        ReceiveResult result = reader.json(ReceiveResult.class);
        if (sourceFailure != null) {
            throw sourceFailure;
        }
        if (zstd != null && log.isDebugEnabled()) {
            log.debug(
                    "{}@{}: {} stream bytes went as {} (zstd where it paid)",
                    command.path(),
                    command.snapshot(),
                    zstd.rawBytes() - raw0,
                    zstd.wireBytes() - wire0);
        }
        return result;
    }

    /** The sending side of an unframed receive: what writes the stream into the channel. */
    @FunctionalInterface
    public interface RawSender {
        /**
         * Starts the stream (a zfs send writing into the channel's stdin); called once the server is READY, with
         * this client's frames flushed.
         */
        void start() throws IOException;
    }

    /**
     * Whether this channel's streams may go unframed (RECV_RAW): the server offers it, and none of its streams
     * goes compressed (frames are where zstd happens).
     */
    public boolean rawStreams() {
        return requireHandshake().capabilities().contains(Wire.RAW_STREAM) && compressor == null;
    }

    /**
     * A receive whose stream goes unframed: sends RECV_RAW and, once the server is READY, lets {@code sender}
     * write the stream into the channel, while the server's PROGRESS counts go to {@code progress}, until its
     * RESULT. A refusal before READY is a RemoteException and the channel stays usable. Any failure after it
     * aborts the channel (the server ends the conversation, as it cannot find the stream's end), which also ends
     * the sender's output: use another channel for what follows.
     */
    public ReceiveResult receiveRaw(ReceiveCommand command, RawSender sender, LongConsumer progress)
            throws IOException {
        return receiveRaw(FrameType.RECV_RAW, command, sender, progress);
    }

    /** {@link #receiveRaw(ReceiveCommand, RawSender, LongConsumer)} of a {@code zfs send -I} stream. */
    public ReceiveResult receiveSeriesRaw(ReceiveSeries series, RawSender sender, LongConsumer progress)
            throws IOException {
        return receiveRaw(FrameType.RECV_SERIES_RAW, series, sender, progress);
    }

    private ReceiveResult receiveRaw(FrameType frame, Record request, RawSender sender, LongConsumer progress)
            throws IOException {
        if (!rawStreams()) {
            throw new IllegalStateException("the server does not take unframed streams on this channel");
        }
        writer.control(frame, request);
        writer.flush();
        FrameType t = reader.expectFrame("READY");
        if (t == FrameType.ERROR) {
            throw reader.json(ErrorReply.class).toException();
        }
        if (t != FrameType.READY) {
            throw reader.unexpected("READY or ERROR");
        }
        boolean received = false;
        try {
            sender.start();
            while (true) {
                t = reader.expectFrame("RESULT");
                switch (t) {
                    case PROGRESS ->
                        progress.accept(reader.json(StreamProgress.class).bytes());
                    case RESULT -> {
                        ReceiveResult result = reader.json(ReceiveResult.class);
                        received = true;
                        return result;
                    }
                    case ERROR -> throw reader.json(ErrorReply.class).toException();
                    default -> throw reader.unexpected("PROGRESS, RESULT or ERROR");
                }
            }
        } finally {
            if (!received) {
                abort();
            }
        }
    }

    /**
     * Asks the box to destroy snapshots of {@code <jail>/<path>}. The box checks each against its own
     * keep_floor, its last-received hold and the guid, and reports per snapshot; a refusal of the whole
     * request (jail, busy, zfs) is a RemoteException. Long lists go in several requests, each within
     * the frame limit.
     */
    public DestroyResult destroy(String path, List<DestroyTarget> snapshots) throws IOException {
        boolean withFailed = requireHandshake().capabilities().contains(Wire.DESTROY_FAILED);
        List<String> destroyed = new ArrayList<>();
        List<DestroyResult.Refusal> refused = new ArrayList<>();
        List<DestroyResult.Refusal> failed = new ArrayList<>();
        for (int from = 0; from < snapshots.size(); from += DESTROY_BATCH) {
            List<DestroyTarget> batch = snapshots.subList(from, Math.min(snapshots.size(), from + DESTROY_BATCH));
            writer.control(FrameType.DESTROY, new DestroyCommand(path, batch));
            writer.flush();
            FrameType t = reader.expectFrame("DESTROYED");
            if (t == FrameType.ERROR) {
                throw reader.json(ErrorReply.class).toException();
            }
            if (t != FrameType.DESTROYED) {
                throw reader.unexpected("DESTROYED");
            }
            DestroyResult r;
            if (withFailed) {
                r = reader.json(DestroyResult.class);
            } else {
                DestroyResult.WithoutFailed old = reader.json(DestroyResult.WithoutFailed.class);
                r = new DestroyResult(old.destroyed(), old.refused());
            }
            // Printed and logged like an ERROR's text: made as safe.
            r.destroyed().forEach(name -> destroyed.add(Printable.of(name, Printable.MAX_WORD)));
            r.refused().forEach(x -> refused.add(printable(x)));
            r.failed().forEach(x -> failed.add(printable(x)));
        }
        return new DestroyResult(destroyed, refused, failed);
    }

    private static DestroyResult.Refusal printable(DestroyResult.Refusal r) {
        return new DestroyResult.Refusal(
                Printable.of(r.name(), Printable.MAX_WORD), Printable.of(r.reason(), Printable.MAX_TEXT));
    }

    /**
     * Refuses unless the box's HELLO offers restores: before a restore creates anything. A box that does not serve
     * this client at all (no sink job lists it) greets without restores too and says why only in the ERROR that
     * follows the client's HELLO (docs/protocol.md); a request reads that ERROR, so one LIST is asked first, and
     * its refusal ({@code client}) is the answer rather than a guess at serve.restore or the box's version.
     */
    public void requireRestore() throws IOException {
        if (!requireHandshake().capabilities().contains(Wire.RESTORE)) {
            try {
                listFilesystems();
            } catch (RemoteException e) {
                if (ErrorCodes.CLIENT.equals(e.code())) {
                    throw e;
                }
            }
        }
        offersRestore();
    }

    /** Refuses ({@code forbidden}) unless the box's HELLO offers restores. */
    private void offersRestore() throws RemoteException {
        Hello server = requireHandshake();
        if (!server.capabilities().contains(Wire.RESTORE)) {
            throw new RemoteException(
                    ErrorCodes.FORBIDDEN,
                    "the backup box does not offer restores: its zreplj is"
                            + " older (no 'restore' capability, zreplj " + Printable.of(server.software())
                            + ") or its sink job has"
                            + " serve.restore: false",
                    "");
        }
    }

    /**
     * Asks the box for a stream of the client's own backup (SEND) and writes it to {@code sink} (a local
     * zfs recv's stdin). A refusal or the box's zfs failing is a RemoteException. When writing to
     * {@code sink} fails the box is still sending: the channel is aborted (the box kills its zfs send) and
     * that failure is thrown.
     */
    public SendResult send(SendCommand command, OutputStream sink) throws IOException {
        offersRestore();
        writer.control(FrameType.SEND, command);
        writer.flush();
        while (true) {
            FrameType t = reader.expectFrame("DATA or SENT");
            switch (t) {
                case DATA -> {
                    try {
                        sink.write(reader.payload(), 0, reader.length());
                    } catch (IOException e) {
                        abort();
                        throw e;
                    }
                }
                case SENT -> {
                    return reader.json(SendResult.class);
                }
                case ERROR -> throw reader.json(ErrorReply.class).toException();
                default -> throw reader.unexpected("DATA, SENT or ERROR");
            }
        }
    }

    /**
     * Gives up on this channel from any thread: a request that makes no progress (a stalled box) is cut,
     * and the thread blocked in it gets an IOException. The channel is unusable afterwards.
     */
    public void abort() {
        aborted = true;
        abortTransport.run();
    }

    /** Whether {@link #abort()} was called: the channel is gone, use another. */
    public boolean aborted() {
        return aborted;
    }

    /** Says goodbye; the server exits 0. Does nothing before a successful handshake, when closed or aborted. */
    @Override
    public void close() throws IOException {
        if (compressor != null) {
            compressor.close();
            compressor = null;
        }
        if (serverHello == null || closed || aborted) {
            return;
        }
        closed = true;
        writer.empty(FrameType.BYE);
        writer.flush();
    }

    /**
     * Writes a request and flushes it. A box that refused the channel right after its HELLO (busy: the client's
     * channel cap) has sent its ERROR and closed the channel, so the write fails with the SSH library's words; the
     * ERROR already sent says why, and is what the caller gets.
     */
    private void request(Request write) throws IOException {
        try {
            write.run();
            writer.flush();
        } catch (IOException e) {
            RemoteException refused = tryReadError();
            if (refused == null) {
                throw e;
            }
            refused.addSuppressed(e);
            throw refused;
        }
    }

    @FunctionalInterface
    private interface Request {
        void run() throws IOException;
    }

    private @Nullable RemoteException tryReadError() {
        try {
            FrameType t = reader.next();
            return t == FrameType.ERROR ? reader.json(ErrorReply.class).toException() : null;
        } catch (IOException e) {
            return null;
        }
    }

    /** The server's HELLO, once the handshake succeeded and while the channel is open. */
    private Hello requireHandshake() {
        Hello hello = serverHello;
        if (hello == null) {
            throw new IllegalStateException("handshake() has not succeeded on this channel");
        }
        if (closed) {
            throw new IllegalStateException("this channel is closed");
        }
        return hello;
    }

    private static void closeQuietly(InputStream in, OutputStream out) {
        try {
            in.close();
        } catch (IOException ignored) {
            // aborting: the stream is given up either way
        }
        try {
            out.close();
        } catch (IOException ignored) {
            // aborting: the stream is given up either way
        }
    }

    /**
     * Reads until the chunk holds at least {@code least} bytes or the stream ends (0: it had ended), taking
     * what each read gives up to a full chunk: big frames keep the per-frame cost negligible.
     */
    private static int fill(InputStream stream, byte[] buffer, int least) throws IOException {
        int off = FrameWriter.DATA_OFFSET;
        int end = FrameWriter.DATA_OFFSET + Wire.MAX_DATA;
        int enough = FrameWriter.DATA_OFFSET + least;
        while (off < enough) {
            int r = stream.read(buffer, off, end - off);
            if (r < 0) {
                break;
            }
            off += r;
        }
        return off - FrameWriter.DATA_OFFSET;
    }
}
