package dev.zreplj.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.LocalDateTime;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class CronScheduleTest {
    private static final ZoneId UTC = ZoneId.of("UTC");

    private static ZonedDateTime at(String localDateTime) {
        return ZonedDateTime.of(LocalDateTime.parse(localDateTime), UTC);
    }

    private static String next(String spec, String after) {
        return CronSchedule.parse(spec).next(at(after)).toLocalDateTime().toString();
    }

    @Test
    void everyMinuteIsStrictlyAfter() {
        assertEquals("2024-01-01T00:01", next("* * * * *", "2024-01-01T00:00"));
        assertEquals("2024-01-01T00:01", next("* * * * *", "2024-01-01T00:00:59.999"));
        assertEquals("2024-01-01T00:00", next("* * * * *", "2023-12-31T23:59"));
    }

    @Test
    void fixedTimes() {
        assertEquals("2024-01-01T03:00", next("0 3 * * *", "2024-01-01T00:00"));
        assertEquals("2024-01-02T03:00", next("0 3 * * *", "2024-01-01T03:00"));
        assertEquals("2025-01-01T00:00", next("0 0 1 1 *", "2024-01-01T00:00"));
    }

    @Test
    void stepsListsRanges() {
        assertEquals("2024-01-01T00:15", next("*/15 * * * *", "2024-01-01T00:00"));
        assertEquals("2024-01-01T01:00", next("*/15 * * * *", "2024-01-01T00:45"));
        assertEquals("2024-01-01T00:20", next("5,20,40 * * * *", "2024-01-01T00:05"));
        assertEquals("2024-01-01T09:00", next("0 9-17/4 * * *", "2024-01-01T08:00"));
        assertEquals("2024-01-01T13:00", next("0 9-17/4 * * *", "2024-01-01T09:00"));
        assertEquals("2024-01-02T09:00", next("0 9-17/4 * * *", "2024-01-01T17:00"));
        assertEquals("2024-01-01T00:50", next("10/20 * * * *", "2024-01-01T00:30"));
    }

    @Test
    void namesAndWeekdays() {
        // 2024-01-01 is a Monday
        assertEquals("2024-01-06T00:00", next("0 0 * * sat", "2024-01-01T00:00"));
        assertEquals("2024-01-07T00:00", next("0 0 * * 0", "2024-01-01T00:00"));
        assertEquals("2024-01-07T00:00", next("0 0 * * 7", "2024-01-01T00:00"));
        assertEquals("2024-01-02T00:00", next("0 0 * * mon-fri", "2024-01-01T00:00"));
        assertEquals("2024-03-01T00:00", next("0 0 1 MAR *", "2024-01-01T00:00"));
    }

    @Test
    void restrictedDayFieldsCombineWithOr() {
        // day 15 or any Sunday, whichever comes first
        assertEquals("2024-01-07T00:00", next("0 0 15 * sun", "2024-01-01T00:00"));
        assertEquals("2024-01-15T00:00", next("0 0 15 * sun", "2024-01-14T00:00"));
        // with one day field '*', both must hold
        assertEquals("2024-01-07T00:00", next("0 0 */1 * sun", "2024-01-01T00:00"));
        assertEquals("2024-01-07T00:00", next("0 0 * * sun", "2024-01-01T00:00"));
        assertEquals("2024-01-14T00:00", next("0 0 ?,15 * sun", "2024-01-08T00:00"));
        assertEquals("2024-01-14T00:00", next("0 0 15,* * sun", "2024-01-08T00:00"));
    }

    @Test
    void aSteppedStarRestrictsItsDayFieldAsInRobfigCron() {
        // robfig/cron (zrepl's parser) keeps the star bit only for '*' or '?' without a step above 1, so
        // '*/2' is a restricted field and the two day fields combine with OR: every odd day, and every Monday.
        // 2024-06-01 is a Saturday.
        CronSchedule s = CronSchedule.parse("0 3 */2 * 1");
        java.util.List<String> fires = new java.util.ArrayList<>();
        ZonedDateTime t = at("2024-06-01T03:00");
        for (int i = 0; i < 6; i++) {
            t = s.next(t);
            fires.add(t.toLocalDate().toString());
        }
        assertEquals(
                java.util.List.of("2024-06-03", "2024-06-05", "2024-06-07", "2024-06-09", "2024-06-10", "2024-06-11"),
                fires);
        // the first of the month, or every second day of the week from Sunday (Sun, Tue, Thu, Sat)
        assertEquals("2024-08-01T00:00", next("0 0 1 * */2", "2024-07-31T00:00"));
        assertEquals("2024-07-02T00:00", next("0 0 1 * */2", "2024-07-01T00:00")); // a Tuesday
        assertEquals("2024-07-04T00:00", next("0 0 1 * */2", "2024-07-02T00:00")); // Wednesday skipped
    }

    @Test
    void aDayOfWeekStepFromADayEndsOnSaturday() {
        // '1/2' is Mon, Wed, Fri in robfig/cron: the range runs to 6, and 7 (Sunday) is not in it.
        // 2024-01-05 is a Friday.
        assertEquals("2024-01-08T00:00", next("0 0 * * 1/2", "2024-01-05T00:00"));
        assertEquals("2024-01-06T00:00", next("0 0 * * 0/2", "2024-01-05T00:00")); // Sun, Tue, Thu, Sat
    }

    @Test
    void aStepLargerThanItsRangeSelectsItsStart() {
        assertEquals("2024-01-01T01:00", next("*/90 * * * *", "2024-01-01T00:00"));
        assertEquals("2024-01-01T00:07", next("7/100 * * * *", "2024-01-01T00:00"));
    }

    @Test
    void leapDay() {
        assertEquals("2028-02-29T00:00", next("0 0 29 2 *", "2024-03-01T00:00"));
    }

    @Test
    void daylightSavingGapIsSkipped() {
        ZoneId berlin = ZoneId.of("Europe/Berlin");
        ZonedDateTime before = ZonedDateTime.of(2024, 3, 31, 1, 30, 0, 0, berlin);
        // 02:30 does not exist that night; the next existing match is a day later
        assertEquals(
                ZonedDateTime.of(2024, 4, 1, 2, 30, 0, 0, berlin),
                CronSchedule.parse("30 2 * * *").next(before));
    }

    /** robfig/cron as zrepl configures it: optional leading seconds, '?' for '*' in any field, CRON_TZ=UTC. */
    @Test
    void zreplsCronDialect() {
        ZonedDateTime t = ZonedDateTime.parse("2024-05-04T10:17:30Z");
        assertEquals(
                CronSchedule.parse("0 3 * * *").next(t),
                CronSchedule.parse("0 0 3 * * *").next(t));
        assertEquals(
                CronSchedule.parse("0 3 * * *").next(t),
                CronSchedule.parse("0 3 ? * *").next(t));
        assertEquals(
                CronSchedule.parse("0 3 1 * *").next(t),
                CronSchedule.parse("0 3 1 * ?").next(t),
                "'?' in day-of-week leaves it unrestricted, so day-of-month alone decides");
        assertEquals(
                CronSchedule.parse("15 * * * *").next(t).toInstant(),
                CronSchedule.parse("CRON_TZ=UTC 15 * * * *").next(t).toInstant());
        assertEquals(
                CronSchedule.parse("15 * * * *").next(t).toInstant(),
                CronSchedule.parse("TZ=Etc/UTC 0 15 * * * ?").next(t).toInstant());
    }

    /**
     * As robfig/cron in zrepl: without a prefix the fields are local time (the zone of the time given, the
     * agent's clock); CRON_TZ=/TZ= names the zone they are read in, whatever the agent's zone is.
     */
    @Test
    void theFieldsAreReadInThePrefixsZoneElseInTheLocalZone() {
        ZoneId berlin = ZoneId.of("Europe/Berlin");
        ZonedDateTime localMidnight = ZonedDateTime.of(2024, 5, 4, 0, 0, 0, 0, berlin); // 22:00 UTC the day before
        assertEquals(
                ZonedDateTime.of(2024, 5, 4, 3, 0, 0, 0, berlin).toInstant(),
                CronSchedule.parse("0 3 * * *").next(localMidnight).toInstant());
        assertEquals(
                ZonedDateTime.parse("2024-05-04T03:00:00Z").toInstant(),
                CronSchedule.parse("CRON_TZ=UTC 0 3 * * *").next(localMidnight).toInstant());
        assertEquals(
                ZonedDateTime.parse("2024-05-04T03:00:00Z").toInstant(),
                CronSchedule.parse("TZ=Etc/UTC 0 0 3 * * *").next(localMidnight).toInstant());
        assertEquals(
                ZonedDateTime.of(2024, 5, 4, 3, 0, 0, 0, ZoneId.of("America/New_York"))
                        .toInstant(),
                CronSchedule.parse("CRON_TZ=America/New_York 0 3 * * *")
                        .next(localMidnight)
                        .toInstant());
        assertEquals(
                ZonedDateTime.of(2024, 5, 4, 3, 0, 0, 0, berlin).toInstant(),
                CronSchedule.parse("CRON_TZ=Local 0 3 * * *")
                        .next(localMidnight)
                        .toInstant());
        assertEquals(
                Optional.of(ZoneId.of("UTC")),
                CronSchedule.parse("CRON_TZ=UTC 0 3 * * *").zone());
        assertEquals(Optional.empty(), CronSchedule.parse("0 3 * * *").zone());
    }

    @Test
    void invalidSpecs() {
        assertEquals(
                "cron spec '* * * *' has 4 fields; zreplj takes 5 (minute hour day-of-month month day-of-week), "
                        + "or 6 with seconds 0 first",
                assertThrows(IllegalArgumentException.class, () -> CronSchedule.parse("* * * *"))
                        .getMessage());
        assertEquals(
                "cron spec '' has 0 fields; zreplj takes 5 (minute hour day-of-month month day-of-week), "
                        + "or 6 with seconds 0 first",
                assertThrows(IllegalArgumentException.class, () -> CronSchedule.parse(""))
                        .getMessage());
        assertEquals(
                "cron spec '30 0 3 * * *': seconds field '30': zreplj schedules at whole minutes; use 0 or drop "
                        + "the seconds field",
                assertThrows(IllegalArgumentException.class, () -> CronSchedule.parse("30 0 3 * * *"))
                        .getMessage());
        assertEquals(
                "cron spec '@daily': descriptors like @daily are refused by zrepl's cron parser and by zreplj; "
                        + "write the fields, e.g. '0 0 * * *' for @daily, '0 * * * *' for @hourly",
                assertThrows(IllegalArgumentException.class, () -> CronSchedule.parse("@daily"))
                        .getMessage());
        assertEquals(
                "cron spec 'CRON_TZ=Mars/Olympus 0 3 * * *': unknown time zone 'Mars/Olympus' in its CRON_TZ= prefix;"
                        + " name one such as UTC or Europe/Berlin, or drop the prefix for the local time zone",
                assertThrows(IllegalArgumentException.class, () -> CronSchedule.parse("CRON_TZ=Mars/Olympus 0 3 * * *"))
                        .getMessage());
        // Go's time.LoadLocation reads zone files only: offsets that java.time would take are no zone there.
        for (String offset : List.of("+02:00", "GMT-5", "UTC+1", "Z")) {
            assertEquals(
                    "cron spec 'TZ=" + offset + " 0 3 * * *': unknown time zone '" + offset + "' in its TZ= prefix;"
                            + " name one such as UTC or Europe/Berlin, or drop the prefix for the local time zone",
                    assertThrows(
                                    IllegalArgumentException.class,
                                    () -> CronSchedule.parse("TZ=" + offset + " 0 3 * * *"))
                            .getMessage());
        }
        assertEquals(
                ZoneId.of("Etc/GMT-5"),
                CronSchedule.parse("TZ=Etc/GMT-5 0 3 * * *").zone().orElseThrow());
        assertEquals(
                "cron hour 24 is out of range 0-23",
                assertThrows(IllegalArgumentException.class, () -> CronSchedule.parse("0 24 * * *"))
                        .getMessage());
        assertEquals(
                "cron minute range '30-10' runs backwards",
                assertThrows(IllegalArgumentException.class, () -> CronSchedule.parse("30-10 * * * *"))
                        .getMessage());
        assertEquals(
                "cron minute step in '*/0' must be at least 1",
                assertThrows(IllegalArgumentException.class, () -> CronSchedule.parse("*/0 * * * *"))
                        .getMessage());
        assertEquals(
                "cron day-of-month 0 is out of range 1-31",
                assertThrows(IllegalArgumentException.class, () -> CronSchedule.parse("0 0 0 * *"))
                        .getMessage());
        assertEquals(
                "cron spec '0 0 31 4,6 *' never fires: no such day in those months",
                assertThrows(IllegalArgumentException.class, () -> CronSchedule.parse("0 0 31 4,6 *"))
                        .getMessage());
        assertThrows(IllegalArgumentException.class, () -> CronSchedule.parse("0 0 * * funday"));
        assertThrows(IllegalArgumentException.class, () -> CronSchedule.parse("1,,2 * * * *"));
    }
}
