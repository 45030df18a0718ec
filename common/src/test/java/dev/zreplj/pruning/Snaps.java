package dev.zreplj.pruning;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/** Test helpers: compact candidates and the names a rule list keeps. */
final class Snaps {
    static final Instant T0 = Instant.ofEpochSecond(1_700_000_000L);

    private Snaps() {}

    static PruneCandidate at(String name, long secondsAfterT0) {
        return new PruneCandidate(name, T0.plusSeconds(secondsAfterT0), null);
    }

    static PruneCandidate at(String name, long secondsAfterT0, Boolean replicated) {
        return new PruneCandidate(name, T0.plusSeconds(secondsAfterT0), replicated);
    }

    /** Names kept, in input order. */
    static List<String> kept(List<KeepRule> rules, List<PruneCandidate> candidates) {
        List<Boolean> flags = KeepRules.keep(rules, candidates);
        List<String> names = new ArrayList<>();
        for (int i = 0; i < candidates.size(); i++) {
            if (flags.get(i)) {
                names.add(candidates.get(i).name());
            }
        }
        return names;
    }

    static List<String> kept(KeepRule rule, List<PruneCandidate> candidates) {
        return kept(List.of(rule), candidates);
    }

    static KeepRule.Grid grid(String regex, String spec) {
        return new KeepRule.Grid(Pattern.compile(regex), GridSpec.parse(spec));
    }

    static KeepRule.LastN lastN(int n, String regex) {
        return new KeepRule.LastN(n, regex == null ? null : Pattern.compile(regex));
    }

    static KeepRule.Regex regex(String regex, boolean negate) {
        return new KeepRule.Regex(Pattern.compile(regex), negate);
    }
}
