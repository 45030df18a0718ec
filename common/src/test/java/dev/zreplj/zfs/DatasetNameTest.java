package dev.zreplj.zfs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class DatasetNameTest {

    @ParameterizedTest
    @ValueSource(
            strings = {
                "tank",
                "t",
                "Tank",
                "tank/a",
                "tank/a/b/c",
                "tank/a-b",
                "tank/a_b",
                "tank/a.b",
                "tank/a:b",
                "tank/0",
                "tank/a.",
                "tank/..a",
                "tank/a..b",
                "tank/...",
                "z9/x",
                "tank/_",
                "tank/a-",
                "tank/a-b-",
                "tank/.hidden",
                "tank/a b",
                "tank/my docs/x  y",
                "my pool/a"
            })
    void acceptsValidNames(String name) {
        assertEquals(name, DatasetName.of(name).value());
    }

    /** "tank/a-b" sorts between "tank/a" and "tank/a/c" ('-' < '/'): still neither hides nor is hidden wrongly. */
    @Test
    void outermostKeepsOnlyNamesNotBelowAnotherSortedAndOnce() {
        List<DatasetName> names =
                List.of("tank/a/c", "tank/a-b", "tank/a", "pool", "pool/x", "tank/a", "tank/ab").stream()
                        .map(DatasetName::of)
                        .toList();
        assertEquals(
                List.of("pool", "tank/a", "tank/a-b", "tank/ab"),
                DatasetName.outermost(names).stream().map(DatasetName::value).toList());
        assertEquals(List.of(), DatasetName.outermost(List.of()));
    }

    @Test
    void refusesWithAClearReason() {
        assertRefused("", "dataset name is empty");
        assertRefused(null, "dataset name is empty");
        assertRefused("tank@snap", "must not contain '@' or '#'");
        assertRefused("tank/a#bm", "must not contain '@' or '#'");
        assertRefused("tank/a@", "must not contain '@' or '#'");
        assertRefused("tank/..", "'..' is not allowed");
        assertRefused("tank/.", "'.' is not allowed");
        assertRefused("tank/../etc", "'..' is not allowed");
        assertRefused("..", "'..' is not allowed");
        assertRefused(" tank", "must not start or end with a space");
        assertRefused("tank/a ", "must not start or end with a space");
        assertRefused("tank/ a", "must not start or end with a space");
        assertRefused("tank/ ", "must not start or end with a space");
        assertRefused("tank/-a", "must not start with '-'");
        assertRefused("tank/-", "must not start with '-'");
        assertRefused("tank/a/-F", "must not start with '-'");
        assertRefused("-tank", "must not start with '-'");
        assertRefused("tank/a\nb", "contains '\\x0a'");
        assertRefused("tank/a\tb", "contains '\\x09'");
        assertRefused("tank/a\u0000b", "contains '\\x00'");
        assertRefused("tank/a\u007fb", "contains '\\x7f'");
        assertRefused("tank/é", "contains 'é'");
        assertRefused("tank/a;rm", "contains ';'");
        assertRefused("tank/a$b", "contains '$'");
        assertRefused("tank/a*", "contains '*'");
        assertRefused("tank/a%b", "contains '%'");
        assertRefused("tank/a,b", "contains ','");
        assertRefused("tank/a=b", "contains '='");
        assertRefused("tank/a'b", "contains '''");
        assertRefused("tank/a\\b", "contains '\\'");
        assertRefused("tank//a", "has an empty component");
        assertRefused("/tank", "has an empty component");
        assertRefused("tank/", "has an empty component");
        assertRefused("/", "has an empty component");
        assertRefused("1tank", "pool name '1tank' must start with a letter");
        assertRefused("_tank/a", "pool name '_tank' must start with a letter");
        assertRefused(".tank", "pool name '.tank' must start with a letter");
        assertRefused(":tank", "pool name ':tank' must start with a letter");
    }

    @Test
    void lengthLimitIs255() {
        String ok = "t" + "/a".repeat(127);
        assertEquals(255, ok.length());
        assertEquals(ok, DatasetName.of(ok).value());
        String tooLong = ok + "b";
        assertRefused(tooLong, "is longer than 255 characters");
        assertRefused("t".repeat(256), "is longer than 255 characters");
    }

    @Test
    void componentValidation() {
        DatasetName.validateComponent("zrepl_20240101_000000_000", "snapshot name");
        InvalidNameException e =
                assertThrows(InvalidNameException.class, () -> DatasetName.validateComponent("a/b", "snapshot name"));
        assertEquals(
                "snapshot name 'a/b' contains '/'; allowed are letters, digits, spaces and _ - . :", e.getMessage());
        DatasetName.validateComponent("zrepl_Jan 2_2006", "snapshot name");
        e = assertThrows(InvalidNameException.class, () -> DatasetName.validateComponent("", "hold tag"));
        assertEquals("hold tag is empty", e.getMessage());
        e = assertThrows(InvalidNameException.class, () -> DatasetName.validateComponent(null, "hold tag"));
        assertEquals("hold tag is empty", e.getMessage());
        assertThrows(InvalidNameException.class, () -> DatasetName.validateComponent("a@b", "snapshot name"));
        assertThrows(InvalidNameException.class, () -> DatasetName.validateComponent("a#b", "snapshot name"));
        assertThrows(InvalidNameException.class, () -> DatasetName.validateComponent("-F", "snapshot name"));
    }

    @Test
    void identifiersAreComponentsWithoutSpaces() {
        DatasetName.validateIdentifier("web-01.example.org", "client identity");
        InvalidNameException e = assertThrows(
                InvalidNameException.class, () -> DatasetName.validateIdentifier("my laptop", "client identity"));
        assertEquals(
                "client identity 'my laptop' contains ' '; allowed are letters, digits and _ - . :", e.getMessage());
        e = assertThrows(InvalidNameException.class, () -> DatasetName.validateIdentifier("a\nb", "job name"));
        assertEquals("job name 'a\\x0ab' contains '\\x0a'; allowed are letters, digits and _ - . :", e.getMessage());
        assertThrows(InvalidNameException.class, () -> DatasetName.validateIdentifier("-x", "job name"));
        assertThrows(InvalidNameException.class, () -> DatasetName.validateIdentifier("..", "job name"));
    }

    @Test
    void navigation() {
        DatasetName n = DatasetName.of("tank/a/b");
        assertEquals(List.of("tank", "a", "b"), n.components());
        assertEquals("tank", n.pool());
        assertEquals("tank", DatasetName.of("tank").pool());
        assertEquals(3, n.depth());
        assertEquals(1, DatasetName.of("tank").depth());
        assertEquals(Optional.of(DatasetName.of("tank/a")), n.parent());
        assertEquals(Optional.empty(), DatasetName.of("tank").parent());
        assertEquals(DatasetName.of("tank/a/b/c/d"), n.child("c/d"));
        assertThrows(InvalidNameException.class, () -> n.child("../x"));
        assertThrows(InvalidNameException.class, () -> n.child("x@y"));
        assertThrows(InvalidNameException.class, () -> n.child(""));
        assertThrows(InvalidNameException.class, () -> n.child("-x"));
        assertEquals("tank/a/b", n.toString());
    }

    @Test
    void ancestry() {
        DatasetName root = DatasetName.of("tank/a");
        assertTrue(DatasetName.of("tank/a").isSelfOrDescendantOf(root));
        assertTrue(DatasetName.of("tank/a/b").isSelfOrDescendantOf(root));
        assertFalse(DatasetName.of("tank/ab").isSelfOrDescendantOf(root), "a prefix is not an ancestor");
        assertFalse(DatasetName.of("tank").isSelfOrDescendantOf(root));
        assertEquals("", DatasetName.of("tank/a").relativeTo(root));
        assertEquals("b/c", DatasetName.of("tank/a/b/c").relativeTo(root));
        assertThrows(
                IllegalArgumentException.class, () -> DatasetName.of("tank/ab").relativeTo(root));
    }

    @Test
    void ordersByName() {
        List<DatasetName> names = new java.util.ArrayList<>(List.of(
                DatasetName.of("tank/b"),
                DatasetName.of("tank"),
                DatasetName.of("tank/a/z"),
                DatasetName.of("tank/a")));
        names.sort(null);
        assertEquals(
                List.of("tank", "tank/a", "tank/a/z", "tank/b"),
                names.stream().map(DatasetName::value).toList());
        assertEquals(DatasetName.of("tank/a"), DatasetName.of("tank/a"));
    }

    @Test
    void equalByValueAlone() {
        DatasetName a = DatasetName.of("tank/a");
        assertEquals(a, DatasetName.of(new String("tank/a")));
        assertEquals("tank/a".hashCode(), a.hashCode());
        assertNotEquals(a, DatasetName.of("tank/A"));
        assertNotEquals(a, DatasetName.of("tank/a/b"));
        assertFalse(a.equals("tank/a"));
        assertFalse(a.equals(null));
        assertEquals(java.util.Set.of(a), java.util.Set.copyOf(List.of(DatasetName.of("tank/a"), a)));
    }

    private static void assertRefused(String name, String reason) {
        InvalidNameException e =
                assertThrows(InvalidNameException.class, () -> DatasetName.of(name), () -> "accepted " + name);
        assertTrue(e.getMessage().contains(reason), () -> "'" + name + "': message was: " + e.getMessage());
    }

    /** The box quotes a refused name in its one-line ERROR: a line break in the name must not break the line. */
    @ParameterizedTest
    @ValueSource(strings = {"t\n@s", "t\r#s", "t\n/", "tank//\n", "-\n", "tank/-\r", "\n1", "tank/ \u0001x "})
    void everyRefusalQuotesTheNameInOneLine(String name) {
        InvalidNameException e = assertThrows(InvalidNameException.class, () -> DatasetName.of(name));
        assertFalse(e.getMessage().contains("\n") || e.getMessage().contains("\r"), e.getMessage());
        InvalidNameException c =
                assertThrows(InvalidNameException.class, () -> DatasetName.validateComponent(name, "snapshot name"));
        assertFalse(c.getMessage().contains("\n") || c.getMessage().contains("\r"), c.getMessage());
    }
}
