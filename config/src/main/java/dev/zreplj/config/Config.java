package dev.zreplj.config;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/** A loaded, validated configuration file. */
public record Config(Path file, Global global, List<Job> jobs) {
    public Config {
        jobs = List.copyOf(jobs);
    }

    public Optional<Job> job(String name) {
        return jobs.stream().filter(j -> j.name().equals(name)).findFirst();
    }

    public List<PushJob> pushJobs() {
        return jobs.stream().filter(PushJob.class::isInstance).map(PushJob.class::cast).toList();
    }

    public List<SinkJob> sinkJobs() {
        return jobs.stream().filter(SinkJob.class::isInstance).map(SinkJob.class::cast).toList();
    }
}
