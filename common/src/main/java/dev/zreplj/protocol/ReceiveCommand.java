package dev.zreplj.protocol;

/**
 * Ask the server to receive one stream into {@code <jail>/<path>}. Full when {@code fromGuid} is null.
 * The server checks the stream's own header against {@code toGuid}/{@code fromGuid}.
 *
 * @param rollback  receive with -F (only when the agent's config allows a rollback of a diverged receiver)
 * @param resumable receive with -s where the box's zfs supports it
 */
public record ReceiveCommand(String path, String snapshot, long toGuid, Long fromGuid, boolean rollback,
                             boolean resumable) {
}
