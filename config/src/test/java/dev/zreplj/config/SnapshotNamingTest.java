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
        assertEquals("snapshot name from timestamp format '2006/01/02' 'zrepl_2006/11/12' contains '/'; "
                        + "allowed are letters, digits, spaces and _ - . :",
                assertThrows(IllegalArgumentException.class, () -> SnapshotNaming.of("zrepl_", "2006/01/02"))
                        .getMessage());
        // a space at the end is invisible in logs; zreplj refuses it though ZFS would take it
        assertEquals("snapshot name from timestamp format '2006-01-02 ' 'zrepl_2006-11-12 ' must not start or end "
                + "with a space", assertThrows(IllegalArgumentException.class,
                () -> SnapshotNaming.of("zrepl_", "2006-01-02 ")).getMessage());
        // Go reads ",000" as a fraction too, but ZFS names cannot hold the comma
        assertThrows(IllegalArgumentException.class, () -> SnapshotNaming.of("zrepl_", "15,000"));
        assertEquals("timestamp format 'static' contains no time field, so every snapshot would be named "
                + "'zrepl_static'", assertThrows(IllegalArgumentException.class,
                () -> SnapshotNaming.of("zrepl_", "static")).getMessage());
        assertEquals("timestamp format is empty",
                assertThrows(IllegalArgumentException.class, () -> SnapshotNaming.of("zrepl_", "")).getMessage());
    }

    @Test
    void rejectsBadPrefixes() {
        assertEquals("snapshot prefix is empty",
                assertThrows(IllegalArgumentException.class, () -> SnapshotNaming.of("", "dense")).getMessage());
        assertEquals("snapshot prefix '-x' must not start with '-'",
                assertThrows(IllegalArgumentException.class, () -> SnapshotNaming.of("-x", "dense")).getMessage());
        assertThrows(IllegalArgumentException.class, () -> SnapshotNaming.of("a@b", "dense"));
    }
}
