package dev.zreplj.agent;

import dev.zreplj.files.StateFiles;
import dev.zreplj.json.RecordJson;
import dev.zreplj.replication.FilesystemResult;
import dev.zreplj.zfs.DatasetName;
import dev.zreplj.zfs.InvalidNameException;
import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.slf4j.LoggerFactory;

/**
 * The agent's memory of its last passes, for {@code zreplj status}: one JSON file per job under
 * {@code <state_dir>/jobs/}, replaced atomically. A filesystem's last success survives later failures,
 * so the lag keeps growing while replication fails.
 */
public final class JobStatusStore {
    /**
     * Times in unix seconds; {@code lastSuccess} 0 when it never succeeded. {@code bytes} and
     * {@code estimatedBytes} are the last attempt's (estimate -1 when zfs gave none); null where unknown
     * (a pass that failed as a whole, a file from an older zreplj). {@code lastSnapshot}: when a pass last
     * took a snapshot of the filesystem, null when none has (manual snapshotting, an older file).
     * {@code newestOnBox}: the creation of the newest snapshot the box was last found to hold (replicated or
     * up to date), how old the backed-up data is; null when unknown (never replicated, an older file).
     */
    public record FilesystemStatus(
            String filesystem,
            String outcome,
            String message,
            long lastAttempt,
            long lastSuccess,
            Long bytes,
            Long estimatedBytes,
            Long lastSnapshot,
            Long newestOnBox) {
        public FilesystemStatus(String filesystem, String outcome, String message, long lastAttempt, long lastSuccess) {
            this(filesystem, outcome, message, lastAttempt, lastSuccess, null, null, null, null);
        }

        public FilesystemStatus(
                String filesystem,
                String outcome,
                String message,
                long lastAttempt,
                long lastSuccess,
                Long bytes,
                Long estimatedBytes,
                Long lastSnapshot) {
            this(filesystem, outcome, message, lastAttempt, lastSuccess, bytes, estimatedBytes, lastSnapshot, null);
        }

        public FilesystemStatus(
                String filesystem,
                String outcome,
                String message,
                long lastAttempt,
                long lastSuccess,
                Long bytes,
                Long estimatedBytes) {
            this(filesystem, outcome, message, lastAttempt, lastSuccess, bytes, estimatedBytes, null, null);
        }

        public boolean failed() {
            return outcome.equals("FAILED") || outcome.equals("CONFLICT");
        }
    }

    /**
     * {@code stageFailures}: one line per stage of the last pass that failed (snapshot, connect, replicate,
     * prune, an unexpected error); empty when none did, and in files from an older zreplj. {@code lastSuccess}:
     * unix seconds of the last pass that failed nowhere, 0 when none did; null in files from an older zreplj.
     * {@code lastSnapshotRound}: the job's last snapshot a pass took; null when none has (manual snapshotting,
     * a file from an older zreplj). {@code lastRoundInVain}: the job's last snapshot round that took no snapshot at
     * all (a fatal pre_snapshot hook kept every filesystem out, zfs snapshot failed) since the last that took one;
     * null when there is none.
     */
    public record JobStatus(
            String job,
            long lastRun,
            String error,
            List<FilesystemStatus> filesystems,
            List<String> stageFailures,
            Long lastSuccess,
            SnapshotRound lastSnapshotRound,
            SnapshotRound lastRoundInVain) {
        public JobStatus {
            filesystems = filesystems == null ? List.of() : List.copyOf(filesystems);
            stageFailures = stageFailures == null ? List.of() : List.copyOf(stageFailures);
        }

        public JobStatus(
                String job,
                long lastRun,
                String error,
                List<FilesystemStatus> filesystems,
                List<String> stageFailures,
                Long lastSuccess,
                SnapshotRound lastSnapshotRound) {
            this(job, lastRun, error, filesystems, stageFailures, lastSuccess, lastSnapshotRound, null);
        }

        public JobStatus(
                String job,
                long lastRun,
                String error,
                List<FilesystemStatus> filesystems,
                List<String> stageFailures,
                Long lastSuccess) {
            this(job, lastRun, error, filesystems, stageFailures, lastSuccess, null, null);
        }

        public JobStatus(
                String job,
                long lastRun,
                String error,
                List<FilesystemStatus> filesystems,
                List<String> stageFailures) {
            this(job, lastRun, error, filesystems, stageFailures, null, null, null);
        }

        /** This status with other stage failures. */
        public JobStatus withStageFailures(List<String> stages) {
            return new JobStatus(
                    job, lastRun, error, filesystems, stages, lastSuccess, lastSnapshotRound, lastRoundInVain);
        }

        /** The last pass failed at some stage, as a whole, or for one of its filesystems. */
        public boolean failed() {
            return error != null
                    || !stageFailures.isEmpty()
                    || filesystems.stream().anyMatch(FilesystemStatus::failed);
        }
    }

