package dev.zreplj.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.zreplj.config.Snapshotting;
import dev.zreplj.zfs.DatasetName;
import dev.zreplj.zfs.VersionType;
import dev.zreplj.zfs.ZfsVersion;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class BacklogCapTest {
    private static final DatasetName A = DatasetName.of("tank/a");
    private static final DatasetName B = DatasetName.of("tank/b");

    private static Snapshotting cap(int max) {
        return new Snapshotting(Snapshotting.Type.PERIODIC, "zrepl_", Duration.ofMinutes(10), null, "dense", max);
    }

    private static List<ZfsVersion> snaps(DatasetName fs, String prefix, int n) {
        List<ZfsVersion> out = new ArrayList<>();
        for (int i = 1; i <= n; i++) {
            out.add(new ZfsVersion(fs, VersionType.SNAPSHOT, prefix + i, 100 + i, i, Instant.ofEpochSecond(i)));
        }
        return out;
    }

    @Test
    void countsOnlyTheJobsSnapshotsNewerThanTheCursor() {
        List<ZfsVersion> a = new ArrayList<>(snaps(A, "zrepl_", 5));
        a.addAll(snaps(A, "manual_", 9).stream()
                .map(v -> new ZfsVersion(A, v.type(), v.name(), v.guid() + 50, v.createtxg() + 10, v.creation()))
                .toList());
        Map<DatasetName, List<ZfsVersion>> versions = Map.of(A, a);
        Optional<ZfsVersion> cursorAt2 = Optional.of(a.get(1));

        assertEquals(
                Optional.empty(),
                BacklogCap.check(cap(4), List.of(A), versions, Map.of(A, cursorAt2)),
                "3 newer than the cursor, cap 4");
        Optional<String> warning = BacklogCap.check(cap(3), List.of(A), versions, Map.of(A, cursorAt2));
        assertEquals(
                Optional.of("replication has been failing: tank/a has 3 snapshots with prefix 'zrepl_' newer"
                        + " than its replication cursor (snapshotting.max_unreplicated is 3); not adding more snapshots until"
                        + " replication catches up"),
                warning);
        // A first pass after a migration: nothing failed, the job has simply not replicated anything yet.
        assertEquals(
                Optional.of("not replicated by this job yet: tank/a has 5 snapshots with prefix 'zrepl_' and no"
                        + " replication cursor (snapshotting.max_unreplicated is 5); not adding more snapshots until"
                        + " replication catches up"),
                BacklogCap.check(cap(5), List.of(A), versions, Map.of()),
                "without a cursor every prefixed snapshot counts");
        assertEquals(Optional.empty(), BacklogCap.check(cap(6), List.of(A), versions, Map.of()));
    }

    @Test
    void theWorstFilesystemIsNamedAndOneIsEnough() {
        Map<DatasetName, List<ZfsVersion>> versions = Map.of(A, snaps(A, "zrepl_", 2), B, snaps(B, "zrepl_", 7));
        Optional<String> w = BacklogCap.check(cap(7), List.of(A, B), versions, Map.of());
        assertTrue(w.orElseThrow().contains("tank/b has 7 snapshots"), w.toString());
        assertEquals(Optional.empty(), BacklogCap.check(cap(8), List.of(A, B), versions, Map.of()));
        assertEquals(Optional.empty(), BacklogCap.check(cap(1), List.of(), versions, Map.of()), "nothing selected");
    }
}
