package dev.zreplj.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Instant;
import org.junit.jupiter.api.Test;

class SnapshotNamingTest {
    private static final Instant T = Instant.parse("2024-05-04T03:02:01.123456789Z");
    private static final Instant AFTERNOON = Instant.parse("2024-12-25T15:04:05Z");

    private static String name(String format, Instant t) {
        return SnapshotNaming.of("zrepl_", format).name(t);
    }

    @Test
    void namedFormatsMatchZrepl() {
        assertEquals("zrepl_20240504_030201_000", name("dense", T));
        assertEquals("zrepl_20240504_030201_000", name("DENSE", T));
        assertEquals("zrepl_2024-05-04_03:02:01", name("human", T));
        assertEquals("zrepl_2024-05-04T03:02:01.123Z", name("iso-8601", T));
        assertEquals("zrepl_1714791721", name("unix-seconds", T));
    }

    @Test
    void goLayoutTokens() {
        assertEquals("zrepl_2024.05.04", name("2006.01.02", T));
        assertEquals("zrepl_24-5-4_03.2.1", name("06-1-2_15.4.5", T));
        assertEquals("zrepl_May-Saturday-Sat-May", name("January-Monday-Mon-Jan", T));
        assertEquals("zrepl_125_3AM_03am", name("002_3PM_03pm", T));
        assertEquals("zrepl_03.123", name("15.000", T));
        assertEquals("zrepl_03.123456", name("15.999999", T));
        assertEquals("zrepl_03.1234", name("15.0000", T));
        assertEquals("zrepl_15", name("15.999", AFTERNOON));
        assertEquals("zrepl_15.000", name("15.000", AFTERNOON));
        assertEquals("zrepl_3PM.pm", name("3PM.pm", AFTERNOON));
        assertEquals("zrepl_2024-12-25T15:04:05Z", name("2006-01-02T15:04:05Z07:00", AFTERNOON));
        assertEquals("zrepl_UTC-2024", name("MST-2006", AFTERNOON));
        assertEquals("zrepl__2024", name("_2006", AFTERNOON));
        assertEquals("zrepl_Janitor2024", name("Janitor2006", AFTERNOON));
    }

    @Test
    void spacesAndZoneSignsAreNamedAsZreplNamesThem() {
        // ZFS and zrepl allow spaces; zrepl replaces a '+' the layout produces with '_'
        assertEquals("zrepl_2024-05-04 03:02", name("2006-01-02 15:04", T));
        // the example: "_2" pads days 1-9 with a space, which ZFS takes, so zrepl and zreplj load it
        assertEquals("zrepl_May 4_2024", name("Jan_2_2006", T));
        assertEquals("zrepl_Dec25_2024", name("Jan_2_2006", AFTERNOON));
        assertEquals("zrepl_2024-05-04T03:02_0000", name("2006-01-02T15:04-0700", T));
        assertEquals("zrepl_2024-05-04T03:02:01_00:00", name("2006-01-02T15:04:05-07:00", T));
    }

    @Test
    void rejectsLayoutsThatMakeBadNames() {
        assertEquals(
                "snapshot name from timestamp format '2006/01/02' 'zrepl_2006/11/12' contains '/'; "
                        + "allowed are letters, digits, spaces and _ - . :",
                assertThrows(IllegalArgumentException.class, () -> SnapshotNaming.of("zrepl_", "2006/01/02"))
                        .getMessage());
        // a space at the end is invisible in logs; zreplj refuses it though ZFS would take it
        assertEquals(
                "snapshot name from timestamp format '2006-01-02 ' 'zrepl_2006-11-12 ' must not start or end "
                        + "with a space",
                assertThrows(IllegalArgumentException.class, () -> SnapshotNaming.of("zrepl_", "2006-01-02 "))
                        .getMessage());
        // Go reads ",000" as a fraction too, but ZFS names cannot hold the comma
        assertThrows(IllegalArgumentException.class, () -> SnapshotNaming.of("zrepl_", "15,000"));
        assertEquals(
                "timestamp format 'static' contains no time field, so every snapshot would be named "
                        + "'zrepl_static'",
                assertThrows(IllegalArgumentException.class, () -> SnapshotNaming.of("zrepl_", "static"))
                        .getMessage());
        // zrepl refuses a '+' in the layout itself: it replaces the one a positive zone offset produces.
        assertEquals(
                "timestamp format '2006+01+02T15:04' contains '+', which zrepl refuses (ZFS names cannot hold it, and"
                        + " a '+' from a zone offset becomes '_'): use another separator, such as '-' or '_'",
                assertThrows(IllegalArgumentException.class, () -> SnapshotNaming.of("zrepl_", "2006+01+02T15:04"))
                        .getMessage());
        assertEquals(
                "timestamp format is empty",
                assertThrows(IllegalArgumentException.class, () -> SnapshotNaming.of("zrepl_", ""))
                        .getMessage());
    }

