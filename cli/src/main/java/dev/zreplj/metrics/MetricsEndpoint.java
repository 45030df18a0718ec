package dev.zreplj.metrics;

import dev.zreplj.config.PrometheusListener;
import io.prometheus.metrics.exporter.httpserver.HTTPServer;
import io.prometheus.metrics.model.registry.MultiCollector;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * zrepl's {@code global.monitoring} Prometheus endpoints, served by {@code agent run} on
 * {@code /metrics}; every scrape reads the state files afresh ({@link AgentMetrics}).
 */
public final class MetricsEndpoint implements AutoCloseable {
    private final List<HTTPServer> servers;

    private MetricsEndpoint(List<HTTPServer> servers) {
        this.servers = servers;
    }

    /** @throws IOException naming the listen address that could not be bound */
    public static MetricsEndpoint start(List<PrometheusListener> listeners, MultiCollector metrics) throws IOException {
        PrometheusRegistry registry = new PrometheusRegistry();
        registry.register(metrics);
        List<HTTPServer> started = new ArrayList<>();
        try {
            for (PrometheusListener l : listeners) {
                HTTPServer.Builder b = HTTPServer.builder().port(l.port()).registry(registry);
                if (l.host() != null) {
                    b.hostname(l.host());
                }
                try {
                    started.add(b.buildAndStart());
                } catch (IOException e) {
                    throw new IOException(
                            "global.monitoring: cannot listen on '" + l.listen() + "': " + e.getMessage()
                                    + "; is another process using the port?",
                            e);
                }
            }
        } catch (IOException | RuntimeException e) {
            started.forEach(HTTPServer::close);
            throw e;
        }
        return new MetricsEndpoint(started);
    }

    /** The ports actually bound, in config order (port 0 picks a free one). */
    public List<Integer> ports() {
        return servers.stream().map(HTTPServer::getPort).toList();
    }

    @Override
    public void close() {
        servers.forEach(HTTPServer::close);
    }
}
