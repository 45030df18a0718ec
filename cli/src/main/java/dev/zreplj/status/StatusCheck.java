package dev.zreplj.status;

import dev.zreplj.agent.JobStatusStore.FilesystemStatus;
import dev.zreplj.agent.JobStatusStore.JobStatus;
import dev.zreplj.config.Durations;
import dev.zreplj.config.StatusThresholds;
import dev.zreplj.stdinserver.ClientStatusFile.ClientStatus;
import dev.zreplj.stdinserver.ClientStatusFile.Failed;
import dev.zreplj.stdinserver.ClientStatusFile.Received;
import dev.zreplj.zfs.RefusedName;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * Judges the status files by age, at one instant: a push job or a client is OK only when a backup of
 * each of its filesystems exists and is younger than the warning age, and (agent) the last pass failed
 * nowhere. A failed last pass is a WARNING of its own; how long the backup has not been refreshed is
 * what makes it CRITICAL, so a laptop that missed one pass off the network does not page anyone.
 */
public final class StatusCheck {
    /** How far ahead of the clock a recorded time may lie and still count as age 0 (NTP's steps, a slow RTC). */
    static final Duration MAX_AHEAD = Duration.ofMinutes(15);

    private static final String BOX_AHEAD = "; the client's next receive records a time by the right clock";

    private final StatusThresholds thresholds;
    private final Instant now;

    public StatusCheck(StatusThresholds thresholds, Instant now) {
        this.thresholds = thresholds;
        this.now = now;
    }

    /**
     * How to take a snapshot now, for a filesystem that has none. Not {@code --snapshot} under manual
     * snapshotting, where it is a usage error, and always with {@code --job}: without it one manual job of the
     * config refuses the option for all.
     */
    private static String takeOneNow(String job, boolean manual, boolean replicates) {
        return manual
                ? "snapshotting is manual: take one with 'zfs snapshot'"
                        + (replicates ? ", then 'zreplj agent once --job " + job + "' replicates it" : "")
                : "the job's next due snapshot includes it; 'zreplj agent once --job " + job
                        + " --snapshot' takes one now";
    }

    /**
     * After the clock is mended: a new snapshot, since without one a pass takes none before the schedule says and
     * the time ahead stays recorded ({@code --snapshot}, or by hand under manual snapshotting).
     */
    private static String afterClockFix(String job, boolean manual, boolean replicates) {
        return manual
                ? ", then take a snapshot with 'zfs snapshot'"
                        + (replicates ? " and run 'zreplj agent once --job " + job + "'" : "")
                : ", then run 'zreplj agent once --job " + job + " --snapshot'";
    }

