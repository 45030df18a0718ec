package dev.zreplj.status;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;

/**
 * What {@code zreplj status --json} prints, on the agent and on the box alike (schema
 * {@value #SCHEMA}; {@code docs/cli.md} documents it). Timestamps are ISO-8601 UTC strings, ages whole
 * seconds by the clock of the machine that runs {@code status}, and anything unknown is null. Every
 * entry carries its own {@code status} and the {@code problems} that made it so (empty when OK).
 */
public record StatusReport(
        int schema,
        String checked,
        Level status,
        String summary,
        Thresholds thresholds,
        List<Job> push,
        List<Client> sink,
        // Absent without snap jobs: the JSON of a config without them stays as it was.
        @JsonInclude(JsonInclude.Include.NON_EMPTY) List<Job> snap) {
    public static final int SCHEMA = 1;

    /**
     * @param snap the snap jobs (zrepl's {@code type: snap}): each filesystem's {@code last_snapshot} is its newest
     *             snapshot (the job's prefix; any under manual snapshotting) as zfs lists it now, judged by the same
     *             ages; {@code outcome} {@code SNAPSHOTTED} or {@code NO_SNAPSHOTS}; nothing is replicated, so
     *             {@code last_success} is null
     */
    public StatusReport {
        push = List.copyOf(push);
        sink = List.copyOf(sink);
        snap = List.copyOf(snap);
    }

    public record Thresholds(long warnSeconds, long critSeconds) {}

    /**
     * A push job on the agent; {@code lastRun} null when it never ran. {@code problems} are the job's own (a
     * failed pass, a selected filesystem no pass recorded), worst first; {@code ownStatus}, not printed, the
     * worst of them alone (OK when none), which the summary files them under; {@code unrecorded}, not printed
     * either, the selected filesystems no pass recorded, which have no backup (perfdata {@code U}).
     */
    public record Job(
            String job,
            Level status,
            List<String> problems,
            @JsonIgnore Level ownStatus,
            String lastRun,
            Long lastRunAgeSeconds,
            String error,
            List<String> stageFailures,
            List<Filesystem> filesystems,
            @JsonIgnore List<String> unrecorded) {
        public Job {
            problems = List.copyOf(problems);
            stageFailures = List.copyOf(stageFailures);
            filesystems = List.copyOf(filesystems);
            unrecorded = List.copyOf(unrecorded);
        }
    }

    /** One filesystem of a push job, as its last pass left it. */
    public record Filesystem(
            String filesystem,
            Level status,
            List<String> problems,
            String outcome,
            String message,
            String lastAttempt,
            String lastSuccess,
            Long lastSuccessAgeSeconds,
            String lastSnapshot,
            Long lastSnapshotAgeSeconds,
            Long bytes,
            Long estimatedBytes) {
        public Filesystem {
            problems = List.copyOf(problems);
        }
    }

    /**
     * A client of a sink job on the box; {@code lastReceived} is its newest receive of any filesystem. {@code
     * revoked}: when {@code zreplj box revoke} cut it off, while no receive has completed since (null otherwise);
     * added to schema 1, which stays, as a consumer of it reads on without the field.
     */
    public record Client(
            String job,
            String client,
            Level status,
            List<String> problems,
            String lastReceived,
            Long lastReceivedAgeSeconds,
            String revoked,
            List<Received> filesystems) {
        public Client {
            problems = List.copyOf(problems);
            filesystems = List.copyOf(filesystems);
        }
    }

    /** A client's filesystem on the box: its last received snapshot. */
    public record Received(
            String filesystem,
            Level status,
            List<String> problems,
            String snapshot,
            String guid,
            String received,
            Long receivedAgeSeconds) {
        public Received {
            problems = List.copyOf(problems);
        }
    }
}
