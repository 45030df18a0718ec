package dev.zreplj.protocol;

/**
 * Client-chosen text made safe for one log line: control characters (CR and LF among them), DEL, C1
 * controls, the Unicode line and paragraph separators and lone surrogates are written as escapes, so a
 * client cannot end a line (a backslash stays as it is: text the box escaped before, such as a name in a
 * refusal, is not escaped twice).
 */
public final class Printable {
    /** Longest name or code a peer's word is printed with (a ZFS name has at most 255 characters). */
    public static final int MAX_WORD = 256;
    /** Longest message a peer's text is printed with, as the box's log cuts a client's. */
    public static final int MAX_TEXT = 2000;
    /** Longest zfs stderr (several lines) a peer's detail is kept with. */
    public static final int MAX_DETAIL = 8000;

    private Printable() {}

    public static String of(String s) {
        if (s == null) {
            return "null";
        }
        StringBuilder sb = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < 0x20 || c == 0x7f || (c >= 0x80 && c < 0xa0)) {
                sb.append(String.format("\\x%02x", (int) c));
            } else if (c == '\u2028' || c == '\u2029' || (Character.isSurrogate(c) && !validPair(s, i))) {
                sb.append(String.format("\\u%04x", (int) c));
            } else {
                sb.append(c);
            }
        }
        return sb.toString();
    }

    /**
     * {@link #of(String)} of at most {@code max} characters of {@code s}, then how many more there were: a peer chooses
     * the length of its words too, and they go into one-line failures, status files, the journal and cron's mail.
     */
    public static String of(String s, int max) {
        if (s == null || s.length() <= max) {
            return of(s);
        }
        int cut = Character.isHighSurrogate(s.charAt(max - 1)) ? max - 1 : max;
        return of(s.substring(0, cut)) + "... (" + (s.length() - cut) + " more characters)";
    }

    private static boolean validPair(String s, int i) {
        char c = s.charAt(i);
        if (Character.isHighSurrogate(c)) {
            return i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1));
        }
        return i > 0 && Character.isHighSurrogate(s.charAt(i - 1));
    }
}