    /**
     * {@code selection}: what the job's filter selects on this machine now; a selected filesystem no pass has
     * recorded has no backup. {@code manualSnapshots}: the job's snapshotting is manual (its advice differs).
     */
    public StatusReport.Job job(
            String name, Optional<JobStatus> file, SenderSelection selection, boolean manualSnapshots) {
        if (file.isEmpty()) {
            return new StatusReport.Job(
                    name,
                    Level.CRITICAL,
                    List.of("never run: no backup exists"),
                    Level.CRITICAL,
                    null,
                    null,
                    null,
                    List.of(),
                    List.of(),
                    List.of());
        }
        JobStatus s = file.get();
        List<Problem> own = new ArrayList<>();
        // A failed pass is a warning beside filesystems that have a backup; with none recorded it is why no
        // backup exists, and leads that critical problem.
        Level failedPass = s.filesystems().isEmpty() ? Level.CRITICAL : Level.WARNING;
        if (s.error() != null && s.stageFailures().isEmpty()) {
            // A file from before stage failures; newer passes name the error as a stage failure too.
            own.add(new Problem(failedPass, "last pass failed: " + s.error()));
        }
        for (String stage : s.stageFailures()) {
            own.add(new Problem(failedPass, "last pass failed: " + stage));
        }
        if (s.filesystems().isEmpty()) {
            own.add(new Problem(Level.CRITICAL, "no filesystem replicated yet: no backup exists"));
        }
        if (selection.unreadable() != null) {
            own.add(new Problem(
                    Level.UNKNOWN,
                    "cannot list the sender to check that every filesystem the filter selects has a backup: "
                            + selection.unreadable()));
        }
        List<String> unrecorded = new ArrayList<>();
        for (String fs : selection.filesystems()) {
            if (s.filesystems().stream().noneMatch(f -> f.filesystem().equals(fs))) {
                unrecorded.add(fs);
                own.add(new Problem(
                        Level.CRITICAL,
                        fs + ": never replicated: the filter selects it, but no pass has recorded it (agent run"
                                + " reads the config when it starts: restart it after changing the filter)"));
            }
        }
        for (String fs : selection.missing()) {
            // One a pass saw missing is recorded, failed, and ages with its last success; this one no pass has
            // seen (an agent run started before the filter named it), so nothing else would say it has no backup.
            if (s.filesystems().stream().noneMatch(f -> f.filesystem().equals(fs))) {
                own.add(new Problem(
                        Level.CRITICAL,
                        fs + ": never replicated: the filter names it, but it does not exist on the sender (a pool"
                                + " not imported, a dataset renamed or destroyed); import the pool, or take it out of"
                                + " the filter"));
            }
        }
        new TreeMap<>(selection.refused())
                .forEach((fs, why) -> own.add(new Problem(
                        Level.CRITICAL,
                        fs + ": never replicated: the filter selects it, but zreplj cannot replicate it: " + why + "; "
                                + RefusedName.ADVICE)));
        // Worst first, each level in the order found: the summary's first line names the job's worst problem.
        List<Problem> sorted = new ArrayList<>();
        for (Level wanted : List.of(Level.CRITICAL, Level.WARNING, Level.UNKNOWN)) {
            own.stream().filter(p -> p.level() == wanted).forEach(sorted::add);
        }
        Level ownLevel = sorted.isEmpty() ? Level.OK : sorted.get(0).level();
        Level level = ownLevel;
        List<StatusReport.Filesystem> filesystems = new ArrayList<>();
        for (FilesystemStatus f : s.filesystems()) {
            StatusReport.Filesystem fs = filesystem(f, name, manualSnapshots);
            filesystems.add(fs);
            level = level.worst(fs.status());
        }
        return new StatusReport.Job(
                name,
                level,
                sorted.stream().map(Problem::text).toList(),
                ownLevel,
                iso(s.lastRun()),
                knownAge(s.lastRun()),
                s.error(),
                s.stageFailures(),
                filesystems,
                unrecorded);
    }

    /** One of a job's own problems (not a filesystem's), with the state it alone would give. */
    private record Problem(Level level, String text) {}

    public StatusReport.Job unreadableJob(String name, String why) {
        return new StatusReport.Job(
                name, Level.UNKNOWN, List.of(why), Level.UNKNOWN, null, null, null, List.of(), List.of(), List.of());
    }

    /**
     * The last attempt's failure. Its message is the pass's summary line, {@code FS: failed after N steps: WHY}:
     * the line it goes into already names the filesystem, and the outcome once is enough.
     */
    static String lastAttempt(FilesystemStatus f) {
        String outcome = f.outcome().toLowerCase(Locale.ROOT);
        String message = f.message();
        String own = f.filesystem() + ": ";
        if (message.startsWith(own) && message.startsWith(outcome, own.length())) {
            return "last attempt " + message.substring(own.length());
        }
        return "last attempt " + outcome + ": " + message;
    }

