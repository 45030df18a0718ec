package dev.zreplj.prune;

import java.util.List;

/**
 * The decisions for one filesystem on one side, in the listing's order (oldest first). {@code skipped}
 * is set when the filesystem is left alone as a whole, and says why.
 */
public record FilesystemPrunePlan(Side side, String filesystem, List<Decision> decisions, String skipped) {
    public FilesystemPrunePlan {
        decisions = List.copyOf(decisions);
    }

    public List<Decision> toDestroy() {
        return decisions.stream().filter(Decision::destroy).toList();
    }
}
