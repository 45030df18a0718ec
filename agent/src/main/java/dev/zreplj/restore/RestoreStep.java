package dev.zreplj.restore;

import dev.zreplj.zfs.DatasetName;

/**
 * One filesystem of a restore.
 *
 * @param path        the box's jail-relative path (the client's name of the filesystem)
 * @param target      the local dataset
 * @param kind        what to do
 * @param snapshot    the snapshot to receive (null for {@link Kind#CREATE} and {@link Kind#KEPT})
 * @param guid        that snapshot's guid on the box (0 for {@link Kind#CREATE} and {@link Kind#KEPT})
 * @param from        the incremental base as {@code @name} or {@code #name} on the box, null otherwise
 * @param fromGuid    the guid of the stream's base: {@code from}'s, or a resumed incremental's; 0 for a full
 *                    stream. The box's stream must name exactly this base before zfs recv sees it.
 * @param resumeToken the local partial receive's token for {@link Kind#RESUME}
 * @param rollback    receive with {@code -F} (only with --force)
 */
public record RestoreStep(
        String path,
        DatasetName target,
        Kind kind,
        String snapshot,
        long guid,
        String from,
        long fromGuid,
        String resumeToken,
        boolean rollback) {
    public enum Kind {
        /** A filesystem without snapshots on the box, created empty so that its children have a parent. */
        CREATE,
        /**
         * A filesystem without snapshots on the box whose target exists (an earlier, interrupted {@code -r} run
         * created it): nothing to do, but the user hears so, one line per filesystem as for the others.
         */
        KEPT,
        FULL,
        INCREMENTAL,
        /** Continues an interrupted receive from the local token. */
        RESUME,
        /** The target's newest snapshot is already the one asked for. */
        UP_TO_DATE,
        /**
         * The target already has the snapshot asked for, with newer ones of its own (--force only): rolled back
         * to it, no stream; {@code snapshot} is the local snapshot's name.
         */
        ROLLBACK
    }

    public String describe() {
        return switch (kind) {
            case CREATE -> target + ": created empty (" + path + " has no snapshots on the box)";
            case KEPT -> target + ": exists (" + path + " has no snapshots on the box)";
            case FULL -> path + "@" + snapshot + " -> " + target + " (full)";
            case INCREMENTAL -> path + "@" + snapshot + " -> " + target + " (incremental from " + from + ")";
            case RESUME -> path + "@" + snapshot + " -> " + target + " (resumed)";
            case UP_TO_DATE -> target + ": already at " + path + "@" + snapshot;
            case ROLLBACK -> target + ": rolled back to @" + snapshot + " (already restored from " + path + ")";
        };
    }
}
