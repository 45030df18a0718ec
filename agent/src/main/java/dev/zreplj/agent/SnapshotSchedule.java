package dev.zreplj.agent;

import dev.zreplj.config.CronSchedule;
import dev.zreplj.config.Snapshotting;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.Collection;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * Whether a job's snapshot is due, decided from the snapshots themselves (the newest one with the job's
 * prefix on each selected filesystem), as zrepl does: no state file can drift from what ZFS holds.
 */
public final class SnapshotSchedule {
    private SnapshotSchedule() {}

    /**
     * @param newestPerFilesystem creation of the newest prefixed snapshot of each selected filesystem
     *                            (empty where a filesystem has none; such a one counts only when all are)
     */
    public static boolean due(
            Snapshotting snapshotting, Collection<Optional<Instant>> newestPerFilesystem, Instant now, ZoneId zone) {
        return due(snapshotting, newestPerFilesystem, Optional.empty(), now, zone);
    }

    /**
     * @param lastRoundInVain when the job's last round began that took no snapshot at all (every filesystem kept
     *                        out by a fatal pre_snapshot hook, {@code zfs snapshot} failed): the schedule counts
     *                        from it as from a snapshot, as zrepl's snapshotter waits an interval after a failed
     *                        round (snapper/periodic.go, its error wait), and not at every check, each running
     *                        the hooks again
     */
    public static boolean due(
            Snapshotting snapshotting,
            Collection<Optional<Instant>> newestPerFilesystem,
            Optional<Instant> lastRoundInVain,
            Instant now,
            ZoneId zone) {
        if (snapshotting.type() == Snapshotting.Type.MANUAL || newestPerFilesystem.isEmpty()) {
            return false;
        }
        // The job's last snapshot decides: one call snapshots all selected filesystems under one name, so the
        // newest prefixed snapshot of any of them is the job's last tick, and the next is due an interval after
        // it, as zrepl's snapshotter ticks an interval after the last (snapper/periodic.go). A filesystem that
        // stayed behind (a fatal pre_snapshot hook kept it out, its pool was full) or that has none yet gets one
        // at that next tick; were it to decide, every check until then would snapshot all the others. Only when
        // no filesystem has one is a snapshot due at once (zrepl's findSyncPoint).
        Optional<Instant> lastOrNone = Stream.concat(
                        newestPerFilesystem.stream().flatMap(Optional::stream), lastRoundInVain.stream())
                .max(Instant::compareTo);
        if (lastOrNone.isEmpty()) {
            return true;
        }
        return !next(snapshotting, lastOrNone.get(), zone).isAfter(now);
    }

    /**
     * When the round after one at {@code last} comes, exactly: an interval after it, or the cron time after it. What
     * {@code agent run} waits for, as zrepl's snapshotter sleeps until then; {@link #next} is that less the slack a
     * timer's run needs.
     */
    static Instant nextRound(Snapshotting snapshotting, Instant last, ZoneId zone) {
        if (snapshotting.type() == Snapshotting.Type.PERIODIC) {
            return last.plus(snapshotting.interval());
        }
        return CronSchedule.parse(snapshotting.cron()).next(last.atZone(zone)).toInstant();
    }

    /** When the round after one at {@code last} is due (periodic or cron snapshotting). */
    static Instant next(Snapshotting snapshotting, Instant last, ZoneId zone) {
        Instant round = nextRound(snapshotting, last, zone);
        return snapshotting.type() == Snapshotting.Type.PERIODIC ? round.minus(slack(snapshotting.interval())) : round;
    }

    /**
     * How much earlier than a full interval a periodic snapshot counts as due. A timer or cron job that runs
     * at the interval's own period (zreplj-agent.timer: every 10 minutes) finds the last snapshot a little less
     * than an interval old whenever this run started a second sooner after its firing than the last: without
     * slack it would skip that slot and the snapshots come 20 minutes apart. A tenth of the interval, at most
     * 30 s, is far below any timer period and so never makes a run early enough to take two in one slot.
     */
    static Duration slack(Duration interval) {
        Duration tenth = interval.dividedBy(10);
        return tenth.compareTo(MAX_SLACK) < 0 ? tenth : MAX_SLACK;
    }

    private static final Duration MAX_SLACK = Duration.ofSeconds(30);
}
