package dev.zreplj.agent;

import dev.zreplj.config.Snapshotting;
import dev.zreplj.hooks.HookRunner;
import dev.zreplj.hooks.SnapshotHooks;
import dev.zreplj.zfs.DatasetName;
import dev.zreplj.zfs.SourceZfs;
import dev.zreplj.zfs.VersionType;
import dev.zreplj.zfs.ZfsVersion;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The snapshot stage of a pass: takes the job's snapshot of every selected filesystem in one atomic
 * call when the schedule says it is due, inside the job's snapshot hooks (zrepl's pre/post_snapshot).
 */
final class SnapshotStage {
    private static final Logger log = LoggerFactory.getLogger(SnapshotStage.class);
    /** zfs stamps a snapshot with this machine's clock: later than a minute from now, it was wrong then. */
    private static final Duration FUTURE_TOLERANCE = Duration.ofMinutes(1);

    private final String job;
    private final Snapshotting snapshotting;
    private final SourceZfs zfs;
    private final Clock clock;
    private final Sleeper sleeper;

    SnapshotStage(String job, Snapshotting snapshotting, SourceZfs zfs, Clock clock, Sleeper sleeper) {
        this.job = job;
        this.snapshotting = snapshotting;
        this.zfs = zfs;
        this.clock = clock;
        this.sleeper = sleeper;
    }

    /**
     * What the stage did: {@code taken} the snapshot taken and when its round began (empty when none was due,
     * snapshotting is manual, every filesystem was kept out by a fatal hook, or {@code zfs snapshot} failed);
     * {@code warnings}, every failed hook run with its output; {@code failures}, each filesystem whose snapshot a
     * fatal pre_snapshot hook prevented and a failed {@code zfs snapshot} (failures of the pass); {@code left} the
     * filesystems the hooks kept out; {@code failed} the snapshot a failed {@code zfs snapshot} was to take, which
     * the pools (or, on zfs-fuse, the subtrees) snapshotted before the one that failed do have; {@code tried} the
     * round the stage ran (empty when none was due); {@code nextRound} when the next round comes (empty for manual
     * snapshotting), which {@code agent run} wakes up for.
     */
    record Outcome(
            Optional<SnapshotRound> taken,
            List<String> warnings,
            List<String> failures,
            List<DatasetName> left,
            Optional<SnapshotRound> failed,
            Optional<SnapshotRound> tried,
            Optional<Instant> nextRound) {
        Outcome {
            warnings = List.copyOf(warnings);
            failures = List.copyOf(failures);
            left = List.copyOf(left);
        }

        Outcome(Optional<SnapshotRound> taken, List<String> warnings, List<String> failures, List<DatasetName> left) {
            this(taken, warnings, failures, left, Optional.empty(), taken, Optional.empty());
        }

        /** This outcome with the next round's time: an interval (or the cron time) after {@code last}. */
        Outcome nextAfter(Snapshotting snapshotting, Optional<Instant> last, ZoneId zone) {
            Optional<Instant> next = snapshotting.type() == Snapshotting.Type.MANUAL
                    ? Optional.empty()
                    : last.map(at -> SnapshotSchedule.nextRound(snapshotting, at, zone));
            return new Outcome(taken, warnings, failures, left, failed, tried, next);
        }

        static final Outcome NONE = new Outcome(Optional.empty(), List.of(), List.of(), List.of());

        /** The round that ran and took no snapshot anywhere: the schedule's next one counts from its start. */
        Optional<SnapshotRound> inVain() {
            return taken.isEmpty() ? tried : Optional.empty();
        }

        /** The name of the snapshot taken. */
        Optional<String> name() {
            return taken.map(SnapshotRound::name);
        }
    }

