package dev.zreplj.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.zreplj.config.Durations;
import dev.zreplj.config.Snapshotting;
import dev.zreplj.zfs.DatasetName;
import dev.zreplj.zfs.VersionType;
import dev.zreplj.zfs.ZfsVersion;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** When a periodic snapshot is due: what counts as the job's last snapshot (zrepl counts only its prefix). */
class SnapshotStageTest {
    private static final DatasetName FS = DatasetName.of("pool/data");
    private static final Instant T0 = Instant.parse("2026-01-01T10:00:00Z");
    private static final ZfsVersion OURS =
            new ZfsVersion(FS, VersionType.SNAPSHOT, "zrepl_20260101_100000_000", 1, 10, T0);

    private static Snapshotting hourly() {
        return new Snapshotting(
                Snapshotting.Type.PERIODIC, "zrepl_", Durations.parse("1h"), null, "dense", "UTC", 500, List.of());
    }

    private static Optional<String> taken(List<ZfsVersion> versions, Optional<ZfsVersion> cursor, Instant now)
            throws Exception {
        return taken(versions, cursor, Optional.empty(), now);
    }

    private static Optional<String> takenAfter(
            List<ZfsVersion> versions, Optional<SnapshotRound> lastRound, Instant now) throws Exception {
        return taken(versions, Optional.empty(), lastRound, now);
    }

    private static Optional<String> taken(
            List<ZfsVersion> versions, Optional<ZfsVersion> cursor, Optional<SnapshotRound> lastRound, Instant now)
            throws Exception {
        FakeZfs zfs = new FakeZfs().filesystem(FS.value());
        SnapshotStage stage = new SnapshotStage("j", hourly(), zfs, Clock.fixed(now, ZoneOffset.UTC), d -> {});
        return stage.takeIfDue(
                        List.of(FS), Map.of(FS, versions), Map.of(FS, cursor), lastRound, Optional.empty(), false)
                .name();
    }

    /**
     * Another tool's snapshot every 15 minutes, replicated too, became the cursor: its creation counted as
     * the job's last snapshot, so an hourly schedule never came due (the snapshotting audit).
     */
    @Test
    void anotherToolsSnapshotAtTheCursorDoesNotPostponeTheSchedule() throws Exception {
        ZfsVersion auto = new ZfsVersion(FS, VersionType.SNAPSHOT, "autosnap_frequent", 2, 20, T0.plusSeconds(3300));
        Instant now = T0.plusSeconds(3900);
        assertEquals(Optional.of("zrepl_20260101_110500_000"), taken(List.of(OURS, auto), Optional.of(auto), now));
        // The cursor of a pruned zrepl_ snapshot (a bookmark, no snapshot left) still counts, as before.
        ZfsVersion mark = new ZfsVersion(FS, VersionType.BOOKMARK, "zrepl_CURSOR_G_3_J_j", 3, 30, T0.plusSeconds(3300));
        assertEquals(Optional.empty(), taken(List.of(OURS, mark), Optional.of(mark), now));
    }

    /** A timestamp_format coarser than the schedule: zfs says only "dataset already exists". */
    @Test
    void aNameTakenAlreadyPointsAtTheTimestampFormat() throws Exception {
        FakeZfs zfs = new FakeZfs().filesystem(FS.value());
        zfs.fail("snapshot", "cannot create snapshot 'pool/data@zrepl_2026-01-01': dataset already exists");
        SnapshotStage stage =
                new SnapshotStage("j", hourly(), zfs, Clock.fixed(T0.plusSeconds(3900), ZoneOffset.UTC), d -> {});
        SnapshotStage.Outcome out = stage.takeIfDue(
                List.of(FS),
                Map.of(FS, List.of(OURS)),
                Map.of(FS, Optional.of(OURS)),
                Optional.empty(),
                Optional.empty(),
                false);
        assertEquals(1, out.failures().size(), out::toString);
        assertTrue(
                out.failures()
                        .get(0)
                        .endsWith("exists already: if timestamp_format counts coarser than the schedule"
                                + " takes snapshots (a day for hourly ones), use a finer one (dense has seconds);"
                                + " if the clock went back (set back, or summer time ended under a layout without an"
                                + " offset), the clash ends as the clock moves on"),
                out.failures().get(0));
    }

