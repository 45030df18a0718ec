package dev.zreplj.metrics;

import dev.zreplj.config.PrometheusListener;
import io.prometheus.metrics.exporter.httpserver.HTTPServer;
import io.prometheus.metrics.exporter.httpserver.HttpErrorHandlingPolicy;
import io.prometheus.metrics.model.registry.MultiCollector;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * zrepl's {@code global.monitoring} Prometheus endpoints, served by {@code agent run} on
 * {@code /metrics}; every scrape reads the state files afresh ({@link AgentMetrics}).
 */
public final class MetricsEndpoint implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(MetricsEndpoint.class);

    /**
     * Without a reporter the exporter logs through java.util.logging: a SEVERE record with its stack trace, about
     * 30 lines on stderr (the journal) for every client that hangs up before its response is written, which any
     * host that reaches the port can repeat at will (and so push the agent's own messages past journald's rate
     * limit); and nothing at all when collecting fails, the scrape only getting a 500. One line each instead.
     */
    private static final HttpErrorHandlingPolicy ERRORS = HttpErrorHandlingPolicy.builder()
            .errorReporter(MetricsEndpoint::report)
            .build();

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
                HTTPServer.Builder b =
                        HTTPServer.builder().port(l.port()).registry(registry).errorHandlingPolicy(ERRORS);
                if (l.host() != null) {
                    b.hostname(l.host());
                }
                try {
                    started.add(b.buildAndStart());
                } catch (IOException e) {
                    throw new IOException(
                            "global.monitoring: cannot listen on '" + l.listen() + "': " + e.getMessage() + hint(e), e);
                }
            }
        } catch (IOException | RuntimeException e) {
            started.forEach(HTTPServer::close);
            throw e;
        }
        return new MetricsEndpoint(started);
    }

    /** Each cause its own hint: "another process using the port" sent the admin of a mistyped address astray. */
    private static String hint(IOException e) {
        String m = String.valueOf(e.getMessage());
        if (m.contains("already in use")) {
            return "; is another process using the port?";
        }
        if (m.contains("Cannot assign requested address")) {
            return "; is the host an address of this machine? (start 'agent run' after the address exists:"
                    + " listen_freebind has no effect in zreplj)";
        }
        if (m.contains("Unresolved address")) {
            return "; the host name does not resolve";
        }
        return "";
    }

    static void report(Exception e) {
        if (e instanceof IOException) {
            // The client left (a scrape timeout, a port scanner): nothing the agent can or should do.
            log.debug("metrics: a scrape ended early: {}", e.toString());
        } else {
            log.warn("metrics: a scrape failed (500): {}", e.toString());
        }
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
