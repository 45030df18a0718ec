package dev.zreplj.config;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.TextStyle;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Formats a time in its own zone with a Go reference-time layout ({@code Mon Jan 2 15:04:05 MST 2006}), so
 * zrepl's custom {@code timestamp_format} values produce the same names. Tokens are recognised exactly as
 * Go's {@code time.Format} does; everything else is copied literally.
 */
final class GoTimeLayout {
    private final String layout;

    GoTimeLayout(String layout) {
        this.layout = layout;
    }

    private static final DateTimeFormatter ABBREVIATION = DateTimeFormatter.ofPattern("zzz", Locale.ENGLISH);

    String format(ZonedDateTime t) {
        StringBuilder out = new StringBuilder();
        int i = 0;
        while (i < layout.length()) {
            int consumed = appendToken(t, i, out);
            if (consumed == 0) {
                out.append(layout.charAt(i));
                i++;
            } else {
                i += consumed;
            }
        }
        return out.toString();
    }

    /** Appends the token starting at {@code i}, returning its length, or 0 when none starts there. */
    private int appendToken(ZonedDateTime t, int i, StringBuilder out) {
        switch (layout.charAt(i)) {
            case 'J':
                if (at(i, "January")) {
                    out.append(t.getMonth().getDisplayName(TextStyle.FULL, Locale.ENGLISH));
                    return 7;
                }
                if (at(i, "Jan") && !lowerAt(i + 3)) {
                    out.append(t.getMonth().getDisplayName(TextStyle.SHORT, Locale.ENGLISH));
                    return 3;
                }
                return 0;
            case 'M':
                if (at(i, "Monday")) {
                    out.append(t.getDayOfWeek().getDisplayName(TextStyle.FULL, Locale.ENGLISH));
                    return 6;
                }
                if (at(i, "Mon") && !lowerAt(i + 3)) {
                    out.append(t.getDayOfWeek().getDisplayName(TextStyle.SHORT, Locale.ENGLISH));
                    return 3;
                }
                if (at(i, "MST")) {
                    out.append(t.getZone().equals(ZoneOffset.UTC) ? "UTC" : abbreviation(t));
                    return 3;
                }
                return 0;
            case '0':
                if (i + 1 < layout.length() && layout.charAt(i + 1) >= '1' && layout.charAt(i + 1) <= '6') {
                    int value = switch (layout.charAt(i + 1)) {
                        case '1' -> t.getMonthValue();
                        case '2' -> t.getDayOfMonth();
                        case '3' -> hour12(t);
                        case '4' -> t.getMinute();
                        case '5' -> t.getSecond();
                        default -> t.getYear() % 100;
                    };
                    out.append(pad(value, 2, '0'));
                    return 2;
                }
                if (at(i, "002")) {
                    out.append(pad(t.getDayOfYear(), 3, '0'));
                    return 3;
                }
                return 0;
            case '1':
                if (at(i, "15")) {
                    out.append(pad(t.getHour(), 2, '0'));
                    return 2;
                }
                out.append(t.getMonthValue());
                return 1;
            case '2':
                if (at(i, "2006")) {
                    out.append(pad(t.getYear(), 4, '0'));
                    return 4;
                }
                out.append(t.getDayOfMonth());
                return 1;
            case '_':
                if (at(i, "_2006")) {
                    // Go reads "_2006" as a literal '_' followed by the year
                    out.append('_').append(pad(t.getYear(), 4, '0'));
                    return 5;
                }
                if (at(i, "_2")) {
                    out.append(pad(t.getDayOfMonth(), 2, ' '));
                    return 2;
                }
                if (at(i, "__2")) {
                    out.append(pad(t.getDayOfYear(), 3, ' '));
                    return 3;
                }
                return 0;
            case '3':
                out.append(hour12(t));
                return 1;
            case '4':
                out.append(t.getMinute());
                return 1;
            case '5':
                out.append(t.getSecond());
                return 1;
            case 'P':
                if (at(i, "PM")) {
                    out.append(t.getHour() >= 12 ? "PM" : "AM");
                    return 2;
                }
                return 0;
            case 'p':
                if (at(i, "pm")) {
                    out.append(t.getHour() >= 12 ? "pm" : "am");
                    return 2;
                }
                return 0;
            case '-':
            case 'Z':
                return appendZone(t, i, out);
            case '.':
            case ',':
                return appendFraction(t, i, out);
            default:
                return 0;
        }
    }