    /** Taken while the clock was a year ahead: ignored, so the schedule goes on from the snapshots before it. */
    @Test
    void aSnapshotFromTheFutureDoesNotStopTheSchedule() throws Exception {
        ZfsVersion ahead = new ZfsVersion(
                FS, VersionType.SNAPSHOT, "zrepl_20270101_100000_000", 2, 20, T0.plusSeconds(365L * 86400));
        assertEquals(
                Optional.of("zrepl_20260101_110500_000"),
                taken(List.of(OURS, ahead), Optional.of(OURS), T0.plusSeconds(3900)));
        assertEquals(Optional.empty(), taken(List.of(OURS, ahead), Optional.of(OURS), T0.plusSeconds(1800)));
        // What it does to pruning is what the admin must learn: zrepl's grid counts from it, keeping none taken since.
        List<String> warned = dev.zreplj.testing.LogCapture.logged(
                        SnapshotStage.class, () -> taken(List.of(OURS, ahead), Optional.of(OURS), T0.plusSeconds(3900)))
                .stream()
                .filter(l -> l.startsWith("WARN "))
                .toList();
        assertEquals(
                List.of("WARN job j: a snapshot was created after now by this machine's clock, so the schedule ignores"
                        + " it: pool/data@zrepl_20270101_100000_000 (2027-01-01T10:00:00Z); if this clock is behind,"
                        + " set it right (timedatectl); if it was ahead when it was taken, destroy it here and on the"
                        + " box: a grid keep rule counts from the newest snapshot, so until the clock passes it the"
                        + " grids keep none taken since"),
                warned);
    }

    /**
     * One filesystem whose snapshot's full name would pass zfs's 255 characters made the atomic zfs snapshot of
     * every filesystem fail (an unexpected error of the whole pass, on every pass): it is left out and named, with
     * by how much to shorten; the others get theirs.
     */
    @Test
    void aFilesystemTooLongForTheSnapshotNameIsLeftOutAndTheOthersAreTaken() throws Exception {
        // 230 + "@zrepl_20260101_110500_000" (26) = 256
        DatasetName longFs = DatasetName.of("pool/" + "l".repeat(225));
        FakeZfs zfs = new FakeZfs().filesystem(FS.value()).filesystem(longFs.value());
        SnapshotStage stage =
                new SnapshotStage("j", hourly(), zfs, Clock.fixed(T0.plusSeconds(3900), ZoneOffset.UTC), d -> {});
        SnapshotStage.Outcome out = stage.takeIfDue(
                List.of(FS, longFs),
                Map.of(FS, List.of(OURS), longFs, List.of()),
                Map.of(FS, Optional.of(OURS), longFs, Optional.empty()),
                Optional.empty(),
                Optional.empty(),
                false);
        assertEquals(Optional.of("zrepl_20260101_110500_000"), out.name(), out::toString);
        assertEquals(
                List.of("@zrepl_20260101_110500_000 of " + longFs + " not taken: its full name would be 256 characters,"
                        + " over zfs's 255: shorten the filesystem's name by 1 (or the job's snapshot prefix or"
                        + " timestamp_format), or exclude it from the job's filter"),
                out.failures());
        // Left out all the same: status and the metrics must not time its last snapshot by this pass.
        assertEquals(List.of(longFs), out.left(), "it got no snapshot");
    }

    /**
     * `agent once --snapshot` by hand within the second of the timer's snapshot asked zfs for the name it had just
     * given (dense counts seconds; its _000 is literal): the pass failed with "dataset already exists". It waits for
     * the next second's name instead; a layout whose name does not change within a second is not waited for.
     */
    @Test
    void aSnapshotWithinTheSecondOfTheLastWaitsForTheNextSecondsName() throws Exception {
        Instant[] at = {T0.plusMillis(400)};
        Clock clock = new Clock() {
            @Override
            public ZoneOffset getZone() {
                return ZoneOffset.UTC;
            }

            @Override
            public Clock withZone(java.time.ZoneId zone) {
                throw new UnsupportedOperationException();
            }

            @Override
            public Instant instant() {
                return at[0];
            }
        };
        List<Duration> slept = new ArrayList<>();
        Sleeper sleeper = d -> {
            slept.add(d);
            at[0] = at[0].plus(d);
        };
        FakeZfs zfs = new FakeZfs().filesystem(FS.value());
        SnapshotStage.Outcome out = new SnapshotStage("j", hourly(), zfs, clock, sleeper)
                .takeIfDue(
                        List.of(FS),
                        Map.of(FS, List.of(OURS)),
                        Map.of(FS, Optional.of(OURS)),
                        Optional.empty(),
                        Optional.empty(),
                        true);
        assertEquals(Optional.of("zrepl_20260101_100001_000"), out.name(), out::toString);
        assertEquals(List.of(Duration.ofMillis(600)), slept);
        assertEquals(List.of(), out.failures());

        // A wait that ends a microsecond early (Thread.sleep counts whole milliseconds; CI's ClassListIT): waited
        // again, not named after the second it waited for.
        at[0] = T0.plusMillis(400);
        slept.clear();
        Sleeper early = d -> {
            slept.add(d);
            at[0] = at[0].plus(d).minusNanos(slept.size() == 1 ? 1000 : 0);
        };
        SnapshotStage.Outcome again = new SnapshotStage(
                        "j", hourly(), new FakeZfs().filesystem(FS.value()), clock, early)
                .takeIfDue(
                        List.of(FS),
                        Map.of(FS, List.of(OURS)),
                        Map.of(FS, Optional.of(OURS)),
                        Optional.empty(),
                        Optional.empty(),
                        true);
        assertEquals(Optional.of("zrepl_20260101_100001_000"), again.name(), again::toString);
        assertEquals(List.of(Duration.ofMillis(600), Duration.ofNanos(1000)), slept);

        Snapshotting daily = new Snapshotting(
                Snapshotting.Type.PERIODIC, "zrepl_", Durations.parse("1h"), null, "20060102", "UTC", 500, List.of());
        ZfsVersion today = new ZfsVersion(FS, VersionType.SNAPSHOT, "zrepl_20260101", 1, 10, T0);
        slept.clear();
        SnapshotStage.Outcome coarse = new SnapshotStage(
                        "j", daily, new FakeZfs().filesystem(FS.value()), clock, sleeper)
                .takeIfDue(
                        List.of(FS),
                        Map.of(FS, List.of(today)),
                        Map.of(FS, Optional.of(today)),
                        Optional.empty(),
                        Optional.empty(),
                        true);
        assertEquals(List.of(), slept, "the name would not change within a second");
        assertEquals(Optional.of("zrepl_20260101"), coarse.name(), "zfs (here a fake that does not refuse) decides");
    }

