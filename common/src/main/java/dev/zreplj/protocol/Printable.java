package dev.zreplj.protocol;

/**
 * Client-chosen text made safe for one log line: control characters (CR and LF among them), DEL, C1
 * controls, the Unicode line and paragraph separators and lone surrogates are written as escapes, so a
 * client cannot end a line (a backslash stays as it is: text the box escaped before, such as a name in a
 * refusal, is not escaped twice).
 */
public final class Printable {
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

    private static boolean validPair(String s, int i) {
        char c = s.charAt(i);
        if (Character.isHighSurrogate(c)) {
            return i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1));
        }
        return i > 0 && Character.isHighSurrogate(s.charAt(i - 1));
    }
}
