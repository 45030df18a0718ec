package dev.zreplj.pruning;

import java.time.Instant;

/**
 * A snapshot as the keep rules see it. {@code replicated} is null where unknown (receiver side, or a
 * {@code test prune} input line without the third field).
 */
public record PruneCandidate(String name, Instant creation, Boolean replicated) {}