    private StatusReport.Filesystem filesystem(FilesystemStatus f, String job, boolean manualSnapshots) {
        String clockFix = afterClockFix(job, manualSnapshots, true);
        List<String> problems = new ArrayList<>();
        Level level = Level.OK;
        if (f.failed()) {
            problems.add(lastAttempt(f));
            level = Level.WARNING;
        }
        Long successAge = f.lastSuccess() == 0 ? null : age(f.lastSuccess());
        if (successAge == null) {
            problems.add(
                    f.outcome().equals("NO_SNAPSHOTS")
                            ? "never replicated: it has no snapshot yet (" + takeOneNow(job, manualSnapshots, true)
                                    + ")"
                            : "never replicated");
            level = Level.CRITICAL;
        } else {
            level = level.worst(judge("last success", f.lastSuccess(), successAge, clockFix, problems));
        }
        Long snapshotAge = f.lastSnapshot() == null ? null : age(f.lastSnapshot());
        if (snapshotAge != null) {
            level = level.worst(judge("last snapshot", f.lastSnapshot(), snapshotAge, clockFix, problems));
        }
        if (f.newestOnBox() != null && successAge != null) {
            // A fresh success only says the box has the newest snapshot there is; the data is as old as that
            // snapshot (manual snapshotting whose tool died, snapshots that stopped for any other reason).
            List<String> stale = new ArrayList<>();
            Level data =
                    judge("newest snapshot on the box created", f.newestOnBox(), age(f.newestOnBox()), clockFix, stale);
            if (data.worse(level)) {
                level = data;
                stale.forEach(p -> problems.add(
                        data == Level.UNKNOWN || f.failed()
                                ? p
                                : p + "; no newer snapshot exists: is whatever takes the snapshots still running?"));
            }
        }
        return new StatusReport.Filesystem(
                f.filesystem(),
                level,
                problems,
                f.outcome(),
                f.message(),
                iso(f.lastAttempt()),
                f.lastSuccess() == 0 ? null : iso(f.lastSuccess()),
                successAge == null ? null : knownAge(f.lastSuccess()),
                f.lastSnapshot() == null ? null : iso(f.lastSnapshot()),
                snapshotAge == null ? null : knownAge(f.lastSnapshot()),
                f.bytes(),
                f.estimatedBytes() == null || f.estimatedBytes() < 0 ? null : f.estimatedBytes()); // -1: zfs gave none
    }

    /**
     * {@code status} null: the box has no file of this client, it never connected or never sent. {@code copies}:
     * what the box's zfs holds in the client's jail; a recorded snapshot no longer there is no backup.
     */
    public StatusReport.Client client(String job, String client, ClientStatus status, BoxCopies copies) {
        // A filesystem whose receives have only ever failed for lack of space has no entry of its own (the
        // schema's entries are received snapshots): the client's problems name it, and it is no backup.
        List<String> neverReceived = new ArrayList<>();
        if (status != null) {
            status.failed().forEach((path, failed) -> {
                if (!status.filesystems().containsKey(path)) {
                    neverReceived.add(path + ": nothing received yet: " + noSpace(failed));
                }
            });
        }
        if (status == null || status.filesystems().isEmpty()) {
            List<String> problems = new ArrayList<>(List.of("nothing received yet: no backup exists"));
            problems.addAll(neverReceived);
            return new StatusReport.Client(job, client, Level.CRITICAL, problems, null, null, null, List.of());
        }
        Level level = neverReceived.isEmpty() ? Level.OK : Level.CRITICAL;
        List<StatusReport.Received> filesystems = new ArrayList<>();
        Instant newest = null;
        for (Map.Entry<String, Received> e : status.filesystems().entrySet()) {
            Received r = e.getValue();
            List<String> problems = new ArrayList<>();
            Instant received = parse(r.received());
            Level fsLevel;
            Long receivedAge = null;
            if (received == null) {
                problems.add("unreadable receive time '" + r.received() + "' in the client's status file");
                fsLevel = Level.UNKNOWN;
            } else {
                receivedAge = age(received.getEpochSecond());
                fsLevel = judge("last received", received.getEpochSecond(), receivedAge, BOX_AHEAD, problems);
                newest = newest == null || received.isAfter(newest) ? received : newest;
            }
            if (copies.unreadable() != null) {
                problems.add("cannot check that the box still holds @" + r.snapshot() + ": " + copies.unreadable());
                fsLevel = fsLevel.worst(Level.UNKNOWN);
            } else if (!copies.holds(e.getKey(), r.guid())) {
                problems.add("@" + r.snapshot() + " (guid " + r.guid() + "), received "
                        + (received == null ? r.received() : iso(received.getEpochSecond()))
                        + ", is no longer on the box: "
                        + (copies.gone() != null
                                ? copies.gone()
                                : "destroyed or rolled back there since; the client's next pass sends what is missing"
                                        + " (one the client no longer pushes: 'zreplj box forget " + client + " "
                                        + e.getKey() + "' ends this check)"));
                fsLevel = Level.CRITICAL;
            }
            Failed failed = status.failed().get(e.getKey());
            if (failed != null) {
                problems.add("last receive failed: " + noSpace(failed));
                fsLevel = fsLevel.worst(Level.WARNING);
            }
            filesystems.add(new StatusReport.Received(
                    e.getKey(),
                    fsLevel,
                    problems,
                    r.snapshot(),
                    r.guid(),
                    received == null ? null : iso(received.getEpochSecond()),
                    received == null ? null : knownAge(received.getEpochSecond())));
            level = level.worst(fsLevel);
        }
        return new StatusReport.Client(
                job,
                client,
                level,
                neverReceived,
                newest == null ? null : iso(newest.getEpochSecond()),
                newest == null ? null : knownAge(newest.getEpochSecond()),
                null,
                filesystems);
    }

