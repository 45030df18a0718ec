package dev.zreplj.prune;

import dev.zreplj.protocol.DestroyResult;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * How pruning one filesystem on one side went: the plan, what is gone, what the box refused (its
 * keep_floor, a moved snapshot: reported, not a failure), and the error that stopped it, if any.
 */
public record FilesystemPruneResult(
        FilesystemPrunePlan plan,
        boolean dryRun,
        List<String> destroyed,
        List<DestroyResult.Refusal> refused,
        String error) {
    /**
     * In a pass's summary, the names a "destroyed" line shows and the refusals that get a line each; the rest are
     * counted. A hundred: a day of 15-minute snapshots still shows whole (what a pass that ends an interrupted prune
     * finishes, PruneIT reads it), and a line stays a few KiB. A first pass after a migration destroys thousands,
     * and a keep_floor refuses a week of snapshots on every pass: one line of thousands of names, or thousands of
     * lines, would bury the summary (and cron's mail).
     */
    static final int SUMMARY_NAMES = 100;

    static final int SUMMARY_REFUSALS = 3;

    public FilesystemPruneResult {
        destroyed = List.copyOf(destroyed);
        refused = List.copyOf(refused);
    }

    public boolean failed() {
        return error != null;
    }

    /** The report: what went (or would go), then what stayed grouped by why, then refusals and the error. */
    public List<String> lines() {
        return lines(true);
    }

    /** @param kept also the "kept by" lines, which a pass would otherwise repeat for every rule every time */
    public List<String> lines(boolean kept) {
        String head = "prune " + plan.side() + " " + plan.filesystem() + ": ";
        List<String> out = new ArrayList<>();
        if (plan.skipped() != null) {
            out.add(head + "skipped: " + plan.skipped());
            return out;
        }
        List<String> gone =
                dryRun ? plan.toDestroy().stream().map(Decision::name).toList() : destroyed;
        if (!gone.isEmpty()) {
            out.add(head + (dryRun ? "would destroy " : "destroyed ") + (kept ? names(gone) : fewNames(gone)));
        }
        Map<String, List<String>> keptBy = new LinkedHashMap<>();
        for (Decision d : plan.decisions()) {
            if (!d.destroy()) {
                String why = d.overridesRules() ? d.reason() + " (no rule keeps it; never destroyed)" : d.reason();
                keptBy.computeIfAbsent(why, k -> new ArrayList<>()).add(d.name());
            }
        }
        if (kept) {
            keptBy.forEach((why, names) -> out.add(head + "kept by " + why + ": " + names(names)));
        }
        int named = kept ? refused.size() : Math.min(SUMMARY_REFUSALS, refused.size());
        for (DestroyResult.Refusal r : refused.subList(0, named)) {
            out.add(head + "refused by the backup box: @" + r.name() + ": " + r.reason());
        }
        if (named < refused.size()) {
            List<DestroyResult.Refusal> rest = refused.subList(named, refused.size());
            out.add(head + "refused by the backup box: " + rest.size() + " more (@"
                    + rest.get(0).name()
                    + (rest.size() > 1 ? " ... @" + rest.get(rest.size() - 1).name() : "") + "), the first because: "
                    + rest.get(0).reason());
        }
        if (error != null) {
            out.add(head + "failed: " + error);
        }
        if (out.isEmpty() && kept) {
            out.add(head + "no snapshots");
        }
        return out;
    }

    private static String fewNames(List<String> names) {
        if (names.size() <= SUMMARY_NAMES) {
            return names(names);
        }
        return names(names.subList(0, SUMMARY_NAMES)) + " and " + (names.size() - SUMMARY_NAMES) + " more";
    }

    private static String names(List<String> names) {
        StringBuilder sb = new StringBuilder();
        for (String n : names) {
            sb.append(sb.length() == 0 ? "@" : " @").append(n);
        }
        return sb.toString();
    }
}
