package dev.zreplj.pruning;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * Applies a keep-rule list to the snapshots of one filesystem, with zrepl's semantics (docs/pruning.md).
 * Pure: "now" of a grid is derived from the snapshots or given by the caller, never read from a clock.
 */
public final class KeepRules {
    /**
     * Newest first: by creation, then by name descending. The name decides ties in creation, as in
     * zrepl's last_n, so the result never depends on the order of the input.
     */
    static final Comparator<PruneCandidate> NEWEST_FIRST = Comparator.comparing(PruneCandidate::creation)
            .thenComparing(PruneCandidate::name)
            .reversed();

    private KeepRules() {}

    /**
     * For each candidate, in input order, whether some rule keeps it; a snapshot no rule keeps is
     * destroyed. An empty rule list keeps everything, as in zrepl: {@code keep_receiver: []} is how
     * zrepl users say "never prune this side", so reading it as "keep nothing" would wipe a migrated box.
     *
     * @throws IllegalArgumentException if two candidates have the same name (one filesystem has unique ones)
     */
    public static List<Boolean> keep(List<KeepRule> rules, List<PruneCandidate> candidates) {
        return keep(rules, candidates, null);
    }

    /**
     * Like {@link #keep(List, List)}, but a grid's "now" is {@code now}, not the newest matching
     * snapshot's creation: the backup box's floor, where creation times come from the client.
     */
    public static List<Boolean> keep(List<KeepRule> rules, List<PruneCandidate> candidates, @Nullable Instant now) {
        requireUniqueNames(candidates);
        if (rules.isEmpty()) {
            return candidates.stream().map(c -> Boolean.TRUE).toList();
        }
        boolean[] kept = new boolean[candidates.size()];
        for (KeepRule rule : rules) {
            for (int i : keptBy(rule, candidates, now)) {
                kept[i] = true;
            }
        }
        List<Boolean> result = new ArrayList<>(kept.length);
        for (boolean k : kept) {
            result.add(k);
        }
        return List.copyOf(result);
    }

    /**
     * Why each candidate survives, in input order: the index into {@code rules} of the first rule that
     * keeps it, or -1 when no rule does (it is destroyed). Agrees with {@link #keep}: kept exactly
     * when the index is not -1. An empty list keeps everything without a rule to name, so it is
     * refused here: a caller must say why itself rather than read -1 as "destroy".
     *
     * @throws IllegalArgumentException if two candidates have the same name, or {@code rules} is empty
     */
    public static List<Integer> explain(List<KeepRule> rules, List<PruneCandidate> candidates) {
        requireUniqueNames(candidates);
        if (rules.isEmpty()) {
            throw new IllegalArgumentException("an empty keep rule list keeps everything; there is no rule to name");
        }
        int[] first = new int[candidates.size()];
        Arrays.fill(first, -1);
        for (int r = 0; r < rules.size(); r++) {
            for (int i : keptBy(rules.get(r), candidates, null)) {
                if (first[i] == -1) {
                    first[i] = r;
                }
            }
        }
        List<Integer> result = new ArrayList<>(first.length);
        for (int f : first) {
            result.add(f);
        }
        return List.copyOf(result);
    }

    /** One rule in the config's words, for reports: {@code last_n(count=10, regex=^zrepl_)}. */
    public static String describe(KeepRule rule) {
        if (rule instanceof KeepRule.LastN lastN) {
            return "last_n(count=" + lastN.count() + (lastN.regex() == null ? "" : ", regex=" + lastN.regex()) + ")";
        } else if (rule instanceof KeepRule.Regex regex) {
            return "regex(" + (regex.negate() ? "negate, " : "") + regex.regex() + ")";
        } else if (rule instanceof KeepRule.Grid grid) {
            return "grid(" + describeGrid(grid.intervals()) + ", regex=" + grid.regex() + ")";
        } else if (rule instanceof KeepRule.NotReplicated notReplicated) {
            return notReplicated.keepSnapshotAtCursor()
                    ? "not_replicated"
                    : "not_replicated(keep_snapshot_at_cursor=false)";
        }
        throw new IllegalStateException("unknown keep rule " + rule.getClass().getName());
    }

