package dev.zreplj.agent;

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
import dev.zreplj.replication.Watchdog;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.List;
import java.util.Optional;
import java.util.function.BooleanSupplier;
import java.util.function.LongSupplier;

/**
 * A protocol channel (one stdinserver, after its handshake) as a {@link BoxChannel}: requests that wait
 * only for a reply (LIST, DESTROY) are bounded by the pass's watchdog here; a receive's progress is
 * watched by the replicator, which knows its byte count.
 */
public final class SinkChannel implements BoxChannel {
    private final SinkClient client;
    private final Watchdog watchdog;
    private final BooleanSupplier ended;

    /** @param ended whether the box's side of the channel has ended (the stdinserver exited) */
    public SinkChannel(SinkClient client, Watchdog watchdog, BooleanSupplier ended) {
        this.client = client;
        this.watchdog = watchdog;
        this.ended = ended;
    }

    public SinkChannel(SinkClient client, Watchdog watchdog) {
        this(client, watchdog, () -> false);
    }

    SinkClient client() {
        return client;
    }

    @Override
    public List<RemoteFilesystem> list() throws IOException {
        return watchdog.guard("LIST", client::listFilesystems, client::abort);
    }

    /** LIST_DETAILED for {@code zreplj box list}; empty when the box is too old to offer it. */
    public Optional<DetailedListing> listDetailed() throws IOException {
        return watchdog.guard("LIST_DETAILED", client::listDetailed, client::abort);
    }

    @Override
    public ReceiveResult receive(ReceiveCommand command, InputStream stream) throws IOException {
        return client.receive(command, stream);
    }

    @Override
    public ReceiveResult receiveSeries(ReceiveSeries series, InputStream stream) throws IOException {
        return client.receiveSeries(series, stream);
    }

    @Override
    public DestroyResult destroy(String path, List<DestroyTarget> snapshots) throws IOException {
        return watchdog.guard("DESTROY " + path, () -> client.destroy(path, snapshots), client::abort);
    }

    /**
     * Restores: the box's stream of {@code command} into {@code sink}. Watched, not guarded: a long stream
     * is fine as long as bytes keep coming; none for the job's replication timeout cuts the channel.
     */
    public SendResult send(SendCommand command, OutputStream sink, LongSupplier progress) throws IOException {
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
