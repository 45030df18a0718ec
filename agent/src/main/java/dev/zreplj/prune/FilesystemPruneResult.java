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
            out.add(head + (dryRun ? "would destroy " : "destroyed ") + names(gone));
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
        for (DestroyResult.Refusal r : refused) {
            out.add(head + "refused by the backup box: @" + r.name() + ": " + r.reason());
        }
        if (error != null) {
            out.add(head + "failed: " + error);
        }
        if (out.isEmpty() && kept) {
            out.add(head + "no snapshots");
        }
        return out;
    }

    private static String names(List<String> names) {
        StringBuilder sb = new StringBuilder();
        for (String n : names) {
            sb.append(sb.length() == 0 ? "@" : " @").append(n);
        }
        return sb.toString();
    }
}