    /** A receive the box's zfs refused for lack of space: when, zfs's words, and what the box's admin does. */
    private String noSpace(Failed failed) {
        Instant at = parse(failed.at());
        return (at == null
                        ? "at an unreadable time '" + failed.at() + "'"
                        : iso(at.getEpochSecond()) + " ("
                                + Durations.format(Duration.ofSeconds(age(at.getEpochSecond()))) + " ago)")
                + ", the box has no space for it: " + failed.reason() + "; the client's jail is at its quota or the"
                + " box's pool is full: raise the jail's quota or free space in the pool (docs/box.md)";
    }

    public StatusReport.Client unreadableClient(String job, String client, String why) {
        return new StatusReport.Client(job, client, Level.UNKNOWN, List.of(why), null, null, null, List.of());
    }

    /**
     * The client as {@link #client} judged it, with a problem of the client's own added and the state at least
     * {@code level}: a fact about the box (its state disk, the client's revocation record) that the client's
     * file cannot show.
     */
    public static StatusReport.Client withProblem(StatusReport.Client c, Level level, String problem) {
        List<String> problems = new ArrayList<>(c.problems());
        problems.add(problem);
        return withProblems(c, c.status().worst(level), problems);
    }

    private static StatusReport.Client withProblems(StatusReport.Client c, Level level, List<String> problems) {
        return new StatusReport.Client(
                c.job(),
                c.client(),
                level,
                problems,
                c.lastReceived(),
                c.lastReceivedAgeSeconds(),
                c.revoked(),
                c.filesystems());
    }

    /**
     * {@code zreplj box revoke} cut the client off at {@code at} (the box's wall clock, as its receive times): no
     * backup of it is made until the owner's new key pushes, so its state stays what the ages make it, now with
     * why, first among its problems (the summary's line at 3 a.m.: not a laptop to debug). An OK client gets no
     * problem (they say why a state is not OK), only {@code revoked}, which the text line shows. A receive
     * completed after {@code at} (a second later at least: the record keeps whole seconds) ends it: the new
     * key is pushing, and the ages are that machine's again.
     */
    public StatusReport.Client revoked(StatusReport.Client c, ClientStatus status, Instant at) {
        boolean receivedSince = status != null
                && status.filesystems().values().stream()
                        .map(r -> parse(r.received()))
                        .anyMatch(t ->
                                t != null && t.truncatedTo(ChronoUnit.SECONDS).isAfter(at));
        if (receivedSince) {
            return c;
        }
        String when = iso(at.getEpochSecond());
        StatusReport.Client marked = new StatusReport.Client(
                c.job(),
                c.client(),
                c.status(),
                c.problems(),
                c.lastReceived(),
                c.lastReceivedAgeSeconds(),
                when,
                c.filesystems());
        if (c.status() == Level.OK) {
            return marked;
        }
        List<String> problems = new ArrayList<>();
        problems.add(revokedNote(when));
        problems.addAll(c.problems());
        return withProblems(marked, c.status(), problems);
    }