    /**
     * @param cursors each filesystem's replication cursor, where it has one
     * @param lastRound the job's last snapshot round as its status file recorded it
     * @param lastInVain the job's last round that took no snapshot, as its status file recorded it
     * @param force take one even if none is due
     */
    Outcome takeIfDue(
            List<DatasetName> selected,
            Map<DatasetName, List<ZfsVersion>> versions,
            Map<DatasetName, Optional<ZfsVersion>> cursors,
            Optional<SnapshotRound> lastRound,
            Optional<SnapshotRound> lastInVain,
            boolean force)
            throws InterruptedException {
        if (snapshotting.type() == Snapshotting.Type.MANUAL) {
            return Outcome.NONE;
        }
        List<Optional<Instant>> newest = new ArrayList<>();
        // A snapshot taken while the clock was ahead (no NTP yet, a wrong RTC) would keep every later one from
        // coming due until the clock caught up with it, silently; zrepl refuses it and retries an interval later.
        Instant future = clock.instant().plus(FUTURE_TOLERANCE);
        List<String> fromTheFuture = new ArrayList<>();
        for (DatasetName fs : selected) {
            Optional<Instant> snapshot = versions.getOrDefault(fs, List.of()).stream()
                    .filter(v -> v.type() == VersionType.SNAPSHOT && v.name().startsWith(snapshotting.prefix()))
                    .filter(v -> {
                        boolean ahead = v.creation().isAfter(future);
                        if (ahead) fromTheFuture.add(v.fullName() + " (" + v.creation() + ")");
                        return !ahead;
                    })
                    .max(Comparator.comparing(ZfsVersion::creation))
                    .map(v -> roundStart(v, lastRound));
            // Rules that prune snapshots once replicated (not_replicated with keep_snapshot_at_cursor: false, the
            // cursor a bookmark) may leave none with the prefix, or only older ones: the cursor's creation then
            // says when the last was taken, or every check would take another at once. Not when the cursor is a
            // snapshot without the prefix that still exists (another tool's, which zreplj replicates too): its
            // snapshots every 15 minutes would keep an hourly schedule from ever coming due.
            List<ZfsVersion> mine = versions.getOrDefault(fs, List.of());
            Optional<Instant> cursor = cursors.getOrDefault(fs, Optional.empty())
                    .filter(c -> mine.stream()
                            .noneMatch(v -> v.type() == VersionType.SNAPSHOT
                                    && v.guid() == c.guid()
                                    && !v.name().startsWith(snapshotting.prefix())))
                    .map(ZfsVersion::creation)
                    .filter(c -> !c.isAfter(future));
            newest.add(Stream.of(snapshot, cursor).flatMap(Optional::stream).max(Instant::compareTo));
        }
        if (!fromTheFuture.isEmpty()) {
            // The schedule goes on without them, but pruning cannot: a grid's "now" is the newest matching snapshot
            // (zrepl's semantics, on both sides), so until the clock passes it no snapshot taken since is in a grid.
            String them = fromTheFuture.size() == 1 ? "it" : "them";
            // Which clock was wrong decides the fix: a clock behind now (a dead RTC battery, before NTP) makes every
            // snapshot look ahead, and destroying them would lose the backups; so the clock comes first.
            log.warn(
                    "job {}: {} created after now by this machine's clock, so the schedule ignores {}: {}; if this"
                            + " clock is behind, set it right (timedatectl); if it was ahead when {} taken, destroy"
                            + " {} here and on the box: a grid keep rule counts from the newest snapshot, so until the"
                            + " clock passes {} the grids keep none taken since",
                    job,
                    fromTheFuture.size() == 1 ? "a snapshot was" : fromTheFuture.size() + " snapshots were",
                    them,
                    String.join(", ", fromTheFuture.subList(0, Math.min(3, fromTheFuture.size())))
                            + (fromTheFuture.size() > 3 ? ", ..." : ""),
                    fromTheFuture.size() == 1 ? "it was" : "they were",
                    them,
                    them);
        }
        Instant now = clock.instant();
        // Not one from the future: the clock went back since, and it would hold the schedule as such a snapshot would.
        Optional<Instant> inVain = lastInVain.map(SnapshotRound::startedAt).filter(at -> !at.isAfter(future));
        if (!force && !SnapshotSchedule.due(snapshotting, newest, inVain, now, clock.getZone())) {
            log.info("job {}: no snapshot due", job);
            if (inVain.isPresent()) {
                // Until a round takes one, each pass says so: a pass between rounds is no success of the snapshot
                // stage, and status would flap between the failed round's WARNING and OK.
                String line = "@" + lastInVain.get().name() + " (the round at " + inVain.get()
                        + ") was not taken, as that pass reported; the next round is due at "
                        + SnapshotSchedule.next(snapshotting, inVain.get(), clock.getZone()) + ", "
                        + (snapshotting.type() == Snapshotting.Type.PERIODIC
                                ? "an interval after it"
                                : "the cron time after it")
                        + " (as zrepl's), not at every check";
                return new Outcome(
                                Optional.empty(),
                                List.of(),
                                List.of(line),
                                List.of(),
                                Optional.empty(),
                                Optional.empty(),
                                Optional.empty())
                        .nextAfter(snapshotting, last(newest, inVain), clock.getZone());
            }
            return Outcome.NONE.nextAfter(snapshotting, last(newest, inVain), clock.getZone());
        }
        Instant at = freeInstant(now, selected, versions);
        String name = snapshotting.naming().name(at);
        // One name over zfs's limit fails the one atomic zfs snapshot of them all, on every pass: that filesystem
        // is left out and named, the others get theirs.
        List<String> tooLong = new ArrayList<>();
        List<DatasetName> tooLongFilesystems = new ArrayList<>();
        List<DatasetName> fitting = new ArrayList<>();
        for (DatasetName fs : selected) {
            int length = fs.value().length() + 1 + name.length();
            if (length > DatasetName.MAX_LENGTH) {
                tooLong.add("@" + name + " of " + fs + " not taken: its full name would be " + length
                        + " characters, over zfs's " + DatasetName.MAX_LENGTH + ": shorten the filesystem's name by "
                        + (length - DatasetName.MAX_LENGTH) + " (or the job's snapshot prefix or timestamp_format),"
                        + " or exclude it from the job's filter");
                tooLongFilesystems.add(fs);
            } else {
                fitting.add(fs);
            }
        }
        tooLong.forEach(line -> log.warn("job {}: {}", job, line));
        SnapshotHooks.Outcome hooked = new SnapshotHooks(snapshotting.hooks(), new HookRunner())
                .around(fitting, name, filesystems -> zfs.snapshot(filesystems, name));
        List<DatasetName> keptOut = fitting.stream()
                .filter(fs -> !hooked.snapshotted().contains(fs))
                .toList();
        List<String> failures = new ArrayList<>(tooLong);
        keptOut.forEach(fs ->
                failures.add("@" + name + " of " + fs + " not taken: a pre_snapshot hook with err_is_fatal failed"));
        // Every filesystem this snapshot left out: status must not time their last snapshot by it.
        List<DatasetName> left = new ArrayList<>(tooLongFilesystems);
        left.addAll(keptOut);
        if (hooked.failure() != null) {
            // What exists is still replicated and both sides pruned, which may free the space it lacked.
            int tried = hooked.snapshotted().size();
            String line = "taking @" + name + " of " + tried + " filesystem" + (tried == 1 ? "" : "s") + " failed: "
                    + hooked.failure().getMessage();
            if (String.valueOf(hooked.failure().getMessage()).contains("already exists")) {
                // A timestamp_format coarser than the schedule names two snapshots alike (zfs's words say no more);
                // so does a clock that went back under a coarse layout, or one without an offset in a zone's repeated
                // hour: that clash ends by itself, as the clock moves past the name, and wants no change.
                line += "; a snapshot named @" + name + " exists already: if timestamp_format counts coarser than"
                        + " the schedule takes snapshots (a day for hourly ones), use a finer one (dense has seconds);"
                        + " if the clock went back (set back, or summer time ended under a layout without an offset),"
                        + " the clash ends as the clock moves on";
            }
            log.warn("job {}: {}", job, line);
            failures.add(line);
            SnapshotRound round = new SnapshotRound(name, at);
            return new Outcome(
                            Optional.empty(),
                            hooked.reports(),
                            failures,
                            left,
                            Optional.of(round),
                            Optional.of(round),
                            Optional.empty())
                    .nextAfter(snapshotting, Optional.of(at), clock.getZone());
        }
        List<DatasetName> taken = hooked.snapshotted();
        if (taken.isEmpty()) {
            return new Outcome(
                            Optional.empty(),
                            hooked.reports(),
                            failures,
                            left,
                            Optional.empty(),
                            Optional.of(new SnapshotRound(name, at)),
                            Optional.empty())
                    .nextAfter(snapshotting, Optional.of(at), clock.getZone());
        }
        log.info("job {}: took @{} of {} filesystem{}", job, name, taken.size(), taken.size() == 1 ? "" : "s");
        return new Outcome(Optional.of(new SnapshotRound(name, at)), hooked.reports(), failures, left)
                .nextAfter(snapshotting, Optional.of(at), clock.getZone());
    }

