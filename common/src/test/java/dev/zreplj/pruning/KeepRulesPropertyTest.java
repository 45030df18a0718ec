package dev.zreplj.pruning;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.zreplj.pruning.KeepRule.GridInterval;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** Random inputs from fixed seeds (reproducible), checked against properties and a naive model. */
class KeepRulesPropertyTest {
    private static final int ROUNDS = 400;
    private static final Pattern A = Pattern.compile("^a");

    /** Creation times on a coarse minute grid, so ties and interval edges are hit often. */
    private static List<PruneCandidate> randomCandidates(Random r) {
        int n = r.nextInt(30);
        List<PruneCandidate> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            String name = (r.nextBoolean() ? "a" : "b") + "_" + i;
            Instant creation = Instant.ofEpochSecond(1_700_000_000L + 600L * r.nextInt(40));
            Boolean replicated = switch (r.nextInt(3)) {
                case 0 -> null;
                case 1 -> Boolean.TRUE;
                default -> Boolean.FALSE;
            };
            out.add(new PruneCandidate(name, creation, replicated));
        }
        return out;
    }

    private static List<GridInterval> randomGrid(Random r) {
        int n = 1 + r.nextInt(5);
        List<GridInterval> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            int keep = r.nextInt(4) == 0 ? GridInterval.KEEP_ALL : 1 + r.nextInt(3);
            out.add(new GridInterval(Duration.ofMinutes(10L * (1 + r.nextInt(6))), keep));
        }
        return out;
    }

    private static KeepRule randomRule(Random r) {
        return switch (r.nextInt(4)) {
            case 0 -> new KeepRule.LastN(1 + r.nextInt(10), r.nextBoolean() ? null : A);
            case 1 -> new KeepRule.Regex(A, r.nextBoolean());
            case 2 -> new KeepRule.Grid(r.nextBoolean() ? A : Pattern.compile(""), randomGrid(r));
            default -> new KeepRule.NotReplicated(r.nextBoolean());
        };
    }

    private static Set<String> keptNames(List<KeepRule> rules, List<PruneCandidate> in) {
        List<Boolean> flags = KeepRules.keep(rules, in);
        assertEquals(in.size(), flags.size());
        Set<String> names = new HashSet<>();
        for (int i = 0; i < in.size(); i++) {
            if (flags.get(i)) {
                names.add(in.get(i).name());
            }
        }
        return names;
    }

    @Test
    void lastNKeepsExactlyTheNNewestMatching() {
        Random r = new Random(1);
        for (int round = 0; round < ROUNDS; round++) {
            List<PruneCandidate> in = randomCandidates(r);
            int n = 1 + r.nextInt(12);
            Set<String> kept = keptNames(List.of(new KeepRule.LastN(n, A)), in);
            List<PruneCandidate> matching =
                    in.stream().filter(c -> c.name().startsWith("a")).toList();
            assertEquals(Math.min(n, matching.size()), kept.size());
            for (PruneCandidate k : in) {
                if (!kept.contains(k.name())) continue;
                assertTrue(k.name().startsWith("a"), "kept non-matching " + k);
                for (PruneCandidate d : matching) {
                    if (!kept.contains(d.name())) {
                        assertTrue(KeepRules.NEWEST_FIRST.compare(k, d) < 0, k + " kept but newer " + d + " not");
                    }
                }
            }
        }
    }

    @Test
    void gridMatchesANaiveModelAndNeverExceedsKeep() {
        Random r = new Random(2);
        for (int round = 0; round < ROUNDS; round++) {
            List<PruneCandidate> in = randomCandidates(r);
            List<GridInterval> grid = randomGrid(r);
            Set<String> kept = keptNames(List.of(new KeepRule.Grid(A, grid)), in);
            assertEquals(naiveGrid(grid, in), kept, "grid " + grid + " on " + in);
        }
    }

    /** Age-based model: interval b holds ages in [sum of lengths before b, sum including b). */
    private static Set<String> naiveGrid(List<GridInterval> grid, List<PruneCandidate> in) {
        List<PruneCandidate> matching =
                in.stream().filter(c -> c.name().startsWith("a")).toList();
        Set<String> kept = new HashSet<>();
        if (matching.isEmpty()) return kept;
        long now = matching.stream()
                .mapToLong(c -> c.creation().getEpochSecond())
                .max()
                .orElseThrow();
        Map<Integer, List<PruneCandidate>> buckets = new HashMap<>();
        for (PruneCandidate c : matching) {
            long age = now - c.creation().getEpochSecond();
            long edge = 0;
            for (int b = 0; b < grid.size(); b++) {
                long next = edge + grid.get(b).length().getSeconds();
                if (age >= edge && age < next) {
                    buckets.computeIfAbsent(b, x -> new ArrayList<>()).add(c);
                    break;
                }
                edge = next;
            }
        }
        buckets.forEach((b, members) -> {
            int keep = grid.get(b).keep();
            List<PruneCandidate> sorted = new ArrayList<>(members);
            sorted.sort(KeepRules.NEWEST_FIRST.reversed());
            int limit = keep == GridInterval.KEEP_ALL ? sorted.size() : Math.min(keep, sorted.size());
            assertTrue(limit <= sorted.size());
            sorted.subList(0, limit).forEach(c -> kept.add(c.name()));
        });
        return kept;
    }

    @Test
    void gridKeepsAtMostKeepPerIntervalAndAlwaysSomethingWhenAnythingMatches() {
        Random r = new Random(3);
        for (int round = 0; round < ROUNDS; round++) {
            List<PruneCandidate> in = randomCandidates(r);
            List<GridInterval> grid = randomGrid(r);
            Set<String> kept = keptNames(List.of(new KeepRule.Grid(A, grid)), in);
            int maxKept = 0;
            for (GridInterval g : grid) {
                maxKept = g.keep() == GridInterval.KEEP_ALL || maxKept == Integer.MAX_VALUE
                        ? Integer.MAX_VALUE
                        : maxKept + g.keep();
            }
            assertTrue(kept.size() <= maxKept);
            boolean anyMatching = in.stream().anyMatch(c -> c.name().startsWith("a"));
            assertEquals(anyMatching, !kept.isEmpty(), "the first interval always holds the newest");
        }
    }

    @Test
    void notReplicatedNeverDestroysWhatTheReceiverMayLack() {
        Random r = new Random(4);
        for (int round = 0; round < ROUNDS; round++) {
            List<PruneCandidate> in = randomCandidates(r);
            Set<String> kept = keptNames(List.of(new KeepRule.NotReplicated(r.nextBoolean())), in);
            for (PruneCandidate c : in) {
                if (!Boolean.TRUE.equals(c.replicated())) {
                    assertTrue(kept.contains(c.name()), c + " destroyed");
                }
            }
        }
    }

    @Test
    void resultIsTheUnionOfSingleRulesAndIndependentOfInputOrder() {
        Random r = new Random(5);
        for (int round = 0; round < ROUNDS; round++) {
            List<PruneCandidate> in = randomCandidates(r);
            List<KeepRule> rules = new ArrayList<>();
            int n = r.nextInt(4);
            for (int i = 0; i < n; i++) {
                rules.add(randomRule(r));
            }
            Set<String> kept = keptNames(rules, in);
            if (rules.isEmpty()) {
                // zrepl: no rules keep everything; the union of no rules would be nothing
                assertEquals(in.size(), kept.size());
                continue;
            }
            Set<String> union = new HashSet<>();
            for (KeepRule rule : rules) {
                union.addAll(keptNames(List.of(rule), in));
            }
            assertEquals(union, kept, rules.toString());

            List<PruneCandidate> shuffled = new ArrayList<>(in);
            Collections.shuffle(shuffled, r);
            assertEquals(kept, keptNames(rules, shuffled), rules.toString());
            List<KeepRule> reordered = new ArrayList<>(rules);
            Collections.reverse(reordered);
            assertEquals(kept, keptNames(reordered, in), rules.toString());
        }
    }

    @Test
    void explainAgreesWithKeepAndNamesTheFirstRuleThatKeeps() {
        Random r = new Random(6);
        for (int round = 0; round < ROUNDS; round++) {
            List<PruneCandidate> in = randomCandidates(r);
            List<KeepRule> rules = new ArrayList<>();
            int n = 1 + r.nextInt(3);
            for (int i = 0; i < n; i++) {
                rules.add(randomRule(r));
            }
            List<Boolean> keep = KeepRules.keep(rules, in);
            List<Integer> why = KeepRules.explain(rules, in);
            assertEquals(in.size(), why.size());
            for (int i = 0; i < in.size(); i++) {
                assertEquals(keep.get(i), why.get(i) >= 0, rules + " on " + in.get(i));
                for (int earlier = 0; earlier < Math.max(0, why.get(i)); earlier++) {
                    assertTrue(
                            !keptNames(List.of(rules.get(earlier)), in)
                                    .contains(in.get(i).name()),
                            "rule " + earlier + " keeps " + in.get(i) + " but explain says " + why.get(i));
                }
                if (why.get(i) >= 0) {
                    assertTrue(keptNames(List.of(rules.get(why.get(i))), in)
                            .contains(in.get(i).name()));
                }
            }
        }
    }
}
