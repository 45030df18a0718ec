package dev.zreplj.pruning;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.jspecify.annotations.Nullable;

/** The grid rule's bucketing: which of the matching snapshots a grid keeps. */
final class GridFit {
    private GridFit() {}

    /**
     * "now" is the newest matching snapshot's creation. Interval i covers {@code (start_i, end_i]}, with
     * {@code end_0 = now} and {@code end_(i+1) = start_i}; each interval keeps its {@code keep} oldest
     * members (ties: smaller name is older), all with keep=all. Older than the last interval: not kept;
     * newer than now (possible only with a given {@code clock}): kept.
     *
     * @param matching indices into {@code candidates} of the snapshots matching the grid's regex
     * @param clock    "now" when the caller knows it better than the snapshots do (the backup box's own
     *                 clock, which no client can move); null for zrepl's newest matching creation
     * @return the kept indices
     */
    static List<Integer> keep(
            List<KeepRule.GridInterval> intervals,
            List<PruneCandidate> candidates,
            List<Integer> matching,
            @Nullable Instant clock) {
        if (matching.isEmpty()) {
            return List.of();
        }
        Instant now = clock != null
                ? clock
                : matching.stream()
                        .map(i -> candidates.get(i).creation())
                        .max(Comparator.naturalOrder())
                        .orElseThrow();
        Instant[] starts = starts(now, intervals);
        List<List<Integer>> buckets = new ArrayList<>(intervals.size());
        for (int b = 0; b < intervals.size(); b++) {
            buckets.add(new ArrayList<>());
        }
        List<Integer> kept = new ArrayList<>();
        for (int i : matching) {
            if (candidates.get(i).creation().isAfter(now)) {
                // Newer than now (only with a given clock, e.g. the box's set back): kept, as in zrepl's grid,
                // rather than competing with the snapshots of the first interval for its places.
                kept.add(i);
                continue;
            }
            int bucket = bucketOf(candidates.get(i).creation(), starts);
            if (bucket >= 0) {
                buckets.get(bucket).add(i);
            }
        }
        Comparator<Integer> oldestFirst = Comparator.comparing(candidates::get, KeepRules.NEWEST_FIRST.reversed());
        for (int b = 0; b < buckets.size(); b++) {
            List<Integer> members = buckets.get(b);
            int keep = intervals.get(b).keep();
            if (keep == KeepRule.GridInterval.KEEP_ALL || members.size() <= keep) {
                kept.addAll(members);
            } else {
                members.sort(oldestFirst);
                kept.addAll(members.subList(0, keep));
            }
        }
        return kept;
    }

    /** Start (exclusive, older edge) of every interval, descending; clamped at Instant.MIN. */
    private static Instant[] starts(Instant now, List<KeepRule.GridInterval> intervals) {
        Instant[] starts = new Instant[intervals.size()];
        Instant end = now;
        for (int b = 0; b < starts.length; b++) {
            end = minusClamped(end, intervals.get(b).length());
            starts[b] = end;
        }
        return starts;
    }

    /** Index of the interval holding {@code creation} (not newer than now), or -1 if older than all. */
    private static int bucketOf(Instant creation, Instant[] starts) {
        // starts descend; the holding interval is the first whose start lies before creation.
        int lo = 0;
        int hi = starts.length;
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (starts[mid].isBefore(creation)) {
                hi = mid;
            } else {
                lo = mid + 1;
            }
        }
        return lo < starts.length ? lo : -1;
    }

    private static Instant minusClamped(Instant t, Duration d) {
        Instant min = Instant.MIN;
        if (Duration.between(min, t).compareTo(d) <= 0) {
            return min;
        }
        return t.minus(d);
    }
}