    /** The job's last round: its newest snapshot's (or cursor's), or the last round in vain, whichever is later. */
    private static Optional<Instant> last(List<Optional<Instant>> newest, Optional<Instant> inVain) {
        return Stream.concat(newest.stream().flatMap(Optional::stream), inVain.stream())
                .max(Instant::compareTo);
    }

    /**
     * When the round that took {@code snapshot} began, for a periodic schedule: the start its status file recorded
     * for it, else its creation. zrepl's snapshotter ticks an interval after its last round began (snapper/
     * periodic.go); zfs stamps the creation after the pre_snapshot hooks, and with hooks longer than the slack (a
     * database dump) the next slot would find the snapshot less than an interval old and skip, every other time.
     * A recorded start after the creation is not that round's (the clock was set back since): the creation.
     */
    private Instant roundStart(ZfsVersion snapshot, Optional<SnapshotRound> lastRound) {
        Instant created = snapshot.creation();
        if (snapshotting.type() != Snapshotting.Type.PERIODIC) {
            return created;
        }
        return lastRound
                .filter(r -> r.name().equals(snapshot.name()))
                .map(SnapshotRound::startedAt)
                .filter(started -> !started.isAfter(created))
                .orElse(created);
    }

    /**
     * The instant the snapshot is named for: {@code now}, or a second later where the pass started within a taken
     * name's second.
     */
    private Instant freeInstant(Instant now, List<DatasetName> selected, Map<DatasetName, List<ZfsVersion>> versions)
            throws InterruptedException {
        String name = snapshotting.naming().name(now);
        Instant nextSecond = now.truncatedTo(ChronoUnit.SECONDS).plusSeconds(1);
        if (!nameTaken(selected, versions, name)
                || snapshotting.naming().name(nextSecond).equals(name)) {
            return now;
        }
        // A pass right after another within one second (`agent once --snapshot` by hand after the timer's pass):
        // zrepl's dense layout counts seconds (its _000 is literal), so zfs would refuse the name. The name
        // changes within a second: waiting for it costs less than a failed pass. A coarser layout is the admin's
        // to change (takeIfDue's hint).
        log.debug("job {}: @{} exists already; waiting for the next second's name", job, name);
        // The wall clock is asked again after each wait: the wait runs on another clock (and a slewing NTP can hold
        // this one back), so one wait of the difference may end a little before the second it waited for.
        // Bounded: a clock that stands still or went back gives its name to zfs, which decides.
        Instant at = now;
        for (int wait = 0; wait < 5 && at.isBefore(nextSecond) && !at.isBefore(now); wait++) {
            sleeper.sleep(Duration.between(at, nextSecond));
            at = clock.instant();
        }
        return at;
    }

    private static boolean nameTaken(
            List<DatasetName> selected, Map<DatasetName, List<ZfsVersion>> versions, String name) {
        return selected.stream()
                .flatMap(fs -> versions.getOrDefault(fs, List.of()).stream())
                .anyMatch(v -> v.type() == VersionType.SNAPSHOT && v.name().equals(name));
    }
}
