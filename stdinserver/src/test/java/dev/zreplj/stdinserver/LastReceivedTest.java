package dev.zreplj.stdinserver;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.zreplj.zfs.InvalidNameException;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Test;

class LastReceivedTest {
    @Test
    void tagIsZreplsName() {
        assertEquals("zrepl_last_received_J_laptop_push", LastReceived.tag("laptop_push"));
    }

    @Test
    void propertyNamesAreLowercaseAndUnambiguous() {
        assertEquals("zreplj:last_received_j_push", LastReceived.property("push"));
        assertEquals("zreplj:last_received_j_laptop__push", LastReceived.property("laptop_push"));
        assertEquals("zreplj:last_received_j__laptop_push", LastReceived.property("LaptopPush"));
        assertEquals("zreplj:last_received_j_a-b.c:1", LastReceived.property("a-b.c:1"));
        assertNotEquals(LastReceived.property("a_b"), LastReceived.property("aB"));
        assertNotEquals(LastReceived.property("ab"), LastReceived.property("aB"));
        String p = LastReceived.property("X".repeat(LastReceived.MAX_JOB_LENGTH));
        assertEquals(p.toLowerCase(Locale.ROOT), p);
        assertEquals(true, p.length() < 255);
    }

    @Test
    void jobNamesAreDatasetNameComponentsOfBoundedLength() {
        LastReceived.validateJob("push-1.a:b_C");
        LastReceived.validateJob("j".repeat(LastReceived.MAX_JOB_LENGTH));
        for (String bad : List.of("", "a b", "a/b", "a@b", "-o", "..", "j".repeat(LastReceived.MAX_JOB_LENGTH + 1))) {
            assertThrows(InvalidNameException.class, () -> LastReceived.validateJob(bad), bad);
        }
    }

    @Test
    void valuesRoundTripAndIgnoreWhatZreplJDidNotWrite() {
        assertEquals(List.of("s1", "s2"), LastReceived.names(LastReceived.value(List.of("s1", "s2"))));
        assertEquals(List.of(), LastReceived.names(null));
        assertEquals(List.of(), LastReceived.names("-"));
        assertEquals(List.of(), LastReceived.names(""));
        assertEquals(List.of("ok", "my snap"), LastReceived.names("bad;name,ok,,-x,my snap,trailing "));
    }
}
