package dev.zreplj.config;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A loaded, validated configuration file.
 *
 * @param warnings one line each, {@code FILE:LINE:COLUMN: message}: keys of zrepl's schema that zreplj
 *                 reads but does not act on, with what to use instead
 * @param connectOrigins per push job's name, {@code FILE:LINE:COLUMN} of its {@code connect}: where checks
 *                 that only the SSH client can make ({@code configcheck}'s) point
 */
public record Config(
        Path file, Global global, List<Job> jobs, List<String> warnings, Map<String, String> connectOrigins) {
    public Config {
        jobs = List.copyOf(jobs);
        warnings = List.copyOf(warnings);
        connectOrigins = Map.copyOf(connectOrigins);
    }

    public Config(Path file, Global global, List<Job> jobs) {
        this(file, global, jobs, List.of(), Map.of());
    }

    /** {@code FILE:LINE:COLUMN} of the job's {@code connect}, or the config file's name where it is not known. */
    public String connectOrigin(String job) {
        return connectOrigins.getOrDefault(job, file.toString());
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
