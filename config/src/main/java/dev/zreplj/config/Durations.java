package dev.zreplj.config;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Durations as zrepl's config reads them, in one syntax for the whole config: one or more
 * {@code <number><unit>} parts, units ns, us (µs), ms, s, m, h, d (24h) and w (7d), e.g. {@code 30s},
 * {@code 10m}, {@code 1h30m}, {@code 14d}; and {@code 0}. zrepl has two grammars, and this is their union:
 * its own for intervals ({@code "10 m"}, {@code "+10m"}: space and sign allowed, units s m h d w) and Go's
 * {@code time.ParseDuration} for timeouts ({@code 1.5s}, {@code 1h30m}, {@code 300ms}). Each value means
 * what it means in zrepl; values only one of them accepts are accepted everywhere here.
 */
public final class Durations {
    /** A number (Go allows a fraction) and its unit; zrepl's interval syntax allows space between them. */
    private static final Pattern PART =
            Pattern.compile("([0-9]+(?:\\.[0-9]*)?|\\.[0-9]+)\\s*(ns|us|\u00b5s|\u03bcs|ms|s|m|h|d|w)");

    private static final Pattern WHOLE = Pattern.compile(
            "\\+?(?:(?:[0-9]+(?:\\.[0-9]*)?|\\.[0-9]+)\\s*(?:ns|us|\u00b5s|\u03bcs|ms|s|m|h|d|w))+|\\+?0");

    private Durations() {}

    /** @throws IllegalArgumentException with a one-line message when {@code text} is not a duration */
    public static Duration parse(String text) {
        String trimmed = text.strip();
        if (!WHOLE.matcher(trimmed).matches()) {
            throw new IllegalArgumentException("invalid duration '" + text
                    + "' (expected a number and a unit ns, us, ms, s, m, h, d or w, e.g. 10m, 1h30m, 14d)");
        }
        BigDecimal nanos = BigDecimal.ZERO;
        Matcher m = PART.matcher(trimmed);
        while (m.find()) {
            long unit = switch (m.group(2)) {
                case "ns" -> 1L;
                case "us", "\u00b5s", "\u03bcs" -> 1_000L;
                case "ms" -> 1_000_000L;
                case "s" -> 1_000_000_000L;
                case "m" -> 60_000_000_000L;
                case "h" -> 3_600_000_000_000L;
                case "d" -> 86_400_000_000_000L;
                default -> 604_800_000_000_000L;
            };
            nanos = nanos.add(new BigDecimal(m.group(1)).multiply(BigDecimal.valueOf(unit)));
        }
        try {
            // Go truncates a fraction of a nanosecond; so does this.
            BigInteger[] secondsAndNanos = nanos.toBigInteger().divideAndRemainder(BigInteger.valueOf(1_000_000_000L));
            return Duration.ofSeconds(secondsAndNanos[0].longValueExact(), secondsAndNanos[1].longValue());
        } catch (ArithmeticException e) {
            throw new IllegalArgumentException("duration '" + text + "' is too large");
        }
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
