package dev.zreplj.pruning;

import java.time.Instant;

/**
 * A snapshot as the keep rules see it. {@code replicated} is null where unknown (receiver side, or a
 * {@code test prune} input line without the third field). {@code atCursor}: this is the snapshot the
 * replication cursor names (by guid); where no candidate says so, {@code not_replicated} takes the newest
 * replicated one by creation.
 */
public record PruneCandidate(String name, Instant creation, Boolean replicated, boolean atCursor) {
    public PruneCandidate(String name, Instant creation, Boolean replicated) {
        this(name, creation, replicated, false);
    }
}