    /** {@link #markUnrecorded}'s mark: a status file is written {@code rw-------}. */
    private static final Set<PosixFilePermission> UNRECORDED_MODE = PosixFilePermissions.fromString("r--------");

    private final Path dir;

    public JobStatusStore(Path stateDir) {
        this.dir = stateDir.resolve("jobs");
    }

    public Path file(String job) {
        return dir.resolve(job + ".json");
    }

    public void record(PushPass.Result result, Instant now) throws IOException {
        long time = now.getEpochSecond();
        Map<String, FilesystemStatus> previous = new HashMap<>();
        Optional<JobStatus> last;
        boolean damaged = false;
        try {
            last = read(result.job());
        } catch (DamagedFile e) {
            damaged = true;
            // Replaced, not kept failing at every pass: the history is lost, the status is true from now on.
            LoggerFactory.getLogger(JobStatusStore.class)
                    .warn(
                            "{}: damaged; replaced by this pass's status, its earlier history is lost",
                            file(result.job()));
            last = Optional.empty();
        }
        last.ifPresent(s -> s.filesystems().forEach(f -> previous.put(f.filesystem(), f)));
        List<FilesystemStatus> filesystems = new ArrayList<>();
        for (FilesystemResult fs : result.filesystems()) {
            FilesystemStatus before = previous.remove(fs.filesystem().value());
            long lastSuccess = succeeded(fs) ? time : before == null ? 0 : before.lastSuccess();
            filesystems.add(new FilesystemStatus(
                    fs.filesystem().value(),
                    fs.outcome().name(),
                    fs.summaryLine(),
                    time,
                    lastSuccess,
                    fs.bytes(),
                    fs.estimatedBytes(),
                    lastSnapshot(result, time, before, fs.filesystem().value()),
                    newestOnBox(result, before, fs.filesystem().value())));
        }
        if (result.error() == null) {
            // A selected filesystem without a result this pass (agent run's idle check, which reports only a
            // filesystem the filter names and the sender lacks) keeps its entry as the last pass left it;
            // dropping it would turn its history into "never replicated". One no longer selected drops out.
            Set<String> selected = new HashSet<>(result.selected());
            for (FilesystemStatus before : previous.values()) {
                if (selected.contains(before.filesystem())) {
                    filesystems.add(before);
                }
            }
        } else {
            // The pass failed as a whole: every filesystem keeps its history, marked with this attempt; one the
            // listing selected for the first time enters as never replicated, not left out of the status (and
            // the metrics) until a pass gets through.
            Set<String> recorded = new HashSet<>(previous.keySet());
            filesystems.forEach(f -> recorded.add(f.filesystem()));
            for (String fs : result.selected()) {
                if (!recorded.contains(fs)) {
                    filesystems.add(new FilesystemStatus(
                            fs,
                            "FAILED",
                            result.error(),
                            time,
                            0,
                            null,
                            null,
                            lastSnapshot(result, time, null, fs),
                            null));
                }
            }
            for (FilesystemStatus before : previous.values()) {
                filesystems.add(new FilesystemStatus(
                        before.filesystem(),
                        "FAILED",
                        result.error(),
                        time,
                        before.lastSuccess(),
                        null,
                        null,
                        lastSnapshot(result, time, before, before.filesystem()),
                        before.newestOnBox()));
            }
        }
        filesystems.sort((a, b) -> a.filesystem().compareTo(b.filesystem()));
        // Kept here, with the history it belongs to, so that deleting <state_dir>/metrics resets the counters only.
        // Unknown (null) after a damaged file or one from an older zreplj, until a pass succeeds.
        Long lastSuccess = !result.failed()
                ? Long.valueOf(time)
                : last.isEmpty() ? (damaged ? null : 0L) : last.get().lastSuccess();
        // A pass that took none leaves the round before in place: the schedule goes by the job's last snapshot.
        SnapshotRound round = result.snapshotRound()
                .orElse(last.map(JobStatus::lastSnapshotRound).orElse(null));
        // A round in vain stands until one takes a snapshot; a pass that ran none leaves it as it was.
        SnapshotRound inVain = result.snapshotRound().isPresent()
                ? null
                : result.roundInVain()
                        .orElse(last.map(JobStatus::lastRoundInVain).orElse(null));
        write(new JobStatus(
                result.job(), time, result.error(), filesystems, result.stageFailures(), lastSuccess, round, inVain));
    }

