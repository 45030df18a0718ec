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
 * @param checkOrigins per job's name, {@code FILE:LINE:COLUMN} of what {@code configcheck} checks beyond the file
 *                 and points at: a push job's {@code connect} (what only the SSH client can judge), a sink job's
 *                 {@code recv.properties} (what only the box's zfs can apply)
 */
public record Config(
        Path file, Global global, List<Job> jobs, List<String> warnings, Map<String, String> checkOrigins) {
    public Config {
        jobs = List.copyOf(jobs);
        warnings = List.copyOf(warnings);
        checkOrigins = Map.copyOf(checkOrigins);
    }

    public Config(Path file, Global global, List<Job> jobs) {
        this(file, global, jobs, List.of(), Map.of());
    }

    /**
     * {@code FILE:LINE:COLUMN} of what configcheck judges beyond the file for the job (a push job's {@code connect},
     * a sink job's {@code recv.properties}), or the config file's name where it is not known.
     */
    public String checkOrigin(String job) {
        return checkOrigins.getOrDefault(job, file.toString());
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

    public List<SnapJob> snapJobs() {
        return jobs.stream()
                .filter(SnapJob.class::isInstance)
                .map(SnapJob.class::cast)
                .toList();
    }

    public List<SinkJob> sinkJobs() {
        return jobs.stream()
                .filter(SinkJob.class::isInstance)
                .map(SinkJob.class::cast)
                .toList();
    }
}
