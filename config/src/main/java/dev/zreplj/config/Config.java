package dev.zreplj.config;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * A loaded, validated configuration file.
 *
 * @param warnings one line each, {@code FILE:LINE:COLUMN: message}: keys of zrepl's schema that zreplj
 *                 reads but does not act on, with what to use instead
 */
public record Config(Path file, Global global, List<Job> jobs, List<String> warnings) {
    public Config {
        jobs = List.copyOf(jobs);
        warnings = List.copyOf(warnings);
    }

    public Config(Path file, Global global, List<Job> jobs) {
        this(file, global, jobs, List.of());
    }

    public Optional<Job> job(String name) {
        return jobs.stream().filter(j -> j.name().equals(name)).findFirst();
    }

    public List<PushJob> pushJobs() {
        return jobs.stream()
                .filter(PushJob.class::isInstance)
                .map(PushJob.class::cast)
                .toList();
    }

    public List<SinkJob> sinkJobs() {
        return jobs.stream()
                .filter(SinkJob.class::isInstance)
                .map(SinkJob.class::cast)
                .toList();
    }
}
