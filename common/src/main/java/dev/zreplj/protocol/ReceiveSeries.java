package dev.zreplj.protocol;

import java.util.List;

/**
 * Ask the server to receive one {@code zfs send -I} stream into {@code <jail>/<command.path>}: the stream
 * must hold exactly {@code snapshots}, in this order, each one substream incremental from the one before
 * (the first from {@code command.fromGuid}). {@code command.snapshot}/{@code toGuid} name the last of them;
 * {@code command.resumeToken} is always null (a partial receive is resumed by a plain RECV first). Sent as
 * its own frame type, only to a server that announced {@link Wire#SNAPSHOT_SERIES}, so that a RECV keeps
 * its fields and an older box is never sent one.
 */
public record ReceiveSeries(ReceiveCommand command, List<Snapshot> snapshots) {
    public ReceiveSeries {
        // The box decodes a client's JSON into this: a null command then fails decoding, as JSON that does not fit.
        if (command == null) {
            throw new IllegalArgumentException("its command is required");
        }
        snapshots = List.copyOf(snapshots);
    }

    /** One snapshot the stream carries: its name (the part after '@') and its guid. */
    public record Snapshot(String name, long guid) {}
}
