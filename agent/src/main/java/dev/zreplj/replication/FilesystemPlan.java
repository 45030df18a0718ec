package dev.zreplj.replication;

import dev.zreplj.zfs.DatasetName;
import java.util.List;

/** What replication will do for one filesystem; computed without touching ZFS or the network. */
public sealed interface FilesystemPlan {
    DatasetName filesystem();

    /** The receiver has the sender's newest snapshot already. */
    record UpToDate(DatasetName filesystem, String newest) implements FilesystemPlan {}

    /** The sender has no snapshot yet: nothing can be sent. */
    record NoSnapshots(DatasetName filesystem) implements FilesystemPlan {}

    /** {@code events}: what planning decided that the report should say (a discarded partial receive). */
    record Replicate(DatasetName filesystem, List<Step> steps, List<String> events) implements FilesystemPlan {
        public Replicate {
            if (steps.isEmpty()) throw new IllegalArgumentException("a replicate plan needs steps");
            steps = List.copyOf(steps);
            events = List.copyOf(events);
        }

        public Replicate(DatasetName filesystem, List<Step> steps) {
            this(filesystem, steps, List.of());
        }
    }

    /** The receiver diverged or the policy forbids the needed send; nothing is done to it. */
    record Conflict(DatasetName filesystem, String reason) implements FilesystemPlan {}
}
