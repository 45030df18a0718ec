package dev.zreplj.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.zreplj.config.Snapshotting;
import java.time.Instant;
import java.time.ZoneId;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class SnapshotScheduleTest {
    private static final ZoneId BERLIN = ZoneId.of("Europe/Berlin");
    /** The newest snapshot: 00:30 UTC, 02:30 in Berlin (summer time). */
    private static final List<Optional<Instant>> NEWEST = List.of(Optional.of(Instant.parse("2024-05-04T00:30:00Z")));

    private static Snapshotting cron(String spec) {
        return new Snapshotting(Snapshotting.Type.CRON, "zrepl_", null, spec, null, "UTC", 500, List.of());
    }

    @Test
    void aCronSpecWithoutPrefixFiresInTheAgentsLocalZone() {
        // 03:00 Berlin is 01:00 UTC.
        assertFalse(SnapshotSchedule.due(cron("0 3 * * *"), NEWEST, Instant.parse("2024-05-04T00:59:00Z"), BERLIN));
        assertTrue(SnapshotSchedule.due(cron("0 3 * * *"), NEWEST, Instant.parse("2024-05-04T01:00:00Z"), BERLIN));
    }

    @Test
    void aCronTzPrefixNamesTheZoneWhateverTheAgentsIs() {
        Snapshotting utc = cron("CRON_TZ=UTC 0 3 * * *");
        assertFalse(SnapshotSchedule.due(utc, NEWEST, Instant.parse("2024-05-04T01:00:00Z"), BERLIN));
        assertFalse(SnapshotSchedule.due(utc, NEWEST, Instant.parse("2024-05-04T02:59:00Z"), BERLIN));
        assertTrue(SnapshotSchedule.due(utc, NEWEST, Instant.parse("2024-05-04T03:00:00Z"), BERLIN));
    }

    private static Snapshotting periodic(String interval) {
        return new Snapshotting(
                Snapshotting.Type.PERIODIC,
                "zrepl_",
                dev.zreplj.config.Durations.parse(interval),
                null,
                null,
                "UTC",
                500,
                List.of());
    }

    @Test
    void aFilesystemWithoutPrefixedSnapshotWaitsForTheSyncPointOfTheOthers() {
        // zrepl internal/daemon/snapper/periodic.go findSyncPoint and docs/configuration/snapshotting.rst: a
        // filesystem without snapshots by the snapshotter has lower priority than those with, and is
        // snapshotted at the next sync point (newest prefixed snapshot + interval), not at once. Otherwise
        // one filesystem that never gets one (a fatal pre_snapshot hook) snapshots all others every check.
        Instant newest = Instant.parse("2024-05-04T10:00:00Z");
        List<Optional<Instant>> oneNew = List.of(Optional.of(newest), Optional.empty());
        assertFalse(SnapshotSchedule.due(periodic("1h"), oneNew, newest.plusSeconds(60), BERLIN));
        assertTrue(SnapshotSchedule.due(periodic("1h"), oneNew, newest.plusSeconds(3600), BERLIN));
        assertFalse(SnapshotSchedule.due(cron("0 * * * *"), oneNew, newest.plusSeconds(60), BERLIN));
        assertTrue(SnapshotSchedule.due(cron("0 * * * *"), oneNew, newest.plusSeconds(3600), BERLIN));
    }

    @Test
    void withoutAnyPrefixedSnapshotOneIsDueAtOnce() {
        // zrepl findSyncPoint: when no filesystem has one, the sync point is now.
        List<Optional<Instant>> none = List.of(Optional.empty(), Optional.empty());
        assertTrue(SnapshotSchedule.due(periodic("1h"), none, Instant.parse("2024-05-04T10:00:00Z"), BERLIN));
    }

    /** One filesystem left behind (a fatal hook, a full pool) does not make every check due: the job's last does. */
    @Test
    void theJobsLastSnapshotDecidesNotTheFilesystemFurthestBehind() {
        Instant last = Instant.parse("2024-05-04T10:00:00Z");
        List<Optional<Instant>> oneBehind = List.of(Optional.of(last), Optional.of(last.minusSeconds(600)));
        assertFalse(SnapshotSchedule.due(periodic("10m"), oneBehind, last.plusSeconds(60), BERLIN));
        assertTrue(SnapshotSchedule.due(periodic("10m"), oneBehind, last.plusSeconds(600), BERLIN));
        List<Optional<Instant>> hourBehind = List.of(Optional.of(last), Optional.of(last.minusSeconds(3600)));
        assertFalse(SnapshotSchedule.due(cron("0 * * * *"), hourBehind, last.plusSeconds(60), BERLIN));
        assertTrue(SnapshotSchedule.due(cron("0 * * * *"), hourBehind, last.plusSeconds(3600), BERLIN));
    }

    /**
     * zreplj-agent.timer fires every 10 minutes with up to 30 s of random delay: a run that starts a few seconds
     * sooner after its firing than the last finds the last snapshot just under 10 minutes old. It is due (a tenth
     * of the interval, at most 30 s, of slack), or every other slot would be skipped.
     */
    @Test
    void aPeriodicSnapshotIsDueATenthOfTheIntervalAtMost30SecondsEarly() {
        Instant last = Instant.parse("2024-05-04T10:00:25Z");
        List<Optional<Instant>> newest = List.of(Optional.of(last));
        assertTrue(SnapshotSchedule.due(periodic("10m"), newest, Instant.parse("2024-05-04T10:10:05Z"), BERLIN));
        assertTrue(SnapshotSchedule.due(periodic("10m"), newest, Instant.parse("2024-05-04T10:09:55Z"), BERLIN));
        assertFalse(SnapshotSchedule.due(periodic("10m"), newest, Instant.parse("2024-05-04T10:09:54Z"), BERLIN));
        assertEquals(java.time.Duration.ofSeconds(6), SnapshotSchedule.slack(java.time.Duration.ofMinutes(1)));
        assertEquals(java.time.Duration.ofSeconds(30), SnapshotSchedule.slack(java.time.Duration.ofHours(1)));
    }

    /**
     * Summer time in the agent's zone, as robfig/cron reads the fields for zrepl: a time in the hour the clocks
     * skip does not fire that day (a weekly Sunday 02:00 comes two weeks apart in Berlin at the end of March), and
     * one in the hour they repeat fires in both (one extra snapshot, an hour later: its name, in UTC by default,
     * differs). docs/config.md says so and names CRON_TZ=UTC, which has neither.
     */
    @Test
    void aLocalCronTimeInTheSkippedHourWaitsForItsNextDayAndOneInTheRepeatedHourFiresTwice() {
        // 2026-03-29 02:00 CET does not exist (01:00 UTC the clocks go to 03:00 CEST).
        List<Optional<Instant>> weekBefore = List.of(Optional.of(Instant.parse("2026-03-22T01:00:00Z")));
        assertFalse(SnapshotSchedule.due(cron("0 2 * * 0"), weekBefore, Instant.parse("2026-03-29T12:00:00Z"), BERLIN));
        assertTrue(SnapshotSchedule.due(cron("0 2 * * 0"), weekBefore, Instant.parse("2026-04-05T00:00:00Z"), BERLIN));
        assertTrue(SnapshotSchedule.due(
                cron("CRON_TZ=UTC 0 1 * * 0"), weekBefore, Instant.parse("2026-03-29T01:00:00Z"), BERLIN));

        // 2026-10-25 02:30 happens twice: 00:30 UTC (CEST) and 01:30 UTC (CET).
        List<Optional<Instant>> first = List.of(Optional.of(Instant.parse("2026-10-25T00:30:00Z")));
        assertTrue(SnapshotSchedule.due(cron("30 2 * * *"), first, Instant.parse("2026-10-25T01:30:00Z"), BERLIN));
        assertFalse(SnapshotSchedule.due(
                cron("CRON_TZ=UTC 30 0 * * *"), first, Instant.parse("2026-10-25T01:30:00Z"), BERLIN));
        // An interval is elapsed time: the hour the clocks repeat is no different.
        assertFalse(SnapshotSchedule.due(periodic("2h"), first, Instant.parse("2026-10-25T01:30:00Z"), BERLIN));
        assertTrue(SnapshotSchedule.due(periodic("2h"), first, Instant.parse("2026-10-25T02:30:00Z"), BERLIN));
    }
}
