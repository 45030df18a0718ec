package dev.zreplj.metrics;

import dev.zreplj.agent.PushPass;
import dev.zreplj.files.StateFiles;
import dev.zreplj.json.RecordJson;
import dev.zreplj.prune.FilesystemPruneResult;
import dev.zreplj.replication.FilesystemResult;
import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.slf4j.LoggerFactory;

/**
 * A push job's counters since its first pass, in {@code <state_dir>/jobs/counters/<job>.json}: Prometheus
 * counters must only grow, and {@code agent once} is a new process every time, so they live on disk.
 * Updated by the pass that holds the job's lock, so one writer at a time; replaced atomically.
 *
 * @param lastSuccess         unix seconds of the last pass that failed nowhere, 0 when none did
 * @param lastDurationSeconds how long the last pass took
 * @param stageFailures       failed stages of all passes by stage (snapshot, connect, replicate, prune, other)
 * @param pruned              snapshots destroyed by pruning, by side (sender, receiver)
 */
public record PassTotals(
        String job,
        long passes,
        long failedPasses,
        long lastSuccess,
        double lastDurationSeconds,
        Map<String, Long> stageFailures,
        Map<String, Long> pruned,
        Map<String, FilesystemTotals> filesystems) {
    private static final Set<String> STAGES = Set.of("snapshot", "connect", "replicate", "prune");

    public PassTotals {
        stageFailures = new TreeMap<>(stageFailures == null ? Map.of() : stageFailures);
        pruned = new TreeMap<>(pruned == null ? Map.of() : pruned);
        filesystems = new TreeMap<>(filesystems == null ? Map.of() : filesystems);
    }

    /**
     * @param failures  failed attempts by kind ({@code connection_lost}, {@code busy}, {@code stalled},
     *                  {@code refused}, {@code no_space}, {@code conflict}, {@code zfs}, {@code error})
     * @param snapshots snapshots on each side ({@code sender}, {@code receiver}) after the last prune
     *                  that looked at them
     */
    public record FilesystemTotals(long bytes, long steps, Map<String, Long> failures, Map<String, Long> snapshots) {
        public FilesystemTotals {
            failures = new TreeMap<>(failures == null ? Map.of() : failures);
            snapshots = new TreeMap<>(snapshots == null ? Map.of() : snapshots);
        }
    }

    static PassTotals none(String job) {
        return new PassTotals(job, 0, 0, 0, 0, Map.of(), Map.of(), Map.of());
    }

    /** These totals with one more pass, which took {@code took} and ended at {@code now}. */
    PassTotals add(PushPass.Result result, Duration took, Instant now) {
        Map<String, Long> stages = new TreeMap<>(stageFailures);
        for (String line : result.stageFailures()) {
            int colon = line.indexOf(':');
            String stage = colon < 0 ? "other" : line.substring(0, colon);
            stages.merge(STAGES.contains(stage) ? stage : "other", 1L, Long::sum);
        }
        Map<String, FilesystemTotals> fs = new TreeMap<>(filesystems);
        for (FilesystemResult r : result.filesystems()) {
            FilesystemTotals before = fs.getOrDefault(r.filesystem().value(), new FilesystemTotals(0, 0, null, null));
            Map<String, Long> failures = new TreeMap<>(before.failures());
            if (r.failure() != null) {
                failures.merge(r.failure().name().toLowerCase(Locale.ROOT), 1L, Long::sum);
            }
            fs.put(
                    r.filesystem().value(),
                    new FilesystemTotals(
                            before.bytes() + Math.max(0, r.bytes()),
                            before.steps() + r.stepsDone(),
                            failures,
                            before.snapshots()));
        }
        Map<String, Long> prunedNow = new TreeMap<>(pruned);
        if (result.prune() != null && !result.prune().dryRun()) {
            for (FilesystemPruneResult p : result.prune().filesystems()) {
                String side = p.plan().side().toString();
                prunedNow.merge(side, (long) p.destroyed().size(), Long::sum);
                if (p.plan().skipped() == null) {
                    FilesystemTotals before =
                            fs.getOrDefault(p.plan().filesystem(), new FilesystemTotals(0, 0, null, null));
                    Map<String, Long> snapshots = new TreeMap<>(before.snapshots());
                    snapshots.put(side, (long)
                            (p.plan().decisions().size() - p.destroyed().size()));
                    fs.put(
                            p.plan().filesystem(),
                            new FilesystemTotals(before.bytes(), before.steps(), before.failures(), snapshots));
                }
            }
        }
        return new PassTotals(
                job,
                passes + 1,
                failedPasses + (result.failed() ? 1 : 0),
                result.failed() ? lastSuccess : now.getEpochSecond(),
                took.toNanos() / 1e9,
                stages,
                prunedNow,
                fs);
    }

    /**
     * In the agent's own {@code jobs/}, beside the status: its last success stands in for the status's in the
     * metrics when the status cannot be read, so it must be as safe from the box user as the status is.
     */
    public static Path file(Path stateDir, String job) {
        return stateDir.resolve("jobs").resolve("counters").resolve(job + ".json");
    }

    /**
     * Where zreplj kept them before: {@code metrics/}, which on a machine with both roles is the box user's, who
     * could put counters there that say the last pass succeeded.
     */
    static Path legacyFile(Path stateDir, String job) {
        return stateDir.resolve("metrics").resolve(job + ".json");
    }

    /** The job's totals, or none when it never ran (or ran before zreplj kept them). */
    public static PassTotals read(Path stateDir, String job) throws IOException {
        byte[] bytes;
        Path file = file(stateDir, job);
        try {
            bytes = StateFiles.readOwn(file).content();
        } catch (NoSuchFileException e) {
            try {
                // Taken over only from a directory of root's alone (a state directory that is root's).
                file = legacyFile(stateDir, job);
                bytes = StateFiles.readOwn(file).content();
            } catch (IOException elsewhere) {
                return none(job);
            }
        }
        PassTotals totals;
        try {
            // Not databind: its first use cost about 0.2 s of CPU in every `agent once` (bench/RESULTS.md).
            totals = RecordJson.readState(bytes, PassTotals.class, RecordJson.Names.SNAKE_CASE);
        } catch (IOException e) {
            throw damaged(file, e.getMessage().lines().findFirst().orElse(""));
        }
        if (totals == null || totals.job() == null) {
            throw damaged(file, "no counters in it");
        }
        return totals;
    }

    private static DamagedFile damaged(Path file, String why) {
        return new DamagedFile(file + ": unreadable metrics file (" + why
                + "); the next pass replaces it, its counters start again from 0");
    }

    /** A counters file that can be read but holds no counters (truncated, overwritten). */
    static final class DamagedFile extends IOException {
        DamagedFile(String message) {
            super(message);
        }
    }

    /**
     * Adds one pass to the job's file; the caller holds the job's lock. A damaged file is replaced, its counters
     * starting again from 0 (Prometheus takes that as a counter reset), rather than fail every pass from then on.
     */
    public static void record(Path stateDir, PushPass.Result result, Duration took, Instant now) throws IOException {
        PassTotals before;
        try {
            before = read(stateDir, result.job());
        } catch (DamagedFile e) {
            LoggerFactory.getLogger(PassTotals.class).warn("{}", e.getMessage());
            before = none(result.job());
        }
        PassTotals next = before.add(result, took, now);
        Path file = file(stateDir, result.job());
        StateFiles.createDirectories(file.getParent());
        StateFiles.replace(
                file,
                RecordJson.write(next, true, RecordJson.Names.SNAKE_CASE),
                PosixFilePermissions.fromString("rw-------"));
        try {
            StateFiles.delete(legacyFile(stateDir, result.job()));
        } catch (IOException e) {
            // None there, or not ours to remove: nothing reads it any more.
        }
    }
}
