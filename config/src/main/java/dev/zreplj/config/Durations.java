package dev.zreplj.config;

import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * zrepl-style durations: one or more {@code <integer><unit>} parts, units ms, s, m, h, d (24h) and w (7d),
 * e.g. {@code 30s}, {@code 10m}, {@code 1h30m}, {@code 14d}. The one duration syntax of the whole config.
 */
public final class Durations {
    private static final Pattern WHOLE = Pattern.compile("(?:[0-9]+(?:ms|s|m|h|d|w))+");
    private static final Pattern PART = Pattern.compile("([0-9]+)(ms|s|m|h|d|w)");

    private Durations() {}

    /** @throws IllegalArgumentException with a one-line message when {@code text} is not a duration */
    public static Duration parse(String text) {
        String trimmed = text.strip();
        if (!WHOLE.matcher(trimmed).matches()) {
            throw new IllegalArgumentException("invalid duration '" + text
                    + "' (expected a number and a unit ms, s, m, h, d or w, e.g. 10m, 1h30m, 14d)");
        }
        Duration total = Duration.ZERO;
        Matcher m = PART.matcher(trimmed);
        try {
            while (m.find()) {
                long n = Long.parseLong(m.group(1));
                Duration part = switch (m.group(2)) {
                    case "ms" -> Duration.ofMillis(n);
                    case "s" -> Duration.ofSeconds(n);
                    case "m" -> Duration.ofMinutes(n);
                    case "h" -> Duration.ofHours(n);
                    case "d" -> Duration.ofDays(n);
                    default -> Duration.ofDays(Math.multiplyExact(n, 7L));
                };
                total = total.plus(part);
            }
        } catch (ArithmeticException | NumberFormatException e) {
            throw new IllegalArgumentException("duration '" + text + "' is too large");
        }
        return total;
    }

    /** Like {@link #parse} but rejects zero. */
    public static Duration parsePositive(String text) {
        Duration d = parse(text);
        if (d.isZero()) {
            throw new IllegalArgumentException("duration '" + text + "' must be greater than zero");
        }
        return d;
    }

    /** The inverse of {@link #parse} for whole seconds, in days, hours, minutes and seconds: "1d1h", "10m", "0s". */
    public static String format(Duration d) {
        long s = d.getSeconds();
        if (s == 0) {
            return "0s";
        }
        StringBuilder sb = new StringBuilder();
        long[] units = {86_400, 3600, 60, 1};
        String[] names = {"d", "h", "m", "s"};
        for (int i = 0; i < units.length; i++) {
            if (s >= units[i]) {
                sb.append(s / units[i]).append(names[i]);
                s %= units[i];
            }
        }
        return sb.toString();
    }
}
