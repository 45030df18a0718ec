package dev.zreplj.metrics;

import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.CounterSnapshot.CounterDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot.GaugeDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Collects data points by metric family while the state files are read, then hands them to the
 * Prometheus client as snapshots; a family is declared once (name, help, type) and every point of it
 * then only gives its labels and value.
 */
final class MetricFamilies {
    private record Family(String help, boolean counter, List<Object> points) {}

    private final Map<String, Family> families = new LinkedHashMap<>();

    /** Declares a gauge; its name carries its unit ({@code _seconds}, {@code _bytes}) by convention. */
    MetricFamilies gauge(String name, String help) {
        families.put(name, new Family(help, false, new ArrayList<>()));
        return this;
    }

    /** Declares a counter: {@code name} without {@code _total}, which the exposition adds. */
    MetricFamilies counter(String name, String help) {
        families.put(name, new Family(help, true, new ArrayList<>()));
        return this;
    }

    /**
     * A count, byte total or epoch second: exact as a double below 2^53 (about 9 PB, or 285 million years),
     * which none of them reaches.
     */
    void add(String name, long value, String... labels) {
        add(name, (double) value, labels);
    }

    /** @param labels name, value, name, value, ... */
    void add(String name, double value, String... labels) {
        Family f = families.get(name);
        if (f == null) {
            throw new IllegalArgumentException("undeclared metric " + name);
        }
        f.points()
                .add(
                        f.counter()
                                ? CounterDataPointSnapshot.builder()
                                        .value(value)
                                        .labels(Labels.of(labels))
                                        .build()
                                : GaugeDataPointSnapshot.builder()
                                        .value(value)
                                        .labels(Labels.of(labels))
                                        .build());
    }

    /** Families without any point are left out: a box without clients has no per-client family. */
    MetricSnapshots snapshots() {
        List<MetricSnapshot> out = new ArrayList<>();
        families.forEach((name, f) -> {
            if (f.points().isEmpty()) {
                return;
            }
            if (f.counter()) {
                CounterSnapshot.Builder b = CounterSnapshot.builder().name(name).help(f.help());
                f.points().forEach(p -> b.dataPoint((CounterDataPointSnapshot) p));
                out.add(b.build());
            } else {
                GaugeSnapshot.Builder b = GaugeSnapshot.builder().name(name).help(f.help());
                f.points().forEach(p -> b.dataPoint((GaugeDataPointSnapshot) p));
                out.add(b.build());
            }
        });
        return new MetricSnapshots(out);
    }
}