    /** What earlier passes left here that the next pass of {@code job} goes by; none when the file is unreadable. */
    public JobHistory history(String job) {
        Optional<JobStatus> status;
        try {
            status = read(job);
        } catch (IOException e) {
            // The pass that follows replaces a damaged file and reports an unreadable one when it records.
            return JobHistory.NONE;
        }
        Set<DatasetName> names = new HashSet<>();
        for (FilesystemStatus fs : status.map(JobStatus::filesystems).orElse(List.of())) {
            try {
                names.add(DatasetName.of(fs.filesystem()));
            } catch (InvalidNameException e) {
                // Not written by a pass (every name it records was listed and checked); nothing to look for.
            }
        }
        return new JobHistory(names, status.map(JobStatus::lastSnapshotRound), status.map(JobStatus::lastRoundInVain));
    }

    /**
     * The box holds this filesystem's newest snapshot. A filesystem without any snapshot (new, not yet
     * snapshotted, or manual snapshotting and none taken) has nothing on the box this pass could vouch for:
     * it keeps its earlier last success, and one never replicated stays at 0 ("never replicated").
     */
    private static boolean succeeded(FilesystemResult fs) {
        return fs.outcome() == FilesystemResult.Outcome.REPLICATED
                || fs.outcome() == FilesystemResult.Outcome.UP_TO_DATE;
    }

    /**
     * A pass snapshots every filesystem it selected at once, except those a fatal pre_snapshot hook kept
     * out; without a snapshot the last one stands (so a filesystem the hook keeps out pass after pass ages, as
     * does one the filter names and the sender lacks). Its time is when the round began (the snapshot's name),
     * not {@code time}, the pass's end, which is later by the whole replication (hours for a first send).
     */
    private static Long lastSnapshot(PushPass.Result result, long time, FilesystemStatus before, String fs) {
        return result.snapshotTaken().isPresent()
                        && result.selected().contains(fs)
                        && !result.notSnapshotted().contains(fs)
                ? Long.valueOf(
                        result.snapshotRound().map(SnapshotRound::started).orElse(time))
                : before == null ? null : before.lastSnapshot();
    }

    private static Long newestOnBox(PushPass.Result result, FilesystemStatus before, String fs) {
        Long now = result.newestOnBox().get(fs);
        return now != null ? now : before == null ? null : before.newestOnBox();
    }