    /**
     * A pre_snapshot hook of 45 s (a database dump) with a 1 h interval: zfs stamped the snapshot 45 s after its
     * round began, and at the next slot, an interval after that start, it was 59 min 15 s old, less than the
     * interval minus the 30 s slack, so the slot was skipped and snapshots came two intervals apart. zrepl's
     * snapshotter counts from the round's start.
     */
    @Test
    void theScheduleCountsFromWhenTheLastRoundBeganNotFromAfterItsHooks() throws Exception {
        ZfsVersion afterHooks = new ZfsVersion(FS, VersionType.SNAPSHOT, OURS.name(), 1, 10, T0.plusSeconds(45));
        Instant nextSlot = T0.plusSeconds(3600);
        SnapshotRound round = new SnapshotRound(OURS.name(), T0);
        assertEquals(
                Optional.of("zrepl_20260101_110000_000"),
                takenAfter(List.of(afterHooks), Optional.of(round), nextSlot));
        // Without a record of the round (a file from an older zreplj), or a record of another snapshot: its creation.
        assertEquals(Optional.empty(), takenAfter(List.of(afterHooks), Optional.empty(), nextSlot));
        SnapshotRound other = new SnapshotRound("zrepl_20260101_090000_000", T0.minusSeconds(3600));
        assertEquals(Optional.empty(), takenAfter(List.of(afterHooks), Optional.of(other), nextSlot));
        // A recorded start after the creation (the clock set back since) is not that round's.
        SnapshotRound later = new SnapshotRound(OURS.name(), T0.plusSeconds(600));
        assertEquals(Optional.empty(), takenAfter(List.of(afterHooks), Optional.of(later), nextSlot));
    }

