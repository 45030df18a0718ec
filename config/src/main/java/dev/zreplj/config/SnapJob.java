package dev.zreplj.config;

import dev.zreplj.pruning.KeepRule;
import java.util.List;

/**
 * zrepl's {@code type: snap} job: snapshots on a schedule and prunes this machine's snapshots by {@code keep}; it
 * replicates nothing, so it has no box, no cursor of its own and no {@code not_replicated} rule.
 *
 * @param keep zrepl's {@code pruning.keep}; empty keeps everything, as in zrepl
 */
public record SnapJob(String name, FilesystemFilter filesystems, Snapshotting snapshotting, List<KeepRule> keep)
        implements Job {
    public SnapJob {
        keep = List.copyOf(keep);
    }
}