    @Test
    void rejectsBadPrefixes() {
        assertEquals(
                "snapshot prefix is empty",
                assertThrows(IllegalArgumentException.class, () -> SnapshotNaming.of("", "dense"))
                        .getMessage());
        assertEquals(
                "snapshot prefix '-x' must not start with '-'",
                assertThrows(IllegalArgumentException.class, () -> SnapshotNaming.of("-x", "dense"))
                        .getMessage());
        assertThrows(IllegalArgumentException.class, () -> SnapshotNaming.of("a@b", "dense"));
    }

    private static String name(String format, String location, Instant t) {
        return SnapshotNaming.of("zrepl_", format, location).name(t);
    }

    @Test
    void timestampLocationWritesTheTimeAndOffsetOfThatZone() {
        // 03:02:01 UTC is 05:02:01 in Berlin (CEST, +2) and 23:02:01 the day before in New York (EDT, -4)
        assertEquals("zrepl_2024-05-04T05:02:01.123_0200", name("iso-8601", "Europe/Berlin", T));
        assertEquals("zrepl_2024-05-03T23:02:01.123-0400", name("iso-8601", "America/New_York", T));
        assertEquals("zrepl_2024-05-04_08:32:01_05:30", name("2006-01-02_15:04:05-07:00", "Asia/Kolkata", T));
        assertEquals("zrepl_2024-05-04_0832_0530", name("2006-01-02_1504-0700", "Asia/Kolkata", T));
        assertEquals("zrepl_2024-05-04_08_05", name("2006-01-02_15-07", "Asia/Kolkata", T));
        assertEquals("zrepl_2024-05-04T08:32:01_05:30:00", name("2006-01-02T15:04:05-07:00:00", "Asia/Kolkata", T));
        assertEquals("zrepl_16.04_CET", name("15.04_MST", "Europe/Berlin", AFTERNOON));
        // Go prints the tzdata abbreviation, numeric in many zones (zrepl: 16:00__04); Java's names are GST, BRT.
        assertEquals("zrepl_19.04__04", name("15.04_MST", "Asia/Dubai", AFTERNOON));
        assertEquals("zrepl_12.04_-03", name("15.04_MST", "America/Sao_Paulo", AFTERNOON));
        assertEquals(
                "zrepl_17.04_CEST", name("15.04_MST", "Europe/Berlin", AFTERNOON.plus(java.time.Duration.ofDays(180))));
        // the 'Z' forms print Z for a zero offset, also in a zone that has one only in winter
        assertEquals("zrepl_2024-12-25T15:04:05Z", name("2006-01-02T15:04:05Z07:00", "Europe/London", AFTERNOON));
        assertEquals("zrepl_2024-05-04T04:02:01_01:00", name("2006-01-02T15:04:05Z07:00", "Europe/London", T));
        assertEquals("zrepl_2024-05-04T03:02:01.123Z", name("iso-8601", "UTC", T));
        assertEquals("zrepl_20240504_030201_000", name("dense", "", T));
    }

    @Test
    void theOffsetKeepsNamesUniqueWhenTheClocksGoBack() {
        // 02:30 happens twice in Berlin on 2024-10-27: first in summer time, then in winter time
        Instant summer = Instant.parse("2024-10-27T00:30:00Z");
        Instant winter = Instant.parse("2024-10-27T01:30:00Z");
        assertEquals("zrepl_2024-10-27T02:30:00.000_0200", name("iso-8601", "Europe/Berlin", summer));
        assertEquals("zrepl_2024-10-27T02:30:00.000_0100", name("iso-8601", "Europe/Berlin", winter));
    }

    @Test
    void localIsTheMachinesZone() {
        String zone = java.time.ZoneId.systemDefault().getId();
        assertEquals(
                name("2006-01-02T15:04:05-07:00", zone, AFTERNOON),
                name("2006-01-02T15:04:05-07:00", "Local", AFTERNOON));
    }

    @Test
    void formatsWithoutAnOffsetStayInUtcAsInZrepl() {
        for (String format : new String[] {"dense", "human", "unix-seconds", "Human"}) {
            for (String location : new String[] {"Local", "Europe/Berlin", "Etc/UTC"}) {
                IllegalArgumentException e = assertThrows(
                        IllegalArgumentException.class,
                        () -> SnapshotNaming.of("zrepl_", format, location),
                        format + " in " + location);
                assertEquals(
                        "timestamp format '" + format + "' is always in UTC (it shows no zone offset), as in "
                                + "zrepl: remove timestamp_location '" + location
                                + "', or use 'iso-8601' or a layout with an "
                                + "offset such as '2006-01-02_15:04:05-07:00'",
                        e.getMessage());
            }
        }
    }

    @Test
    void unknownZonesAreRefused() {
        for (String location : new String[] {"Mars/Olympus", "+02:00", "GMT+2", "utc", "local", "CET "}) {
            assertEquals(
                    "timestamp_location '" + location + "' is not a time zone: use UTC, Local or an IANA zone "
                            + "name such as Europe/Berlin",
                    assertThrows(
                                    IllegalArgumentException.class,
                                    () -> SnapshotNaming.of("zrepl_", "iso-8601", location))
                            .getMessage());
        }
    }
}