    /** What {@code status} says of a client revoked at {@code at} (ISO), in its problems or on its line. */
    public static String revokedNote(String at) {
        return "revoked on the box at " + at + " (zreplj box revoke); its backups stay; it pushes again only with a"
                + " newly authorized key";
    }

    /**
     * By age, unless the time lies further ahead of this clock than a clock's step adjustment explains: then
     * the clock was set back (or ran ahead when the time was recorded) and the true age is unknown. Age 0
     * would say OK until the clock catches up, however long nothing has been backed up (a clock set back
     * also stops the snapshots, which wait for the newest one's future creation).
     */
    private Level judge(String what, long epochSecond, long ageSeconds, String fix, List<String> problems) {
        long ahead = epochSecond - now.getEpochSecond();
        if (ahead > MAX_AHEAD.toSeconds()) {
            // "created" is the newest snapshot's own time; the others are times a pass or receive recorded.
            problems.add(what + (what.endsWith(" created") ? " at " : " recorded at ") + iso(epochSecond) + ", "
                    + Durations.format(Duration.ofSeconds(ahead))
                    + " ahead of this machine's clock: the clock was set back, or ran ahead when it was recorded;"
                    + " its age is unknown: check the clock (timedatectl)" + fix);
            return Level.UNKNOWN;
        }
        return byAge(what, ageSeconds, problems);
    }

    private Level byAge(String what, long ageSeconds, List<String> problems) {
        Duration age = Duration.ofSeconds(ageSeconds);
        if (age.compareTo(thresholds.crit()) >= 0) {
            problems.add(what + " " + Durations.format(age) + " ago (critical from "
                    + Durations.format(thresholds.crit()) + ")");
            return Level.CRITICAL;
        }
        if (age.compareTo(thresholds.warn()) >= 0) {
            problems.add(what + " " + Durations.format(age) + " ago (warning from "
                    + Durations.format(thresholds.warn()) + ")");
            return Level.WARNING;
        }
        return Level.OK;
    }

    /**
     * Ages by this machine's clock, never negative: a time a little in the future counts as age 0; one
     * further ahead than {@link #MAX_AHEAD} is also UNKNOWN ({@link #judge}).
     */
    private long age(long epochSecond) {
        return Math.max(0, now.getEpochSecond() - epochSecond);
    }

    /**
     * The age as reported (JSON, perfdata, text): null, unknown, for a time further ahead than {@link #MAX_AHEAD},
     * as {@link #judge} calls it; not 0, which would read as a fresh backup to whatever graphs or alerts on it.
     */
    private Long knownAge(long epochSecond) {
        return epochSecond - now.getEpochSecond() > MAX_AHEAD.toSeconds() ? null : age(epochSecond);
    }

    /** Whole seconds, as docs/cli.md shows them: the box records receive times (and the clock reads) finer. */
    private static String iso(long epochSecond) {
        return Instant.ofEpochSecond(epochSecond).toString();
    }

    private static Instant parse(String iso) {
        try {
            return iso == null ? null : Instant.parse(iso);
        } catch (DateTimeParseException e) {
            return null;
        }
    }

    public StatusReport report(List<StatusReport.Job> push, List<StatusReport.Client> sink) {
        return report(push, sink, List.of());
    }

