package dev.zreplj.config;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.zreplj.zfs.DatasetName;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** zrepl's DatasetMapFilter semantics, including zrepl's own test cases. */
class FilesystemFilterTest {
    private static void check(Map<String, Boolean> rules, Map<String, Boolean> expected) {
        FilesystemFilter f = new FilesystemFilter(rules);
        Map<String, Boolean> actual = new LinkedHashMap<>();
        expected.keySet().forEach(name -> actual.put(name, f.accepts(DatasetName.of(name))));
        assertEquals(expected, actual);
    }

    @Test
    void noKeyMatchesRejects() {
        check(Map.of(), Map.of("foo", false, "zroot", false));
        check(Map.of("tank", true), Map.of("tank/a", false, "tan", false, "tanker", false, "zroot", false));
    }

    @Test
    void moreSpecificPathHasPrecedence() {
        check(
                Map.of("tank<", true, "tank/tmp<", false, "tank/home/x<", false, "tank/home/x/1", true),
                Map.of(
                        "zroot",
                        false,
                        "tank",
                        true,
                        "tank/tmp",
                        false,
                        "tank/tmp/foo",
                        false,
                        "tank/home/x",
                        false,
                        "tank/home/y",
                        true,
                        "tank/home/x/1",
                        true,
                        "tank/home/x/2",
                        false,
                        "tank/home/x/1/deeper",
                        false));
    }

    @Test
    void exactKeyBeatsSubtreeKeyOfTheSameName() {
        check(
                Map.of("tank/home/bob", true, "tank/home/bob<", false),
                Map.of("tank/home/bob", true, "tank/home/bob/downloads", false, "tank/home", false));
        check(
                Map.of("tank/home/bob", false, "tank/home/bob<", true),
                Map.of("tank/home/bob", false, "tank/home/bob/downloads", true));
    }

    @Test
    void exactKeyCoversOnlyItself() {
        check(Map.of("tank/a", true), Map.of("tank/a", true, "tank/a/b", false, "tank", false));
    }

    @Test
    void subtreeMatchesWholeComponentsOnly() {
        check(
                Map.of("tank/foo<", true),
                Map.of("tank/foo", true, "tank/foo/x", true, "tank/foobar", false, "tank/fo", false, "tank", false));
    }

    @Test
    void bareSubtreeKeyCoversEverything() {
        check(Map.of("<", true, "tmp", false), Map.of("tmp", false, "tmp/x", true, "rpool", true, "a/b/c", true));
        check(
                Map.of("<", false, "rpool/keep<", true),
                Map.of("rpool", false, "rpool/keep", true, "rpool/keep/x", true, "rpool/other", false));
    }

    @Test
    void zreplDocumentationExample() {
        check(
                Map.of("tank<", true, "tank/foo<", false, "tank/foo/bar", true),
                Map.of(
                        "tank/foo/bar/loo",
                        false,
                        "tank/bar",
                        true,
                        "tank/foo/bar",
                        true,
                        "zroot",
                        false,
                        "tank/var/log",
                        true));
    }

    @Test
    void longestSubtreeWinsRegardlessOfMapOrder() {
        Map<String, Boolean> rules = new LinkedHashMap<>();
        rules.put("a/b/c<", true);
        rules.put("a<", true);
        rules.put("a/b<", false);
        check(rules, Map.of("a", true, "a/x", true, "a/b", false, "a/b/x", false, "a/b/c", true, "a/b/c/d", true));
    }

    private static List<String> roots(Map<String, Boolean> rules) {
        return new FilesystemFilter(rules)
                .roots().orElseThrow().stream().map(DatasetName::value).toList();
    }

    @Test
    void rootsAreTheIncludedKeysNoneBelowAnother() {
        assertEquals(List.of("tank"), roots(Map.of("tank<", true, "tank/tmp<", false, "tank/home/x/1", true)));
        assertEquals(
                List.of("tank/a", "tank/a-b", "zroot/home"),
                roots(Map.of(
                        "tank/a", true, "tank/a/b<", true, "tank/a-b<", true, "zroot/home<", true, "zroot<", false)));
        assertEquals(List.of(), roots(Map.of("tank<", false)));
    }

