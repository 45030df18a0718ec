package dev.zreplj.config;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.zreplj.zfs.DatasetName;
import java.util.LinkedHashMap;
import java.util.Map;
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
        check(Map.of("tank<", true, "tank/tmp<", false, "tank/home/x<", false, "tank/home/x/1", true),
                Map.of("zroot", false, "tank", true, "tank/tmp", false, "tank/tmp/foo", false,
                        "tank/home/x", false, "tank/home/y", true, "tank/home/x/1", true, "tank/home/x/2", false,
                        "tank/home/x/1/deeper", false));
    }

    @Test
    void exactKeyBeatsSubtreeKeyOfTheSameName() {
        check(Map.of("tank/home/bob", true, "tank/home/bob<", false),
                Map.of("tank/home/bob", true, "tank/home/bob/downloads", false, "tank/home", false));
        check(Map.of("tank/home/bob", false, "tank/home/bob<", true),
                Map.of("tank/home/bob", false, "tank/home/bob/downloads", true));
    }

    @Test
    void exactKeyCoversOnlyItself() {
        check(Map.of("tank/a", true), Map.of("tank/a", true, "tank/a/b", false, "tank", false));
    }

    @Test
    void subtreeMatchesWholeComponentsOnly() {
        check(Map.of("tank/foo<", true), Map.of("tank/foo", true, "tank/foo/x", true, "tank/foobar", false,
                "tank/fo", false, "tank", false));
    }

    @Test
    void bareSubtreeKeyCoversEverything() {
        check(Map.of("<", true, "tmp", false), Map.of("tmp", false, "tmp/x", true, "rpool", true, "a/b/c", true));
        check(Map.of("<", false, "rpool/keep<", true),
                Map.of("rpool", false, "rpool/keep", true, "rpool/keep/x", true, "rpool/other", false));
    }

    @Test
    void zreplDocumentationExample() {
        check(Map.of("tank<", true, "tank/foo<", false, "tank/foo/bar", true),
                Map.of("tank/foo/bar/loo", false, "tank/bar", true, "tank/foo/bar", true, "zroot", false,
                        "tank/var/log", true));
    }

    @Test
    void longestSubtreeWinsRegardlessOfMapOrder() {
        Map<String, Boolean> rules = new LinkedHashMap<>();
        rules.put("a/b/c<", true);
        rules.put("a<", true);
        rules.put("a/b<", false);
        check(rules, Map.of("a", true, "a/x", true, "a/b", false, "a/b/x", false, "a/b/c", true, "a/b/c/d", true));
    }
}
