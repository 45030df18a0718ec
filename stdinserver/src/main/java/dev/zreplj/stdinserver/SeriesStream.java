package dev.zreplj.stdinserver;

import dev.zreplj.protocol.ErrorCodes;
import dev.zreplj.protocol.Printable;
import dev.zreplj.protocol.ReceiveCommand;
import dev.zreplj.protocol.ReceiveSeries;
import dev.zreplj.protocol.RemoteException;
import dev.zreplj.protocol.StreamHeader;
import java.nio.ByteBuffer;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The checks of a RECV_SERIES before zfs recv starts: the request itself, and the first bytes of its
 * {@code zfs send -I} stream up to its first substream's BEGIN; {@link CompoundTail} checks every substream
 * from there on while zfs recv reads.
 */
final class SeriesStream {
    /** The compound header and END that open a {@code zfs send -I} stream, then its first substream's BEGIN. */
    static final int PREFIX = 3 * StreamHeader.LENGTH;

    private SeriesStream() {}

    /**
     * A series' request: at least one snapshot, the last being the command's, incremental (a full stream
     * and a resume go as RECV), distinct non-zero guids.
     */
    static void checkRequest(ReceiveSeries series) throws RemoteException {
        ReceiveCommand cmd = series.command();
        List<ReceiveSeries.Snapshot> snaps = series.snapshots();
        // A null name gets through the frame's parsing (a null command or snapshot does not); refused here, by name.
        for (ReceiveSeries.Snapshot s : snaps) {
            if (s.name() == null) {
                throw new RemoteException(ErrorCodes.JAIL, "the series names a snapshot without a name", "");
            }
        }
        if (snaps.isEmpty() || cmd.fromGuid() == null || cmd.resumeToken() != null) {
            throw new RemoteException(
                    ErrorCodes.STREAM,
                    "a RECV_SERIES needs at least one snapshot, a base"
                            + " (fromGuid) and no resume token; send a full or resumed stream as RECV",
                    "");
        }
        ReceiveSeries.Snapshot last = snaps.get(snaps.size() - 1);
        if (!last.name().equals(cmd.snapshot()) || last.guid() != cmd.toGuid()) {
            throw new RemoteException(ErrorCodes.STREAM, "the series' last snapshot is not the command's", "");
        }
        Set<Long> guids = new HashSet<>();
        guids.add(cmd.fromGuid());
        for (ReceiveSeries.Snapshot s : snaps) {
            if (s.guid() == 0 || !guids.add(s.guid())) {
                throw new RemoteException(
                        ErrorCodes.STREAM,
                        "the series names guid " + Long.toUnsignedString(s.guid()) + " twice or as 0",
                        "");
            }
        }
    }

    /**
     * The first bytes of a series: a compound header without properties (what {@code zfs send -I} writes
     * without -p) naming the command's filesystem and last snapshot, its END; returns the first substream's
     * BEGIN, which the tail then checks against the series.
     */
    static StreamHeader firstSubstream(ReceiveSeries series, StreamHeader header, byte[] bytes, int length)
            throws RemoteException {
        ReceiveCommand cmd = series.command();
        if (!header.compound() || header.payloadLength() != 0) {
            throw new RemoteException(
                    ErrorCodes.STREAM,
                    "a zfs send -I stream starts with a compound header"
                            + " without properties; this stream's first record is not one",
                    "");
        }
        String expected = cmd.path() + "@" + cmd.snapshot();
        if (!header.toName().equals(expected)) {
            throw new RemoteException(
                    ErrorCodes.STREAM,
                    "the stream's first record names '" + Printable.of(header.toName()) + "', the request expects '"
                            + expected + "'",
                    "");
        }
        if (length < PREFIX) {
            throw new RemoteException(
                    ErrorCodes.STREAM,
                    "the stream ended after " + length + " bytes, before its first substream began",
                    "");
        }
        if (ByteBuffer.wrap(bytes, StreamHeader.LENGTH, 4).order(header.order()).getInt() != CompoundTail.END) {
            throw new RemoteException(
                    ErrorCodes.STREAM, "the stream's compound header is not followed by an END" + " record", "");
        }
        return StreamHeader.parse(bytes, 2 * StreamHeader.LENGTH, length);
    }
}
