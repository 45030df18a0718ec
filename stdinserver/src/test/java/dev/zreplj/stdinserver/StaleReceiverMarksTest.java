package dev.zreplj.stdinserver;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.zreplj.zfs.DatasetName;
import dev.zreplj.zfs.VersionType;
import dev.zreplj.zfs.ZfsVersion;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class StaleReceiverMarksTest {
    private static final DatasetName FS = DatasetName.of("pool/sink/laptop/home");

    private static ZfsVersion snap(int txg) {
        return new ZfsVersion(FS, VersionType.SNAPSHOT, "s" + txg, 1000 + txg, txg, Instant.ofEpochSecond(txg));
    }

    @Test
    void aJobWhoseNewestHeldSnapshotIsOlderThanAnothersIsSuperseded() {
        assertEquals(
                Map.of("old", "new"),
                StaleReceiverMarks.superseded(Map.of("old", List.of(snap(1)), "new", List.of(snap(2)))));
        // a crashed move left two holds of the old job; both go
        assertEquals(
                Map.of("old", "new", "older", "new"),
                StaleReceiverMarks.superseded(Map.of(
                        "old",
                        List.of(snap(3), snap(1)),
                        "older",
                        List.of(snap(2)),
                        "new",
                        List.of(snap(1), snap(4)))));
    }

    @Test
    void theJobsHoldingTheNewestSnapshotAndLoneJobsStay() {
        assertEquals(Map.of(), StaleReceiverMarks.superseded(Map.of("only", List.of(snap(1), snap(5)))));
        assertEquals(Map.of(), StaleReceiverMarks.superseded(Map.of("a", List.of(snap(5)), "b", List.of(snap(5)))));
        assertEquals(
                Map.of("c", "a"),
                StaleReceiverMarks.superseded(
                        Map.of("a", List.of(snap(5)), "b", List.of(snap(5)), "c", List.of(snap(4)))));
        assertEquals(Map.of(), StaleReceiverMarks.superseded(Map.of()));
        assertEquals(Map.of(), StaleReceiverMarks.superseded(Map.of("empty", List.of())));
    }

    @Test
    void propertyNamesGiveBackTheirJob() {
        for (String job : List.of("push", "laptop_push", "LaptopPush", "a-b.c:1", "Old_Job", "__x")) {
            assertEquals(Optional.of(job), LastReceived.jobOf(LastReceived.property(job)), job);
        }
        assertEquals(Optional.empty(), LastReceived.jobOf("zreplj:cursor:abc"));
        assertEquals(Optional.empty(), LastReceived.jobOf("zreplj:last_received_j_"));
        assertEquals(Optional.empty(), LastReceived.jobOf("zreplj:last_received_j_a_"));
        assertEquals(Optional.empty(), LastReceived.jobOf("zreplj:last_received_j_a_1"));
        assertEquals(Optional.empty(), LastReceived.jobOf("zreplj:last_received_j_Ab"), "not lowercase");
    }
}