    /** Runs of equal intervals folded back into {@code COUNTxDURATION(keep=K)}. */
    private static String describeGrid(List<KeepRule.GridInterval> intervals) {
        StringBuilder sb = new StringBuilder();
        int i = 0;
        while (i < intervals.size()) {
            KeepRule.GridInterval interval = intervals.get(i);
            int run = 1;
            while (i + run < intervals.size() && intervals.get(i + run).equals(interval)) {
                run++;
            }
            if (sb.length() > 0) {
                sb.append(" | ");
            }
            sb.append(run).append('x').append(describeDuration(interval.length().getSeconds()));
            if (interval.keep() == KeepRule.GridInterval.KEEP_ALL) {
                sb.append("(keep=all)");
            } else if (interval.keep() != 1) {
                sb.append("(keep=").append(interval.keep()).append(')');
            }
            i += run;
        }
        return sb.toString();
    }

    private static String describeDuration(long s) {
        if (s % 604_800 == 0) return s / 604_800 + "w";
        if (s % 86_400 == 0) return s / 86_400 + "d";
        if (s % 3_600 == 0) return s / 3_600 + "h";
        if (s % 60 == 0) return s / 60 + "m";
        return s + "s";
    }

    /** Indices into {@code candidates} of those the one rule keeps. */
    static List<Integer> keptBy(KeepRule rule, List<PruneCandidate> candidates, @Nullable Instant now) {
        if (rule instanceof KeepRule.LastN lastN) {
            return lastN(lastN, candidates);
        } else if (rule instanceof KeepRule.Regex regex) {
            return matching(candidates, regex.regex(), regex.negate());
        } else if (rule instanceof KeepRule.Grid grid) {
            return GridFit.keep(grid.intervals(), candidates, matching(candidates, grid.regex(), false), now);
        } else if (rule instanceof KeepRule.NotReplicated notReplicated) {
            return notReplicated(notReplicated, candidates);
        }
        throw new IllegalStateException("unknown keep rule " + rule.getClass().getName());
    }

    private static List<Integer> lastN(KeepRule.LastN rule, List<PruneCandidate> candidates) {
        List<Integer> matching =
                rule.regex() == null ? allIndices(candidates) : matching(candidates, rule.regex(), false);
        matching.sort(Comparator.comparing(candidates::get, NEWEST_FIRST));
        return matching.subList(0, Math.min(rule.count(), matching.size()));
    }

    /**
     * Unknown ({@code replicated == null}) counts as not replicated: destroying a snapshot the receiver
     * may lack is the one mistake pruning must not make. The cursor snapshot is the one the cursor names,
     * as in zrepl (by guid: a clock set back between two snapshots makes the newest by creation another
     * one); without that knowledge (a {@code test prune} input), the newest replicated one, and snapshots
     * tied with it in creation are all kept, as any of them may be the cursor.
     */
    private static List<Integer> notReplicated(KeepRule.NotReplicated rule, List<PruneCandidate> candidates) {
        if (candidates.stream().anyMatch(PruneCandidate::atCursor)) {
            List<Integer> kept = new ArrayList<>();
            for (int i = 0; i < candidates.size(); i++) {
                PruneCandidate c = candidates.get(i);
                if (!Boolean.TRUE.equals(c.replicated()) || (rule.keepSnapshotAtCursor() && c.atCursor())) {
                    kept.add(i);
                }
            }
            return kept;
        }
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
            boolean atCursor = rule.keepSnapshotAtCursor()
                    && Boolean.TRUE.equals(c.replicated())
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
                throw new IllegalArgumentException("snapshot '"
                        + candidates.get(i).name() + "' appears twice (candidates " + before + " and " + i + ")");
            }
        }
    }
}