    public StatusReport report(
            List<StatusReport.Job> push, List<StatusReport.Client> sink, List<StatusReport.Job> snap) {
        Level level = push.isEmpty() && sink.isEmpty() && snap.isEmpty() ? Level.UNKNOWN : Level.OK;
        for (StatusReport.Job j : push) {
            level = level.worst(j.status());
        }
        for (StatusReport.Job j : snap) {
            level = level.worst(j.status());
        }
        for (StatusReport.Client c : sink) {
            level = level.worst(c.status());
        }
        return new StatusReport(
                StatusReport.SCHEMA,
                iso(now.getEpochSecond()),
                level,
                summary(level, push, sink, snap),
                new StatusReport.Thresholds(
                        thresholds.warn().toSeconds(), thresholds.crit().toSeconds()),
                push,
                sink,
                snap);
    }

    /**
     * A snap job: OK only while every selected filesystem's newest snapshot is younger than the warning age and the
     * last pass did not fail. Its snapshots are read from zfs now ({@code newest}), not from the status file: a
     * snapshot destroyed since, or a schedule that stopped, shows as it is.
     *
     * @param newest   each selected filesystem's newest snapshot's creation (unix seconds), null where it has none
     * @param missing  what the filter names that zfs does not have
     * @param unreadable why zfs could not be listed, or null
     * @param manualSnapshots the job's snapshotting is manual (its advice differs)
     */
    public StatusReport.Job snapJob(
            String name,
            Optional<JobStatus> file,
            Map<String, Long> newest,
            List<String> missing,
            String unreadable,
            boolean manualSnapshots) {
        List<Problem> own = new ArrayList<>();
        if (file.isEmpty()) {
            own.add(new Problem(
                    Level.WARNING,
                    "never run by zreplj: nothing pruned yet ('zreplj agent once --job " + name + "' runs it)"));
        } else {
            JobStatus s = file.get();
            if (s.error() != null && s.stageFailures().isEmpty()) {
                own.add(new Problem(Level.WARNING, "last pass failed: " + s.error()));
            }
            for (String stage : s.stageFailures()) {
                own.add(new Problem(Level.WARNING, "last pass failed: " + stage));
            }
        }
        if (unreadable != null) {
            own.add(new Problem(Level.UNKNOWN, "cannot list the snapshots of what the filter selects: " + unreadable));
        }
        for (String fs : missing) {
            own.add(new Problem(
                    Level.CRITICAL,
                    fs + ": does not exist, though the filesystems filter names it (a pool not imported, a dataset"
                            + " renamed or destroyed)"));
        }
        if (newest.isEmpty() && missing.isEmpty() && unreadable == null) {
            // Nothing to age: without this the job would stay at its failed pass's WARNING for ever, snapshotting
            // nothing, where a push job that has replicated nothing is CRITICAL.
            own.add(new Problem(
                    Level.CRITICAL,
                    "the filesystems filter selects no filesystem: nothing is snapshotted (check it with 'zreplj"
                            + " test filesystems --job " + name + "')"));
        }
        List<Problem> sorted = new ArrayList<>();
        for (Level wanted : List.of(Level.CRITICAL, Level.WARNING, Level.UNKNOWN)) {
            own.stream().filter(p -> p.level() == wanted).forEach(sorted::add);
        }
        Level ownLevel = sorted.isEmpty() ? Level.OK : sorted.get(0).level();
        Level level = ownLevel;
        List<StatusReport.Filesystem> filesystems = new ArrayList<>();
        // null when it never ran: the time of this check would read as a run just now.
        String attempt = file.map(s -> iso(s.lastRun())).orElse(null);
        for (Map.Entry<String, Long> e : new TreeMap<>(newest).entrySet()) {
            List<String> problems = new ArrayList<>();
            Level fsLevel;
            Long created = e.getValue();
            if (created == null) {
                problems.add("no snapshot (" + takeOneNow(name, manualSnapshots, false) + ")");
                fsLevel = Level.CRITICAL;
            } else {
                fsLevel = judge(
                        "newest snapshot created",
                        created,
                        age(created),
                        afterClockFix(name, manualSnapshots, false),
                        problems);
            }
            level = level.worst(fsLevel);
            filesystems.add(new StatusReport.Filesystem(
                    e.getKey(),
                    fsLevel,
                    problems,
                    created == null ? "NO_SNAPSHOTS" : "SNAPSHOTTED",
                    created == null ? "no snapshot" : "newest snapshot created " + iso(created),
                    attempt,
                    null,
                    null,
                    created == null ? null : iso(created),
                    created == null ? null : knownAge(created),
                    null,
                    null));
        }
        return new StatusReport.Job(
                name,
                level,
                sorted.stream().map(Problem::text).toList(),
                ownLevel,
                file.map(s -> iso(s.lastRun())).orElse(null),
                file.map(s -> knownAge(s.lastRun())).orElse(null),
                file.map(JobStatus::error).orElse(null),
                file.map(JobStatus::stageFailures).orElse(List.of()),
                filesystems,
                List.of());
    }

