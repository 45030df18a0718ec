package dev.zreplj.pruning;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Parses zrepl's grid spec ({@code 1x1h(keep=all) | 24x1h | 14x1d}): intervals separated by {@code |},
 * each {@code N x DURATION} with an optional {@code (keep=K)} or {@code (keep=all)} ({@code keep=-1} too, and
 * a {@code +} before a duration or keep count, as zrepl accepts them), whitespace anywhere
 * between the parts. DURATION is a positive whole number with unit s, m, h, d (24h) or w (7d), exactly
 * the units zrepl accepts. {@code N x D} stands for N intervals of length D.
 */
public final class GridSpec {
    /** Above this many intervals a spec is a typo, not a retention policy; it would only exhaust memory. */
    public static final int MAX_INTERVALS = 100_000;
    /** Go's time.Duration limit (about 292 years): zrepl cannot represent a longer interval either. */
    static final long MAX_INTERVAL_SECONDS = Long.MAX_VALUE / 1_000_000_000L;

    private static final Pattern INTERVAL = Pattern.compile("\\s*(\\d+)\\s*x\\s*([^(]*?)\\s*(?:\\((.*)\\))?\\s*");
    // zrepl's durations and keep counts go through Go's strconv, which takes a leading '+'.
    private static final Pattern DURATION = Pattern.compile("\\+?(\\d+)\\s*([smhdw])");
    private static final Pattern KEEP = Pattern.compile("\\s*keep\\s*=\\s*(\\S+)\\s*");
    private static final String FORMAT_HINT =
            "expected COUNTxDURATION with optional (keep=N) or (keep=all)," + " e.g. 24x1h or 1x1h(keep=all)";

    private GridSpec() {}

    /** @throws IllegalArgumentException with a one-line message naming the bad part */
    public static List<KeepRule.GridInterval> parse(String spec) {
        if (spec == null || spec.isBlank()) {
            throw new IllegalArgumentException("grid is empty; expected intervals like 1x1h(keep=all) | 24x1h | 14x1d");
        }
        String[] parts = spec.split("\\|", -1);
        List<KeepRule.GridInterval> intervals = new ArrayList<>();
        Duration previousLength = Duration.ZERO;
        boolean allPreviousKeepAll = true;
        for (String part : parts) {
            String shown = part.strip();
            Matcher m = INTERVAL.matcher(part);
            if (!m.matches()) {
                throw bad(shown, FORMAT_HINT);
            }
            long count = parseCount(shown, m.group(1));
            Duration length = parseDuration(shown, m.group(2));
            int keep = m.group(3) == null ? 1 : parseKeep(shown, m.group(3));
            // zrepl: shorter intervals after longer ones are almost surely a mistake, unless everything
            // before was keep=all (e.g. "1x1h(keep=all) | 6x10m" is not refused).
            if (length.compareTo(previousLength) < 0 && !allPreviousKeepAll) {
                throw bad(
                        shown,
                        "interval length " + describe(length) + " is shorter than the one before it ("
                                + describe(previousLength) + "); lengths must not decrease");
            }
            if (intervals.size() + count > MAX_INTERVALS) {
                throw bad(shown, "the grid would have more than " + MAX_INTERVALS + " intervals; use longer ones");
            }
            KeepRule.GridInterval interval = new KeepRule.GridInterval(length, keep);
            for (long i = 0; i < count; i++) {
                intervals.add(interval);
            }
            previousLength = length;
            allPreviousKeepAll &= keep == KeepRule.GridInterval.KEEP_ALL;
        }
        return List.copyOf(intervals);
    }

    private static long parseCount(String shown, String digits) {
        long count = parseNumber(shown, digits, "repeat count");
        if (count == 0) {
            throw bad(shown, "repeat count must be positive");
        }
        return count;
    }

    private static Duration parseDuration(String shown, String text) {
        Matcher m = DURATION.matcher(text);
        if (!m.matches()) {
            throw bad(shown, "duration '" + text + "' must be a whole number with unit s, m, h, d or w, e.g. 1h");
        }
        long factor = parseNumber(shown, m.group(1), "duration");
        long unitSeconds = switch (m.group(2)) {
            case "s" -> 1L;
            case "m" -> 60L;
            case "h" -> 3_600L;
            case "d" -> 86_400L;
            default -> 604_800L; // "w", the only unit left by the pattern
        };
        if (factor == 0) {
            throw bad(shown, "duration '" + text + "' must be positive");
        }
        if (factor > MAX_INTERVAL_SECONDS / unitSeconds) {
            throw bad(shown, "duration '" + text + "' is longer than the 292 years zrepl allows");
        }
        return Duration.ofSeconds(factor * unitSeconds);
    }

    private static int parseKeep(String shown, String parameters) {
        Matcher m = KEEP.matcher(parameters);
        if (!m.matches()) {
            throw bad(shown, "unknown parameter '" + parameters.strip() + "'; only keep=N or keep=all");
        }
        String value = m.group(1);
        // zrepl's own spelling of keep=all is its constant -1, which its parser accepts as a number.
        if (value.equals("all") || value.equals("-1")) {
            return KeepRule.GridInterval.KEEP_ALL;
        }
        if (value.startsWith("+")) {
            value = value.substring(1);
        }
        if (value.isEmpty() || !value.chars().allMatch(c -> c >= '0' && c <= '9')) {
            throw bad(shown, "keep must be a positive number, 'all' or -1, got '" + m.group(1) + "'");
        }
        long keep = parseNumber(shown, value, "keep");
        if (keep == 0 || keep > Integer.MAX_VALUE) {
            throw bad(shown, "keep must be a positive number, 'all' or -1, got '" + m.group(1) + "'");
        }
        return (int) keep;
    }

    private static long parseNumber(String shown, String digits, String what) {
        try {
            return Long.parseLong(digits);
        } catch (NumberFormatException e) {
            throw bad(shown, what + " '" + digits + "' is too large");
        }
    }

    private static String describe(Duration d) {
        long s = d.getSeconds();
        if (s % 604_800 == 0) return s / 604_800 + "w";
        if (s % 86_400 == 0) return s / 86_400 + "d";
        if (s % 3_600 == 0) return s / 3_600 + "h";
        if (s % 60 == 0) return s / 60 + "m";
        return s + "s";
    }

    private static IllegalArgumentException bad(String part, String why) {
        return new IllegalArgumentException("grid interval '" + part + "': " + why);
    }
}
