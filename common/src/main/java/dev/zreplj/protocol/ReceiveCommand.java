package dev.zreplj.protocol;

import org.jspecify.annotations.Nullable;

/**
 * Ask the server to receive one stream into {@code <jail>/<path>}. Full when {@code fromGuid} is null.
 * The server checks the stream's own header against {@code toGuid}/{@code fromGuid}.
 *
 * @param rollback       receive with -F (only when the agent's config allows a rollback of a diverged receiver)
 * @param resumable      receive with -s where the box's zfs supports it
 * @param resumeToken    the box's own resume token of the target, as LIST reported it, when the stream is
 *                       {@code zfs send -t} of it; null for an ordinary stream. The box checks it against
 *                       its current token and the stream's header
 * @param discardPartial the box first discards its partial receive of the target ({@code zfs recv -A}),
 *                       which the agent found stale
 */
public record ReceiveCommand(
        String path,
        String snapshot,
        long toGuid,
        @Nullable Long fromGuid,
        boolean rollback,
        boolean resumable,
        @Nullable String resumeToken,
        boolean discardPartial) {
    /** An ordinary stream: no resume, nothing to discard. */
    public ReceiveCommand(
            String path, String snapshot, long toGuid, @Nullable Long fromGuid, boolean rollback, boolean resumable) {
        this(path, snapshot, toGuid, fromGuid, rollback, resumable, null, false);
    }
}
