package dev.zreplj.zfs;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

class SnapshotGroupsTest {
    private static final List<DatasetName> ALL =
            names("p", "p/home", "p/home/cache", "p/home/docs", "p/home/docs/old", "p/tmp", "p/vm");

    private static List<DatasetName> names(String... n) {
        return Arrays.stream(n).map(DatasetName::of).toList();
    }

    private static Map<String, Boolean> groups(String... selected) {
        Map<String, Boolean> out = new LinkedHashMap<>();
        Zfs.snapshotGroups(new TreeSet<>(names(selected)), ALL, List.of()).forEach((k, v) -> out.put(k.value(), v));
        return out;
    }

    @Test
    void wholeTreeIsOneRecursiveCall() {
        assertEquals(
                Map.of("p", true),
                groups("p", "p/home", "p/home/cache", "p/home/docs", "p/home/docs/old", "p/tmp", "p/vm"));
    }

    @Test
    void excludedChildSplitsTheParentButKeepsWholeSubtreesRecursive() {
        assertEquals(Map.of("p/home", false, "p/home/docs", true), groups("p/home", "p/home/docs", "p/home/docs/old"));
    }

    @Test
    void leavesAreSingleCalls() {
        assertEquals(Map.of("p/tmp", false, "p/vm", false), groups("p/tmp", "p/vm"));
    }

    @Test
    void aGapInsideASubtreeIsNotCovered() {
        // p/home/docs/old is selected but p/home/docs is not: each selected one alone.
        assertEquals(
                Map.of("p/home", false, "p/home/cache", false, "p/home/docs/old", false),
                groups("p/home", "p/home/cache", "p/home/docs/old"));
    }

    @Test
    void aChildWithANameZreplCannotHandleIsNotCoveredByItsParent() {
        Map<String, Boolean> out = new LinkedHashMap<>();
        Zfs.snapshotGroups(
                        new TreeSet<>(names("p/home", "p/home/cache", "p/home/docs", "p/home/docs/old")),
                        ALL,
                        List.of("p/home/-odd"))
                .forEach((k, v) -> out.put(k.value(), v));
        assertEquals(Map.of("p/home", false, "p/home/cache", false, "p/home/docs", true), out);
    }

    @Test
    void theRootsAreTheSelectionsTopmostFilesystems() {
        assertEquals(
                names("p/home", "p/vm"),
                List.copyOf(Zfs.topmost(new TreeSet<>(names("p/home", "p/home/docs", "p/home/docs/old", "p/vm")))));
    }
}
