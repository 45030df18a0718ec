package dev.zreplj.config;

import dev.zreplj.pruning.KeepRule;
import dev.zreplj.zfs.DatasetName;
import java.util.List;

/**
 * @param keepFloor zreplj's {@code policy.keep_floor}: snapshots these rules keep are never destroyed at a
 *                  client's request (empty: no floor; an explicit
 *                  {@code keep_floor: []} arrives as a rule keeping everything)
 */
public record SinkJob(String name, DatasetName rootFs, List<String> clientIdentities, RecvOptions recv,
                      List<KeepRule> keepFloor) implements Job {
    public SinkJob {
        clientIdentities = List.copyOf(clientIdentities);
        keepFloor = List.copyOf(keepFloor);
    }

    /** The client's jail: {@code <root_fs>/<client>}. */
    public DatasetName jail(String clientIdentity) {
        return rootFs.child(clientIdentity);
    }
}