    public Optional<JobStatus> read(String job) throws IOException {
        Path file = file(job);
        byte[] bytes;
        try {
            // Only from root's own jobs/: the state directory is the box user's, who could put a directory of
            // its own in its place, with a status that says all is well.
            bytes = StateFiles.readOwn(file).content();
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (AccessDeniedException e) {
            // A monitoring user that cannot read the state directory must not be told the job never ran.
            throw new IOException(
                    file + ": permission denied; run 'zreplj status' as the user the agent runs as"
                            + " (root), e.g. through sudo from the monitoring system",
                    e);
        }
        JobStatus status;
        try {
            // Not databind: its first use cost about 0.2 s of CPU in every `agent once` (bench/RESULTS.md).
            status = RecordJson.readState(bytes, JobStatus.class, RecordJson.Names.DECLARED);
        } catch (IOException e) {
            throw new DamagedFile(
                    file + ": unreadable status file ("
                            + e.getMessage().lines().findFirst().orElse("")
                            + "); the next pass replaces it",
                    e);
        }
        String incomplete = incomplete(status);
        if (incomplete != null) {
            throw new DamagedFile(
                    file + ": unreadable status file (" + incomplete + "); the next pass replaces it", null);
        }
        return Optional.of(withUnrecordedPass(file, status));
    }

    /**
     * After a pass whose status could not be written (a full state disk): the file still holds the pass before,
     * which may have been all ok, so it is marked with what a full file system still takes, its inode. Its mode
     * loses the owner's write bit and its mtime becomes the pass's time; {@link #read} then adds a failed stage
     * saying so, which {@code status} (a WARNING) and the metrics ({@code zreplj_pass_failed}) show until the
     * next pass replaces the file (with its usual mode). Nothing when there is no file yet (status then says
     * "never run") or the file system is read-only.
     */
    public void markUnrecorded(String job, Instant pass) throws IOException {
        StateFiles.mark(file(job), FileTime.from(pass), UNRECORDED_MODE);
    }

    private static JobStatus withUnrecordedPass(Path file, JobStatus status) throws IOException {
        PosixFileAttributes a = Files.readAttributes(file, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        if (!a.permissions().equals(UNRECORDED_MODE)) {
            return status;
        }
        List<String> stages = new ArrayList<>(status.stageFailures());
        stages.add("the pass of " + a.lastModifiedTime().toInstant().truncatedTo(ChronoUnit.SECONDS) + " could not"
                + " record its status in " + file + " (the agent's log says why, e.g. a full disk): free space there;"
                + " until a pass records again, this status is the one of the pass before it");
        return status.withStageFailures(stages);
    }

    /**
     * What a parsed file lacks of what every pass writes, or null when it is whole: a null there would
     * otherwise fail the status check as a bug (exit 1) instead of reading as UNKNOWN.
     */
    private static String incomplete(JobStatus status) {
        if (status == null || status.job() == null) {
            return "no job status in it";
        }
        if (!isTime(status.lastRun())) {
            return notATime("lastRun", status.lastRun());
        }
        for (FilesystemStatus fs : status.filesystems()) {
            if (fs == null || fs.filesystem() == null || fs.outcome() == null) {
                return "a filesystem entry without its name or outcome";
            }
            if (!isTime(fs.lastAttempt())) {
                return notATime("lastAttempt", fs.lastAttempt());
            }
            if (!isTime(fs.lastSuccess())) {
                return notATime("lastSuccess", fs.lastSuccess());
            }
            if (fs.lastSnapshot() != null && !isTime(fs.lastSnapshot())) {
                return notATime("lastSnapshot", fs.lastSnapshot());
            }
            if (fs.newestOnBox() != null && !isTime(fs.newestOnBox())) {
                return notATime("newestOnBox", fs.newestOnBox());
            }
        }
        for (Map.Entry<String, SnapshotRound> r : rounds(status).entrySet()) {
            if (r.getValue().name() == null) {
                return "a " + r.getKey() + " without its name";
            }
            if (!isTime(r.getValue().started())) {
                return notATime(r.getKey() + ".started", r.getValue().started());
            }
        }
        return null;
    }

    private static Map<String, SnapshotRound> rounds(JobStatus status) {
        Map<String, SnapshotRound> rounds = new LinkedHashMap<>();
        if (status.lastSnapshotRound() != null) rounds.put("lastSnapshotRound", status.lastSnapshotRound());
        if (status.lastRoundInVain() != null) rounds.put("lastRoundInVain", status.lastRoundInVain());
        return rounds;
    }

    /**
     * Unix seconds a pass can have recorded: not before 1970 and within what an {@link Instant} holds. Any other
     * number (a hand edit, a flipped byte) failed {@code status} as a whole when it formatted the time, hiding
     * every other job's and client's state behind one UNKNOWN that named no file.
     */
    private static boolean isTime(long epochSecond) {
        return epochSecond >= 0 && epochSecond <= Instant.MAX.getEpochSecond();
    }

    private static String notATime(String field, long value) {
        return field + " " + value + " is no time";
    }

    /** A status file that can be read but holds no status (truncated, overwritten): the next pass replaces it. */
    static final class DamagedFile extends IOException {
        DamagedFile(String message, Throwable cause) {
            super(message, cause);
        }
    }

    private void write(JobStatus status) throws IOException {
        StateFiles.createDirectories(dir);
        StateFiles.replace(
                file(status.job()), RecordJson.write(status, true), PosixFilePermissions.fromString("rw-------"));
    }
}
