package dev.zreplj.metrics;

import dev.zreplj.config.SinkJob;
import dev.zreplj.stdinserver.ClientStatusFile;
import dev.zreplj.stdinserver.ClientStatusFile.ClientStatus;
import dev.zreplj.stdinserver.ClientStatusFile.Failed;
import dev.zreplj.stdinserver.ClientStatusFile.Received;
import dev.zreplj.stdinserver.ReceiveTotals;
import io.prometheus.metrics.model.registry.MultiCollector;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The box's metrics, per client of every sink job (those in {@code client_identities} that never
 * connected too, with a last receive of 0), read from the files stdinserver writes: the same facts as
 * {@code zreplj status} on the box, by the box's clock.
 */
public final class BoxMetrics implements MultiCollector {
    private static final Logger log = LoggerFactory.getLogger(BoxMetrics.class);

    private final Path stateDir;
    private final List<SinkJob> jobs;

    public BoxMetrics(Path stateDir, List<SinkJob> jobs) {
        this.stateDir = stateDir;
        this.jobs = List.copyOf(jobs);
    }

    @Override
    public MetricSnapshots collect() {
        MetricFamilies m = new MetricFamilies()
                .gauge(
                        "zreplj_box_client_last_received_timestamp_seconds",
                        "When the box last completed a receive of the client, by its own clock (0: never).")
                .gauge("zreplj_box_client_filesystems", "The client's filesystems the box has received.")
                .gauge(
                        "zreplj_box_last_received_timestamp_seconds",
                        "When the box last completed a receive into the client's filesystem, by its own clock.")
                .counter("zreplj_box_receives", "Receives the box completed into the client's filesystem.")
                .counter(
                        "zreplj_box_received_bytes",
                        "Stream bytes of the box's completed receives into the filesystem.")
                .gauge(
                        "zreplj_box_receive_failed_timestamp_seconds",
                        "When a receive into the filesystem last failed for a cause only the box's admin can remedy"
                                + " (kind no_space: the jail's quota or the pool is full); absent once one completes.");
        for (SinkJob job : jobs) {
            for (String client : job.clientIdentities()) {
                // Each file gives what it can: an unreadable one leaves out its own series, not the client's others.
                ReceiveTotals.ClientTotals totals;
                try {
                    totals = ReceiveTotals.read(stateDir, client);
                } catch (IOException e) {
                    log.warn("metrics: client {}: {}", client, e.getMessage());
                    totals = new ReceiveTotals.ClientTotals(client, Map.of());
                }
                ClientStatus status;
                try {
                    status = ClientStatusFile.read(stateDir, client);
                } catch (IOException e) {
                    log.warn(
                            "metrics: client {}: {}: {} (the next receive replaces it)",
                            client,
                            ClientStatusFile.path(stateDir, client),
                            e.getMessage());
                    addTotals(m, job, client, totals);
                    continue;
                }
                Map<String, Received> filesystems = status == null ? Map.of() : status.filesystems();
                long newest = 0;
                for (Map.Entry<String, Received> e : filesystems.entrySet()) {
                    Long at = epochSeconds(e.getValue().received());
                    if (at != null) {
                        newest = Math.max(newest, at);
                        m.add(
                                "zreplj_box_last_received_timestamp_seconds",
                                at,
                                "zreplj_job",
                                job.name(),
                                "client",
                                client,
                                "filesystem",
                                e.getKey());
                    }
                }
                for (Map.Entry<String, Failed> e : status == null
                        ? List.<Map.Entry<String, Failed>>of()
                        : status.failed().entrySet()) {
                    Long at = epochSeconds(e.getValue().at());
                    if (at != null) {
                        m.add(
                                "zreplj_box_receive_failed_timestamp_seconds",
                                at,
                                "zreplj_job",
                                job.name(),
                                "client",
                                client,
                                "filesystem",
                                e.getKey(),
                                "kind",
                                "no_space");
                    }
                }
                m.add(
                        "zreplj_box_client_last_received_timestamp_seconds",
                        newest,
                        "zreplj_job",
                        job.name(),
                        "client",
                        client);
                m.add("zreplj_box_client_filesystems", filesystems.size(), "zreplj_job", job.name(), "client", client);
                addTotals(m, job, client, totals);
            }
        }
        return m.snapshots();
    }

    private static void addTotals(MetricFamilies m, SinkJob job, String client, ReceiveTotals.ClientTotals totals) {
        totals.filesystems().forEach((fs, t) -> {
            m.add("zreplj_box_receives", t.receives(), "zreplj_job", job.name(), "client", client, "filesystem", fs);
            m.add("zreplj_box_received_bytes", t.bytes(), "zreplj_job", job.name(), "client", client, "filesystem", fs);
        });
    }

    private static Long epochSeconds(String iso) {
        try {
            return iso == null ? null : Instant.parse(iso).getEpochSecond();
        } catch (DateTimeParseException e) {
            return null;
        }
    }
}
