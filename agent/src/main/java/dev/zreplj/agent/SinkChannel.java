package dev.zreplj.agent;

import dev.zreplj.config.PushJob;
import dev.zreplj.protocol.DestroyResult;
import dev.zreplj.protocol.DestroyTarget;
import dev.zreplj.protocol.DetailedListing;
import dev.zreplj.protocol.ReceiveCommand;
import dev.zreplj.protocol.ReceiveResult;
import dev.zreplj.protocol.ReceiveSeries;
import dev.zreplj.protocol.RemoteFilesystem;
import dev.zreplj.protocol.SendCommand;
import dev.zreplj.protocol.SendResult;
import dev.zreplj.protocol.SinkClient;
import dev.zreplj.replication.BoxChannel;
import dev.zreplj.replication.RawInput;
import dev.zreplj.replication.Watchdog;
import dev.zreplj.ssh.ChannelFifo;
import dev.zreplj.zfs.DatasetName;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import java.util.function.LongConsumer;
import java.util.function.LongSupplier;

/**
 * A protocol channel (one stdinserver, after its handshake) as a {@link BoxChannel}: requests that wait
 * only for a reply (LIST, DESTROY) are bounded by the pass's watchdog here; a receive's progress is
 * watched by the replicator, which knows its byte count.
 */
public final class SinkChannel implements BoxChannel {
    /**
     * A LIST asked for on this channel before the pass wanted it (EarlyConnect), while the sender was being
     * listed: its answer or its failure.
     */
    record EarlyList(List<RemoteFilesystem> listing, IOException failure) {}

    private final SinkClient client;
    private final Watchdog watchdog;
    private final BooleanSupplier ended;
    /**
     * Handed out by the first {@link #list} and dropped by any other request first: the box changes only
     * through this session's requests, and the pass opens no other channel before its first LIST, so until
     * then the early answer is what a LIST would say now.
     */
    private final AtomicReference<EarlyList> early;
    /** What LIST asks for: the job's filter roots (sender-side names), empty for the whole jail. */
    private final List<String> roots;
    /** The channel's stdin as a FIFO a zfs send can write into; null when it is not one. */
    private final ChannelFifo fifo;

    /**
     * @param ended whether the box's side of the channel has ended (the stdinserver exited)
     * @param early a LIST already done on this channel (for the same roots), null for none
     * @param roots what {@link #list} asks for: the job's filter roots, empty for the whole jail
     * @param fifo  the channel's stdin as a FIFO (streams may then go unframed), null for none
     */
    SinkChannel(
            SinkClient client,
            Watchdog watchdog,
            BooleanSupplier ended,
            EarlyList early,
            List<String> roots,
            ChannelFifo fifo) {
        this.fifo = fifo;
        this.client = client;
        this.watchdog = watchdog;
        this.ended = ended;
        this.early = new AtomicReference<>(early);
        this.roots = List.copyOf(roots);
    }

    public SinkChannel(SinkClient client, Watchdog watchdog) {
        this(client, watchdog, () -> false, null, List.of(), null);
    }

    /** The roots a job's LIST asks the box for: its filter's roots, or none (the whole jail) for {@code "<": true}. */
    static List<String> listRoots(PushJob job) {
        return job.filesystems()
                .roots()
                .map(r -> r.stream().map(DatasetName::value).toList())
                .orElse(List.of());
    }

    SinkClient client() {
        return client;
    }

    /** {@link SinkClient#requireRestore}. */
    public void requireRestore() throws IOException {
        client.requireRestore();
    }

    /** Whether the box's HELLO listed {@code capability}. */
    public boolean offers(String capability) {
        return client.serverHello().capabilities().contains(capability);
    }

    @Override
    public List<RemoteFilesystem> list() throws IOException {
        EarlyList answered = early.getAndSet(null);
        if (answered != null) {
            if (answered.failure() != null) {
                throw answered.failure();
            }
            return answered.listing();
        }
        return watchdog.guard("LIST", () -> client.listFilesystems(roots), client::abort);
    }

    /**
     * Every filesystem the client has on the box, whatever the job's filter selects now: what restore and
     * {@code box list} show, as a filesystem the filter no longer selects is still there to restore.
     */
    public List<RemoteFilesystem> listJail() throws IOException {
        early.set(null);
        return watchdog.guard("LIST", client::listFilesystems, client::abort);
    }

    /** LIST_DETAILED for {@code zreplj box list}; empty when the box is too old to offer it. */
    public Optional<DetailedListing> listDetailed() throws IOException {
        early.set(null);
        return watchdog.guard("LIST_DETAILED", client::listDetailed, client::abort);
    }

    @Override
    public ReceiveResult receive(ReceiveCommand command, InputStream stream) throws IOException {
        early.set(null);
        return client.receive(command, stream);
    }

    @Override
    public ReceiveResult receiveSeries(ReceiveSeries series, InputStream stream) throws IOException {
        early.set(null);
        return client.receiveSeries(series, stream);
    }

    @Override
    public Optional<RawInput> rawInput() {
        if (fifo == null || !client.rawStreams()) {
            return Optional.empty();
        }
        return Optional.of((zfs, request) -> fifo.writer(path -> zfs.send(request, path)));
    }

    @Override
    public ReceiveResult receiveRaw(Record request, SinkClient.RawSender sender, LongConsumer progress)
            throws IOException {
        early.set(null);
        return request instanceof ReceiveSeries series
                ? client.receiveSeriesRaw(series, sender, progress)
                : client.receiveRaw((ReceiveCommand) request, sender, progress);
    }

    @Override
    public DestroyResult destroy(String path, List<DestroyTarget> snapshots) throws IOException {
        early.set(null);
        return watchdog.guard("DESTROY " + path, () -> client.destroy(path, snapshots), client::abort);
    }

    /**
     * Restores: the box's stream of {@code command} into {@code sink}. Watched, not guarded: a long stream
     * is fine as long as bytes keep coming; none for the job's replication timeout cuts the channel.
     */
    public SendResult send(SendCommand command, OutputStream sink, LongSupplier progress) throws IOException {
        early.set(null);
        try (Watchdog.Watch watch = watchdog.watch(progress, client::abort)) {
            try {
                return client.send(command, sink);
            } catch (IOException e) {
                if (watch.cancelled()) {
                    throw new IOException(
                            watch.stalledMessage(progress.getAsLong(), java.util.OptionalLong.empty()), e);
                }
                throw e;
            }
        }
    }

    @Override
    public void abort() {
        client.abort();
    }

    @Override
    public boolean aborted() {
        return client.aborted() || ended.getAsBoolean();
    }
}