    /** Numeric zone tokens: the '-' forms always print the offset, the 'Z' forms print "Z" for a zero one. */
    private int appendZone(ZonedDateTime t, int i, StringBuilder out) {
        boolean iso = layout.charAt(i) == 'Z';
        String[] shapes = {"070000", "07:00:00", "0700", "07:00", "07"};
        for (String shape : shapes) {
            if (layout.startsWith(shape, i + 1)) {
                int offset = t.getOffset().getTotalSeconds();
                if (iso && offset == 0) {
                    out.append('Z');
                } else {
                    int abs = Math.abs(offset);
                    String sep = shape.contains(":") ? ":" : "";
                    out.append(offset < 0 ? '-' : '+').append(pad(abs / 3600, 2, '0'));
                    if (shape.length() > 2) {
                        out.append(sep).append(pad(abs / 60 % 60, 2, '0'));
                    }
                    if (shape.length() >= 6) {
                        out.append(sep).append(pad(abs % 60, 2, '0'));
                    }
                }
                return 1 + shape.length();
            }
        }
        return 0;
    }

    private int appendFraction(ZonedDateTime t, int i, StringBuilder out) {
        if (i + 1 >= layout.length() || (layout.charAt(i + 1) != '0' && layout.charAt(i + 1) != '9')) {
            return 0;
        }
        char digit = layout.charAt(i + 1);
        int j = i + 1;
        while (j < layout.length() && layout.charAt(j) == digit) {
            j++;
        }
        if (j < layout.length() && Character.isDigit(layout.charAt(j))) {
            return 0;
        }
        int n = Math.min(j - i - 1, 9);
        String fraction = pad(t.getNano(), 9, '0').substring(0, n);
        if (digit == '9') {
            fraction = fraction.replaceAll("0+$", "");
            if (fraction.isEmpty()) {
                return j - i;
            }
        }
        out.append(layout.charAt(i)).append(fraction);
        return j - i;
    }

    private boolean at(int i, String token) {
        return layout.startsWith(token, i);
    }

    private boolean lowerAt(int i) {
        return i < layout.length() && layout.charAt(i) >= 'a' && layout.charAt(i) <= 'z';
    }

    /**
     * The zone's abbreviation as Go prints it: from the system's tzdata, where many zones have a numeric one
     * ({@code +04} in Asia/Dubai, {@code -03} in America/Sao_Paulo) and Java's names differ ({@code GST},
     * {@code BRT}). Taken from the POSIX TZ string that ends a TZif file (v2 and later), the standard or the
     * daylight name by whether {@code t} is in daylight time: right for the present, when snapshots are
     * named. Java's name where the zone has no such file.
     */
    static String abbreviation(ZonedDateTime t) {
        return abbreviation(t, Path.of("/usr/share/zoneinfo"));
    }

    static String abbreviation(ZonedDateTime t, Path zoneinfo) {
        String id = t.getZone().getId();
        Path file = id.matches("[A-Za-z0-9_+-]+(/[A-Za-z0-9_+-]+)*") ? zoneinfo.resolve(id) : null;
        if (file != null && !Files.isRegularFile(file) && t.getZone().equals(ZoneId.systemDefault())) {
            file = Path.of("/etc/localtime");
        }
        try {
            byte[] bytes = file == null ? new byte[0] : Files.readAllBytes(file);
            int end = bytes.length - 1;
            int start = end - 1;
            while (start >= 0 && bytes[start] != '\n') {
                start--;
            }
            if (end > 0 && bytes[end] == '\n' && start >= 0) {
                Matcher m = POSIX_TZ.matcher(new String(bytes, start + 1, end - start - 1, StandardCharsets.US_ASCII));
                if (m.lookingAt()) {
                    String name = m.group(2) != null && t.getZone().getRules().isDaylightSavings(t.toInstant())
                            ? m.group(2)
                            : m.group(1);
                    return name.startsWith("<") ? name.substring(1, name.length() - 1) : name;
                }
            }
        } catch (IOException e) {
            // No tzdata to read: Java's name, as before.
        }
        return ABBREVIATION.format(t);
    }

    /** A POSIX TZ string's standard name, its offset, and the daylight name if any ({@code CET-1CEST,M3...}). */
    private static final Pattern POSIX_TZ = Pattern.compile(
            "(<[A-Za-z0-9+-]+>|[A-Za-z]{3,})[+-]?[0-9]{1,3}(?::[0-9]{1,2}){0,2}(<[A-Za-z0-9+-]+>|[A-Za-z]{3,})?");

    private static int hour12(ZonedDateTime t) {
        int h = t.getHour() % 12;
        return h == 0 ? 12 : h;
    }

    private static String pad(int value, int width, char fill) {
        String s = Integer.toString(value);
        return s.length() >= width ? s : String.valueOf(fill).repeat(width - s.length()) + s;
    }
}
