package dev.zreplj.config;

import dev.zreplj.pruning.KeepRule;
import dev.zreplj.zfs.DatasetName;
import java.util.List;

/**
 * @param keepFloor zreplj's {@code policy.keep_floor}: snapshots these rules keep are never destroyed at a
 *                  client's request (empty: no floor; an explicit
 *                  {@code keep_floor: []} arrives as a rule keeping everything)
 * @param limits    zreplj's {@code serve.zreplj}: timeouts and per-client caps
 * @param restore   {@code serve.restore}: whether clients may have their own backups sent back (default true)
 */
public record SinkJob(
        String name,
        DatasetName rootFs,
        List<String> clientIdentities,
        RecvOptions recv,
        List<KeepRule> keepFloor,
        ServeLimits limits,
        boolean restore)
        implements Job {
    public SinkJob {
        clientIdentities = List.copyOf(clientIdentities);
        keepFloor = List.copyOf(keepFloor);
    }

    /** Restores allowed. */
    public SinkJob(
            String name,
            DatasetName rootFs,
            List<String> clientIdentities,
            RecvOptions recv,
            List<KeepRule> keepFloor,
            ServeLimits limits) {
        this(name, rootFs, clientIdentities, recv, keepFloor, limits, true);
    }

    /** With the default {@link ServeLimits}. */
    public SinkJob(
            String name,
            DatasetName rootFs,
            List<String> clientIdentities,
            RecvOptions recv,
            List<KeepRule> keepFloor) {
        this(name, rootFs, clientIdentities, recv, keepFloor, ServeLimits.defaults());
    }

    /** The client's jail: {@code <root_fs>/<client>}. */
    public DatasetName jail(String clientIdentity) {
        return rootFs.child(clientIdentity);
    }
}
