package dev.zreplj.replication;

import dev.zreplj.protocol.DestroyResult;
import dev.zreplj.protocol.DestroyTarget;
import dev.zreplj.protocol.ReceiveCommand;
import dev.zreplj.protocol.ReceiveResult;
import dev.zreplj.protocol.ReceiveSeries;
import dev.zreplj.protocol.RemoteFilesystem;
import dev.zreplj.protocol.SinkClient;
import java.io.IOException;
import java.io.InputStream;
import java.util.List;
import java.util.Optional;
import java.util.function.LongConsumer;

/**
 * One channel to the box: requests run one at a time. A request the box does not answer in time fails
 * with a {@link StalledException}; a refusal is a {@link dev.zreplj.protocol.RemoteException}; a broken
 * link any other IOException.
 */
public interface BoxChannel {
    /** Every filesystem in the client's jail with its versions. */
    List<RemoteFilesystem> list() throws IOException;

    /** Streams {@code stream} into the box's receive and waits for its result. */
    ReceiveResult receive(ReceiveCommand command, InputStream stream) throws IOException;

    /** Streams a {@code zfs send -I} stream into the box's receive of a series and waits for its result. */
    ReceiveResult receiveSeries(ReceiveSeries series, InputStream stream) throws IOException;

    /**
     * Where a {@code zfs send} can write a stream into this channel itself, the box reading it unframed
     * (RECV_RAW): the channel's stdin is a FIFO (ssh_client: openssh), the box offers it and no stream goes
     * compressed. Empty when streams go in frames through {@link #receive}.
     */
    default Optional<RawInput> rawInput() {
        return Optional.empty();
    }

    /**
     * A receive through {@link #rawInput()}: {@code request} is a {@link ReceiveCommand} or, for a {@code zfs
     * send -I} stream, a {@link ReceiveSeries}; {@code sender} starts the stream once the box is ready, and the
     * box's count of the bytes that arrived goes to {@code progress}. A failure after the stream started leaves
     * the channel {@link #aborted()}.
     */
    default ReceiveResult receiveRaw(Record request, SinkClient.RawSender sender, LongConsumer progress)
            throws IOException {
        throw new UnsupportedOperationException("this channel takes streams only in frames");
    }

    /** Asks the box to destroy snapshots of one filesystem; it reports per snapshot. */
    DestroyResult destroy(String path, List<DestroyTarget> snapshots) throws IOException;

    /** Gives the channel up from any thread: the request blocked on it fails at once. */
    void abort();

    /**
     * Whether {@link #abort()} was called or the box ended the channel (its idle timeout closes a channel
     * that waited long, e.g. while another one sent for hours): the channel is gone, use another.
     */
    boolean aborted();
}
