package dev.zreplj.replication;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.LinkedHashSet;
import java.util.List;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

class ReplicationCursorTest {

    @Test
    void bookmarkNameIsZreplsWithSixteenLowercaseHexDigits() {
        assertEquals(
                "zrepl_CURSOR_G_932f3a7089080ce2_J_push", ReplicationCursor.bookmarkName(0x932f3a7089080ce2L, "push"));
        assertEquals(
                "zrepl_CURSOR_G_00000000000000ff_J_laptop_to_box",
                ReplicationCursor.bookmarkName(255, "laptop_to_box"));
    }

    @Test
    void parseBookmarkAcceptsOnlyThisJobsWellFormedCursors() {
        assertEquals(
                OptionalLong.of(0x932f3a7089080ce2L),
                ReplicationCursor.parseBookmark("zrepl_CURSOR_G_932f3a7089080ce2_J_push", "push"));
        assertEquals(
                OptionalLong.of(-1L),
                ReplicationCursor.parseBookmark("zrepl_CURSOR_G_ffffffffffffffff_J_a_J_b", "a_J_b"));
        assertEquals(
                OptionalLong.empty(),
                ReplicationCursor.parseBookmark("zrepl_CURSOR_G_932f3a7089080ce2_J_other", "push"));
        assertEquals(OptionalLong.empty(), ReplicationCursor.parseBookmark("zrepl_CURSOR_G_932f3a7089_J_push", "push"));
        assertEquals(
                OptionalLong.empty(),
                ReplicationCursor.parseBookmark("zrepl_CURSOR_G_932F3A7089080CE2_J_push", "push"));
        assertEquals(
                OptionalLong.empty(),
                ReplicationCursor.parseBookmark("x_zrepl_CURSOR_G_932f3a7089080ce2_J_push", "push"));
        assertEquals(OptionalLong.empty(), ReplicationCursor.parseBookmark("zrepl_CURSOR_G_932f3a7089080ce2_J_", ""));
        long guid = 0x8000000000000001L;
        assertEquals(
                OptionalLong.of(guid), ReplicationCursor.parseBookmark(ReplicationCursor.bookmarkName(guid, "j"), "j"));
    }

    @Test
    void holdTagNames() {
        assertEquals("zrepl_CURSOR_J_laptop_to_box", ReplicationCursor.holdTag("laptop_to_box"));
        assertEquals("zrepl_CURSOR_J_Job", ReplicationCursor.holdTag("Job"));
    }

    @Test
    void propertyValueIsAListOfGuids() {
        LinkedHashSet<Long> guids = new LinkedHashSet<>(List.of(1L, -1L, 0xabcL));
        String text = ReplicationCursor.formatGuids(guids);
        assertEquals("0000000000000001,ffffffffffffffff,0000000000000abc", text);
        assertEquals(List.of(1L, -1L, 0xabcL), ReplicationCursor.parseGuids(text));
        assertEquals(List.of(), ReplicationCursor.parseGuids(""));
        assertEquals(List.of(), ReplicationCursor.parseGuids("-"));
        assertEquals(List.of(), ReplicationCursor.parseGuids("0000000000000001,"));
        assertEquals(List.of(), ReplicationCursor.parseGuids("1"));
    }

    @Test
    void theJobOfAnyCursorBookmarkIsReadBackForReleaseStale() {
        for (String job : List.of("laptop_to_box", "Old.Job", "xab", "x", "a:b-c.d")) {
            assertEquals(
                    java.util.Optional.of(job),
                    ReplicationCursor.bookmarkJob(ReplicationCursor.bookmarkName(0x1234L, job)),
                    job);
        }
        assertEquals(java.util.Optional.empty(), ReplicationCursor.bookmarkJob("zrepl_CURSOR_G_12_J_x"));
        assertEquals(java.util.Optional.empty(), ReplicationCursor.bookmarkJob("mine"));
    }
}