    /**
     * A round that took no snapshot (zfs snapshot failed here; a fatal pre_snapshot hook on every filesystem alike)
     * is the schedule's last tick, as zrepl's snapshotter waits an interval after a failed round: the next check a
     * minute later ran the round, and its hooks, again, and so on every minute (the snapshotting audit).
     */
    @Test
    void aRoundThatTookNoSnapshotIsTheSchedulesLastTick() throws Exception {
        Instant failedAt = T0.plusSeconds(3600);
        FakeZfs zfs = new FakeZfs().filesystem(FS.value());
        zfs.fail("snapshot", "cannot create snapshot 'pool/data@zrepl_20260101_110000_000': out of space");
        SnapshotStage.Outcome failed = new SnapshotStage(
                        "j", hourly(), zfs, Clock.fixed(failedAt, ZoneOffset.UTC), d -> {})
                .takeIfDue(List.of(FS), Map.of(FS, List.of(OURS)), Map.of(), Optional.empty(), Optional.empty(), false);
        SnapshotRound round = new SnapshotRound("zrepl_20260101_110000_000", failedAt);
        assertEquals(Optional.of(round), failed.inVain(), failed::toString);

        // A minute later: not due (OURS alone said it was), and the pass says why none is taken; an interval after
        // the failed round: due.
        assertEquals(Optional.empty(), takenAfterInVain(Optional.of(round), failedAt.plusSeconds(60)));
        SnapshotStage.Outcome between = new SnapshotStage(
                        "j",
                        hourly(),
                        new FakeZfs().filesystem(FS.value()),
                        Clock.fixed(failedAt.plusSeconds(60), ZoneOffset.UTC),
                        d -> {})
                .takeIfDue(
                        List.of(FS), Map.of(FS, List.of(OURS)), Map.of(), Optional.empty(), Optional.of(round), false);
        assertEquals(
                List.of("@zrepl_20260101_110000_000 (the round at 2026-01-01T11:00:00Z) was not taken, as that pass"
                        + " reported; the next round is due at 2026-01-01T11:59:30Z, an interval after it (as zrepl's),"
                        + " not at every check"),
                between.failures());
        assertEquals(
                Optional.of("zrepl_20260101_120000_000"),
                takenAfterInVain(Optional.of(round), failedAt.plusSeconds(3600)));
        // Without the record (a file from an older zreplj): OURS decides, as before.
        assertEquals(
                Optional.of("zrepl_20260101_110100_000"), takenAfterInVain(Optional.empty(), failedAt.plusSeconds(60)));
        // A recorded round from the future (the clock went back since) does not hold the schedule.
        SnapshotRound ahead = new SnapshotRound("zrepl_20270101_110000_000", failedAt.plusSeconds(365L * 86400));
        assertEquals(
                Optional.of("zrepl_20260101_110100_000"),
                takenAfterInVain(Optional.of(ahead), failedAt.plusSeconds(60)));
        // A round that took one is no round in vain.
        SnapshotStage.Outcome ok = new SnapshotStage(
                        "j",
                        hourly(),
                        new FakeZfs().filesystem(FS.value()),
                        Clock.fixed(failedAt, ZoneOffset.UTC),
                        d -> {})
                .takeIfDue(List.of(FS), Map.of(FS, List.of(OURS)), Map.of(), Optional.empty(), Optional.empty(), false);
        assertEquals(Optional.empty(), ok.inVain(), ok::toString);
    }

    /** When the next round comes, for agent run to wake up then: an interval after the last, or the next cron time. */
    @Test
    void theOutcomeSaysWhenTheNextRoundComes() throws Exception {
        Instant now = T0.plusSeconds(1800);
        SnapshotStage hourly = new SnapshotStage(
                "j", hourly(), new FakeZfs().filesystem(FS.value()), Clock.fixed(now, ZoneOffset.UTC), d -> {});
        SnapshotStage.Outcome notDue = hourly.takeIfDue(
                List.of(FS), Map.of(FS, List.of(OURS)), Map.of(), Optional.empty(), Optional.empty(), false);
        assertEquals(Optional.of(T0.plusSeconds(3600)), notDue.nextRound(), notDue::toString);
        SnapshotStage.Outcome taken = hourly.takeIfDue(
                List.of(FS), Map.of(FS, List.of(OURS)), Map.of(), Optional.empty(), Optional.empty(), true);
        assertEquals(Optional.of(now.plusSeconds(3600)), taken.nextRound(), taken::toString);

        Snapshotting cron = new Snapshotting(
                Snapshotting.Type.CRON, "zrepl_", null, "0 */15 * * * *", "dense", "UTC", 500, List.of());
        SnapshotStage quarterly = new SnapshotStage(
                "j",
                cron,
                new FakeZfs().filesystem(FS.value()),
                Clock.fixed(T0.plusSeconds(60), ZoneOffset.UTC),
                d -> {});
        SnapshotStage.Outcome waiting = quarterly.takeIfDue(
                List.of(FS), Map.of(FS, List.of(OURS)), Map.of(), Optional.empty(), Optional.empty(), false);
        assertEquals(Optional.of(T0.plusSeconds(900)), waiting.nextRound(), waiting::toString);
    }

    private static Optional<String> takenAfterInVain(Optional<SnapshotRound> inVain, Instant now) throws Exception {
        SnapshotStage stage = new SnapshotStage(
                "j", hourly(), new FakeZfs().filesystem(FS.value()), Clock.fixed(now, ZoneOffset.UTC), d -> {});
        return stage.takeIfDue(List.of(FS), Map.of(FS, List.of(OURS)), Map.of(), Optional.empty(), inVain, false)
                .name();
    }

    /** The round's start is the instant its name was made for, which the next pass's schedule counts from. */
    @Test
    void aTakenSnapshotCarriesWhenItsRoundBegan() throws Exception {
        Instant now = Instant.parse("2026-01-01T11:00:07.250Z");
        SnapshotStage.Outcome out = new SnapshotStage(
                        "j", hourly(), new FakeZfs().filesystem(FS.value()), Clock.fixed(now, ZoneOffset.UTC), d -> {})
                .takeIfDue(List.of(FS), Map.of(FS, List.of(OURS)), Map.of(), Optional.empty(), Optional.empty(), false);
        assertEquals(Optional.of(new SnapshotRound("zrepl_20260101_110007_000", now.getEpochSecond())), out.taken());
    }
}
