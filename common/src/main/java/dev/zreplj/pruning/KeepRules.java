package dev.zreplj.pruning;

import java.util.List;

/** Applies a keep-rule list to snapshots. SKELETON: filled in by the pruning work. */
public final class KeepRules {
    private KeepRules() {
    }

    /**
     * For each candidate, in input order, whether some rule keeps it; a snapshot no rule keeps is
     * destroyed. An empty rule list keeps nothing.
     */
    public static List<Boolean> keep(List<KeepRule> rules, List<PruneCandidate> candidates) {
        throw new IllegalStateException("not implemented yet");
    }
}
