package dev.zreplj.prune;

/**
 * What pruning does with one snapshot and why. {@code reason} names the rule that keeps it, or the
 * safety guard that keeps it although no rule does ({@code overridesRules}); empty for a destroy.
 */
public record Decision(String name, long guid, boolean destroy, String reason, boolean overridesRules) {
    static Decision destroy(String name, long guid) {
        return new Decision(name, guid, true, "", false);
    }

    static Decision keep(String name, long guid, String reason, boolean overridesRules) {
        return new Decision(name, guid, false, reason, overridesRules);
    }
}
