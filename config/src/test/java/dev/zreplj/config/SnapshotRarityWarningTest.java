package dev.zreplj.config;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDate;
import java.time.temporal.ChronoUnit;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code zreplj status} judges a push or snap job by its newest snapshot's age: a schedule with longer gaps than the
 * warning age makes a healthy job WARNING or CRITICAL between snapshots, which configcheck now says at load time.
 */
class SnapshotRarityWarningTest {
    @TempDir
    Path dir;

    private List<String> warnings(String global, String snapshotting) throws Exception {
        Path file = dir.resolve("zreplj.yml");
        Files.writeString(file, global + """
                        jobs:
                          - name: weekly
                            type: snap
                            filesystems: {"tank<": true}
                            snapshotting:
                        """ + snapshotting + """
                            pruning:
                              keep: [{type: last_n, count: 8}]
                        """);
        return new ConfigLoader().load(file).warnings();
    }

    @Test
    void aWeeklyIntervalUnderTheDailyDefaultsIsCriticalBetweenSnapshots() throws Exception {
        assertEquals(
                List.of(dir.resolve("zreplj.yml") + ":8:7: job 'weekly' goes up to 7d without a new snapshot, but"
                        + " 'zreplj status' says WARNING when the newest is 1d1h old and CRITICAL at 2d1h"
                        + " (global.zreplj.status): between snapshots a healthy job would read WARNING, then CRITICAL;"
                        + " set global.zreplj.status.warn above 7d (and crit above warn)"),
                warnings("", "      type: periodic\n      prefix: zrepl_\n      interval: 7d\n"));
    }

    @Test
    void aScheduleWithinTheAgesOrThresholdsAboveItSayNothing() throws Exception {
        assertEquals(List.of(), warnings("", "      type: periodic\n      prefix: zrepl_\n      interval: 24h\n"));
        assertEquals(List.of(), warnings("", "      type: cron\n      prefix: zrepl_\n      cron: \"0 3 * * *\"\n"));
        assertEquals(List.of(), warnings("", "      type: manual\n"));
        assertEquals(
                List.of(),
                warnings(
                        "global:\n  zreplj:\n    status: {warn: 8d, crit: 15d}\n",
                        "      type: periodic\n      prefix: zrepl_\n      interval: 7d\n"));
    }

    @Test
    void aCronScheduleIsJudgedByItsLongestGap() throws Exception {
        // Hourly on weekdays: the weekend is 2d1h without a snapshot, WARNING and, at 2d1h, CRITICAL.
        List<String> weekdays = warnings("", "      type: cron\n      prefix: zrepl_\n      cron: \"0 * * * 1-5\"\n");
        assertEquals(1, weekdays.size(), weekdays::toString);
        assertEquals(
                true,
                weekdays.get(0).contains(":8:7: job 'weekly' goes up to 2d1h without a new snapshot"),
                weekdays::toString);
        assertEquals(true, weekdays.get(0).contains("would read WARNING, then CRITICAL;"), weekdays::toString);
        // Only WARNING where the gap lies between the two ages.
        List<String> between = warnings(
                "global:\n  zreplj:\n    status: {warn: 1d, crit: 3d}\n",
                "      type: cron\n      prefix: zrepl_\n      cron: \"0 * * * 1-5\"\n");
        assertEquals(true, between.get(0).contains("would read WARNING; set"), between::toString);
    }

    @Test
    void longestGapOfSpecs() {
        LocalDate from = LocalDate.of(2026, 1, 1);
        assertEquals(Duration.ofMinutes(1), CronSchedule.parse("* * * * *").longestGap(from));
        assertEquals(
                Duration.ofHours(9),
                CronSchedule.parse("0 9,18 * * *").longestGap(from).minusHours(6));
        assertEquals(Duration.ofHours(49), CronSchedule.parse("0 * * * 1-5").longestGap(from));
        // Minutely on weekdays: Friday 23:59 to Monday 00:00.
        assertEquals(
                Duration.ofHours(48).plusMinutes(1),
                CronSchedule.parse("* * * * 1-5").longestGap(from));
        assertEquals(Duration.ofDays(7), CronSchedule.parse("30 2 * * 0").longestGap(from));
        assertEquals(Duration.ofDays(31), CronSchedule.parse("0 0 1 * *").longestGap(from));
        // 29 February fires first in 2028, then in 2032: both past the year from which it is searched.
        assertEquals(
                Duration.ofDays(ChronoUnit.DAYS.between(LocalDate.of(2028, 2, 29), LocalDate.of(2032, 2, 29))),
                CronSchedule.parse("0 0 29 2 *").longestGap(from));
    }
}
