package dev.zreplj.pruning;

import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * zrepl's keep-rule regexes are Go regexps (RE2 syntax); this compiles one with java.util.regex so that it
 * matches the same names. The two agree on ordinary patterns, which pass through unchanged; where their
 * syntax means different things, the pattern is rewritten to Go's meaning:
 *
 * <ul>
 *   <li>{@code [[:digit:]]} and the other POSIX classes ({@code [:^digit:]} negated) inside brackets are ASCII
 *       classes in Go; Java would read them as a nested set of the letters of the name, so
 *       {@code ^zrepl_[[:digit:]]+} would silently keep none of zrepl's snapshots. An unknown class name is
 *       an error, as in Go.
 *   <li>Inside brackets {@code [} and {@code &} are plain characters in Go (Java nests and intersects), and
 *       a {@code ]} right after {@code [} or {@code [^} is a literal.
 *   <li>A {@code {} that does not start a repeat ({@code {n}}, {@code {n,}}, {@code {n,m}}) is a literal in Go
 *       ({@code ^a{}, {@code x{,3}}); Java refuses the pattern.
 *   <li>Go's Unicode classes {@code \p{Greek}}, {@code \p{Nd}}, {@code \p{^L}} become Java's {@code \p{IsGreek}},
 *       {@code \p{IsNd}}, {@code \P{IsL}} (Java knows scripts only with "Is"), and {@code \x{4a}} stays whole.
 *   <li>Go's named groups {@code (?P<name>re)} and {@code (?<name>re)} (names may contain {@code _}, which
 *       Java's may not) become plain groups: RE2 has no back-references, so the name never matters.
 * </ul>
 *
 * Java-only constructs (look-around, back-references, possessive quantifiers) are left alone: zrepl
 * refuses a config with them, so no config zrepl runs has one.
 */
public final class GoRegex {
    /** Go's regexp/syntax POSIX classes, all ASCII, as java.util.regex classes (also ASCII by default). */
    private static final Map<String, String> POSIX = Map.ofEntries(
            Map.entry("alnum", "p{Alnum}"),
            Map.entry("alpha", "p{Alpha}"),
            Map.entry("ascii", "p{ASCII}"),
            Map.entry("blank", "p{Blank}"),
            Map.entry("cntrl", "p{Cntrl}"),
            Map.entry("digit", "p{Digit}"),
            Map.entry("graph", "p{Graph}"),
            Map.entry("lower", "p{Lower}"),
            Map.entry("print", "p{Print}"),
            Map.entry("punct", "p{Punct}"),
            Map.entry("space", "p{Space}"),
            Map.entry("upper", "p{Upper}"),
            Map.entry("word", "w"),
            Map.entry("xdigit", "p{XDigit}"));

    private static final Pattern NAMED_GROUP = Pattern.compile("\\(\\?P?<[A-Za-z0-9_]+>");
    /** Go's repeat {n}, {n,} or {n,m}; its parser takes no leading zero ("01"), and any other '{' is a literal. */
    private static final Pattern REPEAT = Pattern.compile("\\{(0|[1-9][0-9]*)(,(0|[1-9][0-9]*)?)?}");

    private GoRegex() {}

    /** @throws PatternSyntaxException where Go or Java refuses the pattern */
    public static Pattern compile(String goRegex) {
        return Pattern.compile(toJava(goRegex));
    }

    /** The java.util.regex spelling of a Go regexp; the pattern itself when nothing needs rewriting. */
    static String toJava(String re) {
        StringBuilder out = new StringBuilder(re.length() + 8);
        int i = 0;
        while (i < re.length()) {
            char c = re.charAt(i);
            if (c == '\\') {
                i = copyEscape(re, i, out);
            } else if (c == '[') {
                i = translateClass(re, i, out);
            } else if (c == '{') {
                Matcher m = REPEAT.matcher(re).region(i, re.length());
                if (m.lookingAt()) {
                    out.append(re, i, m.end());
                    i = m.end();
                } else {
                    out.append("\\{");
                    i++;
                }
            } else if (c == '(') {
                Matcher m = NAMED_GROUP.matcher(re).region(i, re.length());
                if (m.lookingAt()) {
                    out.append('(');
                    i = m.end();
                } else {
                    out.append(c);
                    i++;
                }
            } else {
                out.append(c);
                i++;
            }
        }
        return out.toString();
    }

    /** Copies the escape at {@code i} ({@code \Q...\E} whole); returns the index after it. */
    private static int copyEscape(String re, int i, StringBuilder out) {
        if (i + 1 >= re.length()) {
            out.append('\\'); // a trailing backslash: Java refuses it, as Go does
            return i + 1;
        }
        if (re.charAt(i + 1) == 'Q') {
            int end = re.indexOf("\\E", i + 2);
            int stop = end < 0 ? re.length() : end + 2;
            out.append(re, i, stop);
            return stop;
        }
        char e = re.charAt(i + 1);
        if ((e == 'p' || e == 'P' || e == 'x') && i + 2 < re.length() && re.charAt(i + 2) == '{') {
            // \p{Greek}, \P{Nd}, \x{4a}: copied whole, or the brace would be taken for a literal '{' below.
            int close = re.indexOf('}', i + 3);
            if (close < 0) {
                throw new PatternSyntaxException("missing '}' after \\" + e + "{", re, i);
            }
            String name = re.substring(i + 3, close);
            if (e == 'x') {
                out.append(re, i, close + 1);
            } else {
                // Go's names are Unicode categories (L, Nd) and scripts (Greek, Han); Java takes both after "Is",
                // scripts only so. Go's \p{^Greek} is the negation, Java's \P.
                boolean negated = name.startsWith("^");
                char kind = negated == (e == 'p') ? 'P' : 'p';
                out.append('\\')
                        .append(kind)
                        .append("{Is")
                        .append(negated ? name.substring(1) : name)
                        .append('}');
            }
            return close + 1;
        }
        out.append(re, i, i + 2);
        return i + 2;
    }

    /** Rewrites the bracket expression starting at {@code start} (a '['); returns the index after it. */
    private static int translateClass(String re, int start, StringBuilder out) {
        out.append('[');
        int i = start + 1;
        if (i < re.length() && re.charAt(i) == '^') {
            out.append('^');
            i++;
        }
        if (i < re.length() && re.charAt(i) == ']') {
            out.append("\\]");
            i++;
        }
        while (i < re.length()) {
            char c = re.charAt(i);
            if (c == ']') {
                out.append(']');
                return i + 1;
            }
            if (c == '\\') {
                i = copyEscape(re, i, out);
                continue;
            }
            if (c == '[' && re.startsWith("[:", i)) {
                // Go: "[:" up to the next ":]" is a class name, and an unknown one is an error.
                int close = re.indexOf(":]", i + 2);
                if (close >= 0) {
                    String name = re.substring(i + 2, close);
                    boolean negated = name.startsWith("^");
                    String java = POSIX.get(negated ? name.substring(1) : name);
                    if (java == null) {
                        throw new PatternSyntaxException("invalid character class [:" + name + ":]", re, i);
                    }
                    out.append('\\').append(negated ? upperFirst(java) : java);
                    i = close + 2;
                    continue;
                }
            }
            if (c == '[' || c == '&') {
                out.append('\\');
            }
            out.append(c);
            i++;
        }
        return i; // unclosed: Java refuses it, as Go does
    }

    /** {@code p{Digit}} to {@code P{Digit}}, {@code w} to {@code W}: the complement. */
    private static String upperFirst(String javaClass) {
        return Character.toUpperCase(javaClass.charAt(0)) + javaClass.substring(1);
    }
}
