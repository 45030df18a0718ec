package dev.zreplj.replication;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.OptionalDouble;
import java.util.OptionalLong;

/**
 * Lays out the progress line for a terminal {@code width} columns wide. The numbers a person waits on
 * (percentage, rate, ETA) survive a narrow terminal; what gives way first is the other sends, then the
 * pass's total, then the middle of a long filesystem name. ASCII only: a terminal's encoding is unknown.
 */
public final class ProgressLine {
    /** Below this, a name says nothing any more: the line is cut instead. */
    private static final int MIN_LABEL = 8;

    private static final String ELLIPSIS = "...";

    /** The whole pass: bytes sent so far, its rate, and what it does while no send runs. */
    public record Overall(long sent, OptionalDouble bytesPerSecond, String phase, long phaseSeconds) {}

    /** One send in flight; {@code total} is zfs's estimate where it gave one. */
    public record Send(
            String label, long sent, OptionalLong total, OptionalDouble bytesPerSecond, OptionalLong secondsLeft) {}

    private ProgressLine() {}

    /** At most {@code width - 1} characters, so that the terminal never wraps the line. */
    public static String render(Overall overall, List<Send> sends, int width) {
        int room = Math.max(1, width - 1);
        if (sends.isEmpty()) {
            String total = overall.sent() > 0 ? " | " + total(overall) : "";
            String seconds = " (" + overall.phaseSeconds() + " s)";
            return fit("", overall.phase() == null ? "" : overall.phase(), seconds + total, room);
        }
        Send first = sends.get(0);
        String more = sends.size() > 1 ? " | +" + (sends.size() - 1) + " more" : "";
        String all = total(overall) + " | ";
        StringBuilder rest = new StringBuilder();
        for (Send s : sends.subList(1, sends.size())) {
            rest.append(" | ").append(s.label()).append(": ").append(full(s));
        }
        // Whole name: the other sends give way, then the total.
        List<String[]> whole = new ArrayList<>();
        whole.add(new String[] {all, first.label(), ": " + full(first) + rest});
        whole.add(new String[] {all, first.label(), ": " + full(first) + more});
        whole.add(new String[] {"", first.label(), ": " + full(first) + more});
        for (String[] c : whole) {
            if (room - c[0].length() - c[2].length() >= c[1].length()) {
                return fit(c[0], c[1], c[2], room);
            }
        }
        // Then the name is shortened in its middle, and only where that is not enough the numbers are compacted.
        List<String[]> shortened = new ArrayList<>();
        shortened.add(whole.get(2));
        shortened.add(new String[] {"", first.label(), ": " + compact(first) + more});
        shortened.add(new String[] {"", first.label(), ": " + compact(first)});
        for (String[] c : shortened) {
            int labelRoom = room - c[0].length() - c[2].length();
            if (labelRoom >= Math.min(c[1].length(), MIN_LABEL)) {
                return fit(c[0], c[1], c[2], room);
            }
        }
        String[] last = shortened.get(shortened.size() - 1);
        return (last[0] + last[1] + last[2]).substring(0, room);
    }

    /** {@code prefix + label + suffix} with the label shortened in its middle to fit, else cut at the end. */
    private static String fit(String prefix, String label, String suffix, int room) {
        int labelRoom = room - prefix.length() - suffix.length();
        if (label.length() > labelRoom) {
            label = labelRoom < MIN_LABEL ? label.substring(0, Math.max(0, labelRoom)) : elide(label, labelRoom);
        }
        String line = prefix + label + suffix;
        return line.length() > room ? line.substring(0, room) : line;
    }

    /** Keeps both ends: the pool and the leaf of "pool/a/very/deep/leaf full @snap" tell it apart. */
    static String elide(String s, int max) {
        if (s.length() <= max) return s;
        int keep = max - ELLIPSIS.length();
        int head = (keep + 1) / 2;
        return s.substring(0, head) + ELLIPSIS + s.substring(s.length() - (keep - head));
    }

    /** e.g. "total 1.2 GiB, 80.0 MiB/s". */
    private static String total(Overall overall) {
        String s = "total " + Bytes.human(overall.sent());
        return overall.bytesPerSecond().isPresent() ? s + ", " + rate(overall.bytesPerSecond()) : s;
    }

    /** e.g. "1.2 GiB of 4.0 GiB (30%), 107.1 MiB/s, ETA 0:25". */
    static String full(Send s) {
        StringBuilder b = new StringBuilder(Bytes.human(s.sent()));
        if (hasTotal(s)) {
            b.append(" of ")
                    .append(Bytes.human(s.total().getAsLong()))
                    .append(" (")
                    .append(percent(s))
                    .append("%)");
        }
        if (s.bytesPerSecond().isPresent()) b.append(", ").append(rate(s.bytesPerSecond()));
        if (s.secondsLeft().isPresent())
            b.append(", ETA ").append(duration(s.secondsLeft().getAsLong()));
        return b.toString();
    }

    /** e.g. "30% 107.1 MiB/s ETA 0:25", or "1.2 GiB 107.1 MiB/s" without an estimate. */
    static String compact(Send s) {
        StringBuilder b = new StringBuilder(hasTotal(s) ? percent(s) + "%" : Bytes.human(s.sent()));
        if (s.bytesPerSecond().isPresent()) b.append(' ').append(rate(s.bytesPerSecond()));
        if (s.secondsLeft().isPresent())
            b.append(" ETA ").append(duration(s.secondsLeft().getAsLong()));
        return b.toString();
    }

    private static boolean hasTotal(Send s) {
        return s.total().isPresent() && s.total().getAsLong() > 0;
    }

    /** Below 100 until the estimate is reached: an estimate is not a promise. */
    private static long percent(Send s) {
        long t = s.total().getAsLong();
        return s.sent() >= t ? 100 : Math.min(99, s.sent() * 100 / t);
    }

    private static String rate(OptionalDouble bytesPerSecond) {
        return Bytes.human(Math.round(bytesPerSecond.getAsDouble())) + "/s";
    }

    /** M:SS below an hour, else H:MM:SS. */
    static String duration(long seconds) {
        long h = seconds / 3600;
        long m = seconds / 60 % 60;
        long sec = seconds % 60;
        return h > 0
                ? String.format(Locale.ROOT, "%d:%02d:%02d", h, m, sec)
                : String.format(Locale.ROOT, "%d:%02d", m, sec);
    }
}
