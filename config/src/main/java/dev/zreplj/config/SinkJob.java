package dev.zreplj.config;

import dev.zreplj.pruning.KeepRule;
import dev.zreplj.zfs.DatasetName;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * @param keepFloor zreplj's {@code policy.keep_floor}: snapshots these rules keep are never destroyed at a
 *                  client's request (empty: no floor; an explicit
 *                  {@code keep_floor: []} arrives as a rule keeping everything)
 * @param limits    zreplj's {@code serve.zreplj}: timeouts and per-client caps
 * @param restore   {@code serve.restore}: whether clients may have their own backups sent back (default true)
 * @param listenerName {@code serve: {type: local}}'s listener: the sink serves the push jobs of its own config that
 *                  connect to it (its clients are their {@code client_identity}s), and only through the agent's
 *                  local transport, never an SSH forced command; null for {@code type: stdinserver}
 */
public record SinkJob(
        String name,
        DatasetName rootFs,
        List<String> clientIdentities,
        RecvOptions recv,
        List<KeepRule> keepFloor,
        ServeLimits limits,
        boolean restore,
        @Nullable String listenerName)
        implements Job {
    public SinkJob {
        clientIdentities = List.copyOf(clientIdentities);
        keepFloor = List.copyOf(keepFloor);
    }

    /** A {@code stdinserver} sink. */
    public SinkJob(
            String name,
            DatasetName rootFs,
            List<String> clientIdentities,
            RecvOptions recv,
            List<KeepRule> keepFloor,
            ServeLimits limits,
            boolean restore) {
        this(name, rootFs, clientIdentities, recv, keepFloor, limits, restore, null);
    }

    /** Whether the sink serves the local transport (its clients are push jobs of the same config). */
    public boolean isLocal() {
        return listenerName != null;
    }

    /** The same sink serving {@code clients}. */
    SinkJob withClients(List<String> clients) {
        return new SinkJob(name, rootFs, clients, recv, keepFloor, limits, restore, listenerName);
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
