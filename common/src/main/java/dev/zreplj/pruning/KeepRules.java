package dev.zreplj.pruning;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Applies a keep-rule list to the snapshots of one filesystem, with zrepl's semantics (docs/pruning.md).
 * Pure: "now" of a grid is derived from the snapshots, never read from a clock.
 */
public final class KeepRules {
    /**
     * Newest first: by creation, then by name descending. The name decides ties in creation, as in
     * zrepl's last_n, so the result never depends on the order of the input.
     */
    static final Comparator<PruneCandidate> NEWEST_FIRST = Comparator.comparing(PruneCandidate::creation)
            .thenComparing(PruneCandidate::name)
            .reversed();

    private KeepRules() {
    }

    /**
     * For each candidate, in input order, whether some rule keeps it; a snapshot no rule keeps is
     * destroyed. An empty rule list keeps nothing.
     *
     * @throws IllegalArgumentException if two candidates have the same name (one filesystem has unique ones)
     */
    public static List<Boolean> keep(List<KeepRule> rules, List<PruneCandidate> candidates) {
        requireUniqueNames(candidates);
        boolean[] kept = new boolean[candidates.size()];
        for (KeepRule rule : rules) {
            for (int i : keptBy(rule, candidates)) {
                kept[i] = true;
            }
        }
        List<Boolean> result = new ArrayList<>(kept.length);
        for (boolean k : kept) {
            result.add(k);
        }
        return List.copyOf(result);
    }

    /** Indices into {@code candidates} of those the one rule keeps. */
    static List<Integer> keptBy(KeepRule rule, List<PruneCandidate> candidates) {
        if (rule instanceof KeepRule.LastN lastN) {
            return lastN(lastN, candidates);
        } else if (rule instanceof KeepRule.Regex regex) {
            return matching(candidates, regex.regex(), regex.negate());
        } else if (rule instanceof KeepRule.Grid grid) {
            return GridFit.keep(grid.intervals(), candidates, matching(candidates, grid.regex(), false));
        } else if (rule instanceof KeepRule.NotReplicated notReplicated) {
            return notReplicated(notReplicated, candidates);
        }
        throw new IllegalStateException("unknown keep rule " + rule.getClass().getName());
    }

    private static List<Integer> lastN(KeepRule.LastN rule, List<PruneCandidate> candidates) {
        List<Integer> matching = rule.regex() == null
                ? allIndices(candidates)
                : matching(candidates, rule.regex(), false);
        matching.sort(Comparator.comparing(candidates::get, NEWEST_FIRST));
        return matching.subList(0, Math.min(rule.count(), matching.size()));
    }

    /**
     * Unknown ({@code replicated == null}) counts as not replicated: destroying a snapshot the receiver
     * may lack is the one mistake pruning must not make. The cursor snapshot is the newest replicated
     * one; snapshots tied with it in creation are all kept, as any of them may be the cursor.
     */
    private static List<Integer> notReplicated(KeepRule.NotReplicated rule, List<PruneCandidate> candidates) {
        Instant newestReplicated = null;
        for (PruneCandidate c : candidates) {
            if (Boolean.TRUE.equals(c.replicated())
                    && (newestReplicated == null || c.creation().isAfter(newestReplicated))) {
                newestReplicated = c.creation();
            }
        }
        List<Integer> kept = new ArrayList<>();
        for (int i = 0; i < candidates.size(); i++) {
            PruneCandidate c = candidates.get(i);
            boolean atCursor = rule.keepSnapshotAtCursor() && Boolean.TRUE.equals(c.replicated())
                    && c.creation().equals(newestReplicated);
            if (!Boolean.TRUE.equals(c.replicated()) || atCursor) {
                kept.add(i);
            }
        }
        return kept;
    }

    private static List<Integer> matching(List<PruneCandidate> candidates, Pattern regex, boolean negate) {
        List<Integer> indices = new ArrayList<>();
        for (int i = 0; i < candidates.size(); i++) {
            if (regex.matcher(candidates.get(i).name()).find() != negate) {
                indices.add(i);
            }
        }
        return indices;
    }

    private static List<Integer> allIndices(List<PruneCandidate> candidates) {
        List<Integer> indices = new ArrayList<>(candidates.size());
        for (int i = 0; i < candidates.size(); i++) {
            indices.add(i);
        }
        return indices;
    }

    private static void requireUniqueNames(List<PruneCandidate> candidates) {
        Map<String, Integer> seen = new HashMap<>();
        for (int i = 0; i < candidates.size(); i++) {
            Integer before = seen.putIfAbsent(candidates.get(i).name(), i);
            if (before != null) {
                throw new IllegalArgumentException("snapshot '" + candidates.get(i).name()
                        + "' appears twice (candidates " + before + " and " + i + ")");
            }
        }
    }
}
