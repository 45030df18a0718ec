package dev.zreplj.pruning;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.regex.PatternSyntaxException;
import org.junit.jupiter.api.Test;

/**
 * zrepl compiles keep-rule regexes with Go's regexp (docs/configuration/prune.rst: "zrepl uses Go's
 * regexp.Regexp ... (Syntax: golang.org/pkg/regexp/syntax)"), whose syntax differs from java.util.regex
 * inside character classes. Facts from Go's regexp/syntax documentation: {@code [[:alpha:]]} is an ASCII
 * class (also {@code [[:^alpha:]]}), {@code [} and {@code &} are literals inside a class, a {@code ]} right
 * after {@code [} or {@code [^} is a literal, an unknown {@code [:name:]} is an error, and
 * {@code (?P<name>re)} is a named group.
 */
class GoRegexTest {
    private static boolean finds(String goRegex, String name) {
        return GoRegex.compile(goRegex).matcher(name).find();
    }

    @Test
    void posixClassesInsideBracketsAreAsciiClassesAsInGo() {
        // java.util.regex reads [[:digit:]] as the union of ':', 'd', 'i', 'g', 't': a keep rule
        // "^zrepl_[[:digit:]]+" would keep none of zrepl's own snapshots.
        assertTrue(finds("^zrepl_[[:digit:]]+_[[:digit:]]+", "zrepl_20240101_120000_000"));
        assertFalse(finds("^zrepl_[[:digit:]]+$", "zrepl_dig"));
        assertTrue(finds("^[[:alpha:]]+_", "manual_x"));
        assertFalse(finds("^[[:alpha:]]+$", "manual_1"));
        assertTrue(finds("^[[:alnum:]_]+$", "zrepl_2024"));
        assertTrue(finds("^[[:upper:]]", "Daily"));
        assertFalse(finds("^[[:upper:]]", "daily"));
        assertTrue(finds("^[[:lower:]]", "daily"));
        assertTrue(finds("[[:space:]]", "a b"));
        assertTrue(finds("^[[:xdigit:]]+$", "deadBEEF09"));
        assertFalse(finds("^[[:xdigit:]]+$", "xyz"));
        assertTrue(finds("^[[:punct:]]", ":x"));
        assertTrue(finds("^[[:word:]]+$", "zrepl_1"));
        assertFalse(finds("^[[:word:]]+$", "zrepl-1"));
        assertTrue(finds("^[[:graph:]]+$", "a:b"));
        assertTrue(finds("^[[:print:]]+$", "a b"));
        assertTrue(finds("^[[:blank:]]$", " "));
        assertTrue(finds("^[[:ascii:]]+$", "abc"));
        assertTrue(finds("^[[:cntrl:]]$", "\t"));
    }

    @Test
    void negatedPosixClassesAndNegatedBrackets() {
        assertTrue(finds("^zrepl_[[:^digit:]]", "zrepl_x"));
        assertFalse(finds("^zrepl_[[:^digit:]]", "zrepl_1"));
        assertTrue(finds("^[^[:digit:]]+$", "abc"));
        assertFalse(finds("^[^[:digit:]]+$", "ab1"));
        assertTrue(finds("^[[:digit:][:upper:]]+$", "A1B2"));
        assertFalse(finds("^[[:digit:][:upper:]]+$", "a1"));
    }

    @Test
    void bracketAndAmpersandAreLiteralsInsideAClass() {
        // Java: '[' nests a class and '&&' intersects; Go: both are plain characters.
        assertTrue(finds("^[a&&b]$", "&"));
        assertTrue(finds("^[a-c&&[b]]$", "a]"));
        assertTrue(finds("^x[[]$", "x["));
        assertTrue(finds("^[]a]$", "]"));
        assertTrue(finds("^[^]a]$", "b"));
        assertFalse(finds("^[^]a]$", "]"));
    }

    @Test
    void unknownPosixClassIsAnErrorAsInGo() {
        assertThrows(PatternSyntaxException.class, () -> GoRegex.compile("[[:digits:]]"));
    }

    @Test
    void goNamedGroupsAreGroups() {
        assertTrue(finds("^(?P<kind>zrepl|manual)_", "manual_1"));
        assertTrue(finds("^(?P<my_kind>zrepl)_", "zrepl_1"));
        assertTrue(finds("^(?<kind>zrepl)_", "zrepl_1"));
    }

    @Test
    void ordinaryPatternsAreLeftAsWritten() {
        for (String re : List.of(
                "^zrepl_.*", "^(zrepl|manual)_", "[0-9]{8}_[0-9]{6}", "\\d+$", "", "[\\[\\]]", "\\Q[[:x:]]\\E")) {
            assertEquals(re, GoRegex.toJava(re), re);
        }
        assertTrue(finds("\\Q[[:x:]]\\E", "a[[:x:]]"));
    }

    @Test
    void aBraceThatStartsNoRepeatIsALiteralAsInGo() {
        // Go's regexp/syntax parser: "If the repeat cannot be parsed, { is a literal."
        assertTrue(finds("^a{$", "a{"));
        assertTrue(finds("^x{,3}$", "x{,3}"));
        assertTrue(finds("^x{a}$", "x{a}"));
        assertTrue(finds("^x{01}$", "x{01}"), "Go reads no leading zero in a repeat count");
        assertTrue(finds("^x{2,}$", "xxx"));
        assertTrue(finds("^x{1,2}$", "xx"));
        assertFalse(finds("^x{2}$", "x{2}"));
        assertEquals("[0-9]{8}_\\{x}", GoRegex.toJava("[0-9]{8}_{x}"));
    }

    @Test
    void escapesInsideClassesStayEscapes() {
        assertTrue(finds("^[\\]]$", "]"));
        assertTrue(finds("^[\\d_]+$", "1_2"));
        assertTrue(finds("^[a\\-z]$", "-"));
    }

    /** Go's \\p{..}, \\P{..} and \\x{..} outside brackets were split at the brace and refused by Java. */
    @Test
    void unicodeClassesAndHexEscapesWithBracesAreGos() {
        assertTrue(finds("^manual_\\p{L}", "manual_x"));
        assertFalse(finds("^manual_\\p{L}", "manual_1"));
        assertTrue(finds("^zrepl_\\p{Nd}{8}_", "zrepl_20240101_"));
        assertTrue(finds("^\\p{Greek}+$", "αβγ"));
        assertFalse(finds("^\\p{^Greek}+$", "αβγ"));
        assertTrue(finds("^\\P{Nd}$", "x"));
        assertTrue(finds("^[\\p{Greek}x]+$", "αx"));
        assertTrue(finds("^\\x{4a}$", "J"));
        assertThrows(PatternSyntaxException.class, () -> GoRegex.compile("^\\p{Nd"));
    }
}
