package dev.zreplj.zfs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class CursorPropertyTest {
    @Test
    void aLowercaseNameIsItsOwnSpellingAnyOtherIsHex() {
        assertEquals("zreplj:cursor:laptop_to_box", CursorProperty.of("laptop_to_box"));
        assertEquals("zreplj:cursor:a.b:c-d", CursorProperty.of("a.b:c-d"));
        assertEquals("zreplj:cursor:x4a6f62", CursorProperty.of("Job"), "uppercase cannot be a property name");
        assertEquals("zreplj:cursor:job", CursorProperty.of("job"), "differs from Job's");
        assertEquals("zreplj:cursor:xc3a9", CursorProperty.of("\u00e9"), "UTF-8 bytes");
    }

    @Test
    void theJobOfAnyCursorPropertyIsReadBackForReleaseStale() {
        for (String job : List.of("laptop_to_box", "Old.Job", "xab", "x", "a:b-c.d", "\u00e9")) {
            assertTrue(CursorProperty.jobs(CursorProperty.of(job)).contains(job), job);
        }
        // A plain name that is also another's hex spelling belongs to either: job x41's, or job A's.
        assertEquals(List.of("x41", "A"), CursorProperty.jobs(CursorProperty.of("x41")));
        assertEquals(List.of("x41", "A"), CursorProperty.jobs(CursorProperty.of("A")));
        assertEquals(List.of("laptop"), CursorProperty.jobs("zreplj:cursor:laptop"));
        assertEquals(List.of("x4f6c642e4a6f62", "Old.Job"), CursorProperty.jobs(CursorProperty.of("Old.Job")));
        // 'x61' decodes to 'a', whose own spelling is plain: it is only job x61's.
        assertEquals(List.of("x61"), CursorProperty.jobs("zreplj:cursor:x61"));
        assertEquals(List.of(), CursorProperty.jobs("zreplj:last_received_j_x"));
        assertEquals(List.of(), CursorProperty.jobs("zreplj:cursor:"));
    }
}