    @Test
    void everyAcceptedDatasetLiesInARoot() {
        Map<String, Boolean> rules =
                Map.of("tank/home<", true, "tank/home/x<", false, "tank/home/x/1", true, "tank/var", true, "<", false);
        List<DatasetName> roots = new FilesystemFilter(rules).roots().orElseThrow();
        for (String name : List.of(
                "tank",
                "tank/home",
                "tank/home/x",
                "tank/home/x/1",
                "tank/var",
                "tank/var/log",
                "zroot",
                "tank/homes")) {
            DatasetName d = DatasetName.of(name);
            if (new FilesystemFilter(rules).accepts(d)) {
                assertEquals(true, roots.stream().anyMatch(d::isSelfOrDescendantOf), name);
            }
        }
        assertEquals(
                List.of("tank/home", "tank/var"),
                roots.stream().map(DatasetName::value).toList());
    }

    @Test
    void namedAreTheIncludedKeysEvenBelowAnother() {
        assertEquals(
                List.of("pool/a", "pool/a/keep", "tank"),
                new FilesystemFilter(Map.of("pool/a<", true, "pool/a/tmp<", false, "pool/a/keep", true, "tank", true))
                        .named().stream().map(DatasetName::value).toList());
        assertEquals(List.of(), new FilesystemFilter(Map.of("<", true, "tank/tmp<", false)).named());
    }

    @Test
    void allPoolsHaveNoRoots() {
        assertEquals(Optional.empty(), new FilesystemFilter(Map.of("<", true, "tank/tmp<", false)).roots());
    }

    private static Optional<String> shared(Map<String, Boolean> a, Map<String, Boolean> b) {
        Optional<String> one = new FilesystemFilter(a).sharedWith(new FilesystemFilter(b));
        assertEquals(one, new FilesystemFilter(b).sharedWith(new FilesystemFilter(a)), "symmetric");
        return one;
    }

    @Test
    void twoFiltersShareWhatBothWouldAccept() {
        assertEquals(Optional.empty(), shared(Map.of("tank/a", true), Map.of("tank/b", true)));
        assertEquals(Optional.empty(), shared(Map.of("tank<", true, "tank/vm<", false), Map.of("tank/vm<", true)));
        assertEquals(Optional.empty(), shared(Map.of("tank/a<", true), Map.of("tank/ab<", true)));
        assertEquals(Optional.empty(), shared(Map.of("tank<", true, "tank/x", false), Map.of("tank/x", true)));
        assertEquals(Optional.of("tank/a"), shared(Map.of("tank/a", true), Map.of("tank<", true)));
        assertEquals(Optional.of("tank/a"), shared(Map.of("tank/a<", true), Map.of("<", true, "tank", false)));
        assertEquals(
                Optional.of("the filesystems below tank/a"),
                shared(Map.of("tank/a<", true, "tank/a", false), Map.of("<", true)));
        assertEquals(Optional.of("every pool's filesystems"), shared(Map.of("<", true), Map.of("<", true)));
        assertEquals(Optional.empty(), shared(Map.of("<", true, "tank<", false), Map.of("tank<", true)));
    }

    @Test
    void acceptsWithinFindsAnyAcceptedDatasetAtOrBelowTheRoot() {
        DatasetName root = DatasetName.of("tank/backups");
        assertEquals(Optional.of("tank/backups"), new FilesystemFilter(Map.of("<", true)).acceptsWithin(root));
        assertEquals(Optional.of("tank/backups"), new FilesystemFilter(Map.of("tank<", true)).acceptsWithin(root));
        // The root itself refused, but not what lies below it.
        assertEquals(
                Optional.of("the filesystems below tank/backups"),
                new FilesystemFilter(Map.of("tank<", true, "tank/backups", false)).acceptsWithin(root));
        assertEquals(
                Optional.of("tank/backups/laptop/home"),
                new FilesystemFilter(Map.of("tank/backups<", false, "tank/backups/laptop/home", true))
                        .acceptsWithin(root));
        assertEquals(
                Optional.empty(), new FilesystemFilter(Map.of("<", true, "tank/backups<", false)).acceptsWithin(root));
        // A sibling whose name starts alike is not below it.
        assertEquals(Optional.empty(), new FilesystemFilter(Map.of("tank/backups2<", true)).acceptsWithin(root));
        assertEquals(Optional.empty(), new FilesystemFilter(Map.of("tank/home<", true)).acceptsWithin(root));
    }
}