    /** The first line: the state, and the worst problem first so that a notification says what is wrong. */
    private String summary(
            Level level, List<StatusReport.Job> push, List<StatusReport.Client> sink, List<StatusReport.Job> snap) {
        List<String> problems = new ArrayList<>();
        List<StatusReport.Job> jobs = new ArrayList<>(push);
        jobs.addAll(snap);
        for (Level wanted : List.of(Level.CRITICAL, Level.WARNING, Level.UNKNOWN)) {
            for (StatusReport.Job j : jobs) {
                // The job's own problems come worst first, filed under the worst of them.
                j.problems().stream()
                        .filter(p -> j.ownStatus() == wanted)
                        .forEach(p -> problems.add("job " + j.job() + ": " + p));
                j.filesystems().stream()
                        .filter(f -> f.status() == wanted)
                        .forEach(f -> problems.add(
                                "job " + j.job() + " " + f.filesystem() + ": " + String.join(", ", f.problems())));
            }
            for (StatusReport.Client c : sink) {
                c.problems().stream()
                        .filter(p -> c.status() == wanted)
                        .forEach(p -> problems.add("client " + c.client() + ": " + p));
                c.filesystems().stream()
                        .filter(f -> f.status() == wanted)
                        .forEach(f -> problems.add("client " + c.client() + " " + f.filesystem() + ": "
                                + String.join(", ", f.problems())));
            }
        }
        if (level == Level.UNKNOWN && problems.isEmpty()) {
            return "ZREPLJ UNKNOWN: no push, sink or snap job in this config";
        }
        if (problems.isEmpty() && push.isEmpty() && sink.isEmpty()) {
            return "ZREPLJ OK: " + count(snap.size(), "snap job") + ", "
                    + count(snap.stream().mapToLong(j -> j.filesystems().size()).sum(), "filesystem")
                    + " snapshotted within " + Durations.format(thresholds.warn());
        }
        if (problems.isEmpty()) {
            long filesystems = push.stream()
                            .mapToLong(j -> j.filesystems().size())
                            .sum()
                    + sink.stream().mapToLong(c -> c.filesystems().size()).sum();
            List<String> parts = new ArrayList<>();
            if (!push.isEmpty()) {
                parts.add(count(push.size(), "job"));
            }
            if (!sink.isEmpty()) {
                parts.add(count(sink.size(), "client"));
            }
            return "ZREPLJ OK: " + String.join(", ", parts) + ", " + count(filesystems, "filesystem")
                    + " backed up within " + Durations.format(thresholds.warn())
                    + (snap.isEmpty()
                            ? ""
                            : "; " + count(snap.size(), "snap job") + ", "
                                    + count(
                                            snap.stream()
                                                    .mapToLong(
                                                            j -> j.filesystems().size())
                                                    .sum(),
                                            "filesystem")
                                    + " snapshotted within " + Durations.format(thresholds.warn()));
        }
        return "ZREPLJ " + level + ": " + problems.get(0)
                + (problems.size() > 1 ? " (and " + (problems.size() - 1) + " more)" : "");
    }

    private static String count(long n, String what) {
        return n + " " + what + (n == 1 ? "" : "s");
    }
}
