package dev.zreplj.prune;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * A pruning run of one job: per filesystem and side. {@code receiverSkipped} says why the receiver was
 * not pruned at all (the box unreachable), null when it was; {@code error} is a failure before any
 * filesystem was looked at (listing the sender failed).
 */
public record PruneReport(
        boolean dryRun, List<FilesystemPruneResult> filesystems, String receiverSkipped, String error) {
    public PruneReport {
        filesystems = List.copyOf(filesystems);
    }

    /**
     * Destroys that failed, a sender that could not be listed, or a receiver that could not be reached.
     * Refusals by the box are its policy at work, not failures.
     */
    public boolean failed() {
        return error != null || receiverSkipped != null || filesystems.stream().anyMatch(FilesystemPruneResult::failed);
    }

    /**
     * One line saying what failed, for the pass's stage failures; empty when nothing did.
     *
     * @param withSkip also the receiver not pruned; false when the pass reported the box gone already
     */
    public Optional<String> failureLine(boolean withSkip) {
        List<String> parts = new ArrayList<>();
        if (error != null) {
            parts.add("the sender could not be listed: " + error);
        }
        List<FilesystemPruneResult> failed =
                filesystems.stream().filter(FilesystemPruneResult::failed).toList();
        if (!failed.isEmpty()) {
            FilesystemPruneResult first = failed.get(0);
            parts.add(failed.size() + " destroy" + (failed.size() == 1 ? "" : "s") + " failed ("
                    + first.plan().side() + " " + first.plan().filesystem() + ": " + first.error() + ")");
        }
        if (receiverSkipped != null && withSkip) {
            parts.add("the receiver was not pruned: " + receiverSkipped);
        }
        return parts.isEmpty() ? Optional.empty() : Optional.of(String.join("; ", parts));
    }

    public int destroyedCount() {
        return filesystems.stream()
                .mapToInt(f ->
                        f.dryRun() ? f.plan().toDestroy().size() : f.destroyed().size())
                .sum();
    }

    public int refusedCount() {
        return filesystems.stream().mapToInt(f -> f.refused().size()).sum();
    }

    public List<String> lines() {
        return lines(true);
    }

    /** @param kept also why each remaining snapshot was kept; without it only what changed or failed */
    public List<String> lines(boolean kept) {
        List<String> out = new ArrayList<>();
        if (error != null) {
            out.add("prune: failed: " + error);
        }
        for (FilesystemPruneResult f : filesystems) {
            out.addAll(f.lines(kept));
        }
        if (receiverSkipped != null) {
            out.add("prune receiver: skipped: " + receiverSkipped);
        }
        return out;
    }
}
