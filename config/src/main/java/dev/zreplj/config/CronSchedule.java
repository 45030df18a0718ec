package dev.zreplj.config;

import java.time.DateTimeException;
import java.time.Duration;
import java.time.LocalDate;
import java.time.Month;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.time.temporal.ChronoUnit;
import java.util.Arrays;
import java.util.BitSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * A five-field cron spec ({@code minute hour day-of-month month day-of-week}) with {@code *}, lists,
 * ranges, steps and English month/weekday names. As in robfig/cron (zrepl's parser), when both day fields
 * are restricted a day matches if either does, and a day field counts as unrestricted only when one of its
 * items is {@code *} or {@code ?} without a step above 1: {@code *}{@code /2} restricts. Day-of-week 0 and 7
 * are Sunday (robfig/cron refuses 7; an {@code N/step} runs to 6, Saturday, as there). The fields are read in the zone a
 * {@code CRON_TZ=}/{@code TZ=} prefix names, else in the zone of the time given to {@link #next} (the
 * agent's local zone, as zrepl's robfig/cron does).
 */
public final class CronSchedule {
    private static final List<String> MONTHS =
            List.of("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec");
    private static final List<String> DAYS = List.of("sun", "mon", "tue", "wed", "thu", "fri", "sat");
    /** Long enough to reach a 29 February across a non-leap century year. */
    private static final int SEARCH_YEARS = 9;

    private final String spec;
    private final Optional<ZoneId> zone;
    private final BitSet minutes;
    private final BitSet hours;
    private final BitSet daysOfMonth;
    private final BitSet months;
    private final BitSet daysOfWeek;
    private final boolean domRestricted;
    private final boolean dowRestricted;

    private CronSchedule(String spec, Optional<ZoneId> zone, String[] f) {
        this.spec = spec;
        this.zone = zone;
        minutes = field(f[0], "minute", 0, 59, List.of());
        hours = field(f[1], "hour", 0, 23, List.of());
        daysOfMonth = field(f[2], "day-of-month", 1, 31, List.of());
        months = field(f[3], "month", 1, 12, MONTHS);
        BitSet dow = field(f[4], "day-of-week", 0, 7, DAYS);
        if (dow.get(7)) {
            dow.set(0);
            dow.clear(7);
        }
        daysOfWeek = dow;
        domRestricted = !unrestricted(f[2]);
        dowRestricted = !unrestricted(f[4]);
    }

    /**
     * robfig/cron's star bit: some item of the list is {@code *} or {@code ?} with no step, or step 1. It
     * decides whether the two day fields combine with AND (one is unrestricted) or OR (both are restricted).
     */
    private static boolean unrestricted(String text) {
        for (String item : text.split(",", -1)) {
            int slash = item.indexOf('/');
            String range = slash < 0 ? item : item.substring(0, slash);
            if ((range.equals("*") || range.equals("?"))
                    && (slash < 0 || item.substring(slash + 1).matches("0*1"))) {
                return true;
            }
        }
        return false;
    }

    /**
     * Reads the spec as zrepl does (robfig/cron with an optional leading seconds field, {@code ?} as
     * {@code *} in the day fields, no {@code @daily}-style descriptors).
     *
     * @throws IllegalArgumentException with a one-line message naming the bad field
     */
    public static CronSchedule parse(String spec) {
        String text = spec.strip();
        if (text.startsWith("@")) {
            throw new IllegalArgumentException("cron spec '" + spec + "': descriptors like @daily are refused by "
                    + "zrepl's cron parser and by zreplj; write the fields, e.g. '0 0 * * *' for @daily, "
                    + "'0 * * * *' for @hourly");
        }
        Optional<ZoneId> zone = Optional.empty();
        if (text.startsWith("TZ=") || text.startsWith("CRON_TZ=")) {
            int space = text.indexOf(' ');
            String name = text.substring(text.indexOf('=') + 1, space < 0 ? text.length() : space);
            zone = zone(spec, text.substring(0, text.indexOf('=')), name);
            text = space < 0 ? "" : text.substring(space + 1).strip();
        }
        String[] f = text.split("\\s+");
        if (f.length == 6) {
            // robfig/cron's optional seconds field: zreplj schedules at whole minutes, so only 0 means the same.
            if (!f[0].equals("0")) {
                throw new IllegalArgumentException("cron spec '" + spec + "': seconds field '" + f[0]
                        + "': zreplj schedules at whole minutes; use 0 or drop the seconds field");
            }
            f = Arrays.copyOfRange(f, 1, 6);
        }
        if (f.length != 5) {
            throw new IllegalArgumentException(
                    "cron spec '" + spec + "' has " + (text.isBlank() ? 0 : f.length)
                            + " fields; zreplj takes 5 (minute hour day-of-month month day-of-week), or 6 with seconds 0 first");
        }
        CronSchedule schedule = new CronSchedule(spec, zone, f);
        if (schedule.domRestricted && !schedule.dowRestricted && !schedule.dayOfMonthCanOccur()) {
            throw new IllegalArgumentException("cron spec '" + spec + "' never fires: no such day in those months");
        }
        return schedule;
    }

    /**
     * As Go's time.LoadLocation, which zrepl's parser uses: an IANA name, UTC, or Local (the agent's zone).
     * Offsets such as "+02:00" or "GMT-5", which ZoneId.of would take, name no zone file there.
     */
    private static Optional<ZoneId> zone(String spec, String prefix, String name) {
        if (name.equals("Local")) {
            return Optional.empty();
        }
        try {
            if (!ZoneId.getAvailableZoneIds().contains(name)) {
                throw new DateTimeException(name);
            }
            return Optional.of(ZoneId.of(name));
        } catch (DateTimeException e) {
            throw new IllegalArgumentException("cron spec '" + spec + "': unknown time zone '" + name + "' in its "
                    + prefix + "= prefix; name one such as UTC or Europe/Berlin, or drop the prefix for the local"
                    + " time zone");
        }
    }

    public String spec() {
        return spec;
    }

    /** The zone of a CRON_TZ=/TZ= prefix; empty: the zone of the time given to {@link #next}. */
    public Optional<ZoneId> zone() {
        return zone;
    }

    /**
     * The first time strictly after {@code after} (at a whole minute) that the spec matches, in the spec's
     * own zone if it names one, else in {@code after}'s zone.
     */
    public ZonedDateTime next(ZonedDateTime after) {
        ZonedDateTime from = zone.map(after::withZoneSameInstant).orElse(after);
        ZonedDateTime t = from.truncatedTo(ChronoUnit.MINUTES).plusMinutes(1);
        ZonedDateTime limit = from.plusYears(SEARCH_YEARS);
        while (t.isBefore(limit)) {
            if (!months.get(t.getMonthValue())) {
                t = t.toLocalDate().withDayOfMonth(1).plusMonths(1).atStartOfDay(t.getZone());
            } else if (!dayMatches(t.toLocalDate())) {
                t = t.toLocalDate().plusDays(1).atStartOfDay(t.getZone());
            } else if (!hours.get(t.getHour())) {
                t = t.truncatedTo(ChronoUnit.HOURS).plusHours(1);
            } else if (!minutes.get(t.getMinute())) {
                t = t.plusMinutes(1);
            } else {
                return t;
            }
        }
        throw new IllegalStateException("cron spec '" + spec + "' does not fire within " + SEARCH_YEARS + " years");
    }

    /**
     * The longest time between two consecutive firings over the year from {@code from} (and on to the first firing
     * after it), by the wall clock: a zone's change of clocks aside, every day that fires does so at the same hours
     * and minutes, so the days are visited, not each firing.
     */
    public Duration longestGap(LocalDate from) {
        int first = hours.nextSetBit(0) * 60 + minutes.nextSetBit(0);
        int last = hours.previousSetBit(23) * 60 + minutes.previousSetBit(59);
        long longest = 0;
        int previousTime = -1;
        for (int h = hours.nextSetBit(0); h >= 0; h = hours.nextSetBit(h + 1)) {
            for (int m = minutes.nextSetBit(0); m >= 0; m = minutes.nextSetBit(m + 1)) {
                int time = h * 60 + m;
                if (previousTime >= 0) {
                    longest = Math.max(longest, time - previousTime);
                }
                previousTime = time;
            }
        }
        LocalDate end = from.plusYears(1);
        LocalDate limit = from.plusYears(SEARCH_YEARS);
        LocalDate previousDay = null;
        boolean gapSeen = false;
        // On to a firing day past the year, and to a second firing day at all: one that fires once in years
        // (29 February) has its first two past the year.
        for (LocalDate d = from; d.isBefore(limit); d = d.plusDays(1)) {
            if (months.get(d.getMonthValue()) && dayMatches(d)) {
                if (previousDay != null) {
                    longest = Math.max(longest, ChronoUnit.DAYS.between(previousDay, d) * 1440 - last + first);
                    gapSeen = true;
                }
                previousDay = d;
                if (gapSeen && !d.isBefore(end)) {
                    break;
                }
            }
        }
        return Duration.ofMinutes(longest);
    }

    private boolean dayMatches(LocalDate d) {
        boolean dom = daysOfMonth.get(d.getDayOfMonth());
        boolean dow = daysOfWeek.get(d.getDayOfWeek().getValue() % 7);
        if (domRestricted && dowRestricted) {
            return dom || dow;
        }
        return dom && dow;
    }

    private boolean dayOfMonthCanOccur() {
        for (int m = months.nextSetBit(1); m >= 0; m = months.nextSetBit(m + 1)) {
            if (daysOfMonth.nextSetBit(1) <= Month.of(m).maxLength()) {
                return true;
            }
        }
        return false;
    }

    private static BitSet field(String text, String what, int min, int max, List<String> names) {
        BitSet bits = new BitSet(max + 1);
        for (String item : text.split(",", -1)) {
            String range = item;
            int step = 1;
            int slash = item.indexOf('/');
            if (slash >= 0) {
                range = item.substring(0, slash);
                // Any positive step, as robfig/cron: one larger than the range selects only its start.
                step = number(item.substring(slash + 1), what + " step", item, 0, 9999, List.of());
                if (step == 0) {
                    throw new IllegalArgumentException("cron " + what + " step in '" + item + "' must be at least 1");
                }
            }
            int from;
            int to;
            if (range.equals("*") || range.equals("?")) {
                from = min;
                to = max == 7 ? 6 : max;
            } else {
                int dash = range.indexOf('-');
                if (dash >= 0) {
                    from = number(range.substring(0, dash), what, item, min, max, names);
                    to = number(range.substring(dash + 1), what, item, min, max, names);
                    if (to < from) {
                        throw new IllegalArgumentException("cron " + what + " range '" + item + "' runs backwards");
                    }
                } else {
                    from = number(range, what, item, min, max, names);
                    // N/step runs to the field's end; for the day of week that is 6, Saturday, in
                    // robfig/cron, not 7 (which would add Sunday).
                    to = slash >= 0 ? (max == 7 ? 6 : max) : from;
                }
            }
            for (int v = from; v <= to; v += step) {
                bits.set(v);
            }
        }
        return bits;
    }

    private static int number(String text, String what, String item, int min, int max, List<String> names) {
        int byName = names.indexOf(text.toLowerCase(Locale.ROOT));
        if (byName >= 0) {
            return byName + (names.size() == 12 ? 1 : 0);
        }
        if (!text.matches("[0-9]{1,4}")) {
            throw new IllegalArgumentException(
                    "cron " + what + " field: '" + item + "' is not a number, range or step");
        }
        int v = Integer.parseInt(text);
        if (v < min || v > max) {
            throw new IllegalArgumentException("cron " + what + " " + v + " is out of range " + min + "-" + max);
        }
        return v;
    }
}
