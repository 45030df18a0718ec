package dev.zreplj.cli;

import dev.zreplj.config.Config;
import dev.zreplj.config.SinkJob;
import java.util.List;
import java.util.Optional;

/**
 * Clients the config names only as a local push job's {@code client_identity}: the agent serves them through its
 * local transport, and every forced command refuses them, so the SSH-key commands have nothing to do for them.
 */
final class LocalClients {
    private LocalClients() {}

    /** The local sink job that serves {@code client}, when no SSH sink of the config serves it too. */
    static Optional<SinkJob> localOnly(Config config, String client) {
        List<SinkJob> serving = config.sinkJobs().stream()
                .filter(j -> j.clientIdentities().contains(client))
                .toList();
        return !serving.isEmpty() && serving.stream().allMatch(SinkJob::isLocal)
                ? Optional.of(serving.get(0))
                : Optional.empty();
    }

    /** "client 'C' is the client_identity of a local push job to sink job 'S' (local listener 'L'), ...". */
    static String describe(String client, SinkJob sink) {
        return "client '" + client + "' is the client_identity of a local push job to sink job '" + sink.name()
                + "' (local listener '" + sink.listenerName() + "'), which the agent reaches without SSH";
    }
}
