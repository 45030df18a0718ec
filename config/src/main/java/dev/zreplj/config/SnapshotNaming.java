package dev.zreplj.config;

import dev.zreplj.zfs.DatasetName;
import dev.zreplj.zfs.InvalidNameException;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.Locale;
import org.jspecify.annotations.Nullable;

/**
 * Names snapshots {@code prefix + timestamp} exactly as zrepl does. The timestamp format is one of zrepl's
 * named formats or a Go time layout; {@code timestamp_location} (zrepl 0.7) is the zone it is written in:
 * {@code UTC} (the default), {@code Local} (the machine's zone) or an IANA zone name. As in zrepl, only
 * {@code iso-8601} and layouts may use another zone than UTC: dense, human and unix-seconds carry no offset,
 * so the same name could come twice a year (or a later snapshot sort before an earlier one).
 */
public final class SnapshotNaming {
    public static final String DEFAULT_FORMAT = "dense";
    public static final String DEFAULT_LOCATION = "UTC";

    /** A time whose fields are all distinct and non-zero, so a layout is checked against every token's shape. */
    private static final Instant SAMPLE = Instant.parse("2006-11-12T15:34:56.789Z");
    /** Differs from SAMPLE in every field, to detect a layout that would give every snapshot the same name. */
    private static final Instant OTHER_SAMPLE = Instant.parse("2008-02-29T08:07:08.012Z");

    private final String prefix;
    private final String format;
    private final @Nullable GoTimeLayout layout;
    private final ZoneId zone;

    private SnapshotNaming(String prefix, String format, @Nullable GoTimeLayout layout, ZoneId zone) {
        this.prefix = prefix;
        this.format = format;
        this.layout = layout;
        this.zone = zone;
    }

    /** In UTC. */
    public static SnapshotNaming of(String prefix, String timestampFormat) {
        return of(prefix, timestampFormat, DEFAULT_LOCATION);
    }

    /**
     * @throws IllegalArgumentException (an {@link InvalidNameException} for bad names) with a one-line
     *                                  message when the prefix, format or location cannot make valid snapshot names
     */
    public static SnapshotNaming of(String prefix, String timestampFormat, String timestampLocation) {
        DatasetName.validateComponent(prefix, "snapshot prefix");
        ZoneId zone = zone(timestampLocation);
        String lower = timestampFormat.toLowerCase(Locale.ROOT);
        if (!zone.equals(ZoneOffset.UTC)
                && (lower.equals("dense") || lower.equals("human") || lower.equals("unix-seconds"))) {
            throw new IllegalArgumentException("timestamp format '" + timestampFormat + "' is always in UTC (it shows "
                    + "no zone offset), as in zrepl: remove timestamp_location '" + timestampLocation + "', or use "
                    + "'iso-8601' or a layout with an offset such as '2006-01-02_15:04:05-07:00'");
        }
        GoTimeLayout layout = switch (lower) {
            case "dense" -> new GoTimeLayout("20060102_150405_000");
            case "human" -> new GoTimeLayout("2006-01-02_15:04:05");
            case "iso-8601" -> new GoTimeLayout("2006-01-02T15:04:05.000Z0700");
            case "unix-seconds" -> null;
            default -> {
                if (timestampFormat.isEmpty()) {
                    throw new IllegalArgumentException("timestamp format is empty");
                }
                if (timestampFormat.contains("+")) {
                    throw new IllegalArgumentException("timestamp format '" + timestampFormat + "' contains '+',"
                            + " which zrepl refuses (ZFS names cannot hold it, and a '+' from a zone offset becomes"
                            + " '_'): use another separator, such as '-' or '_'");
                }
                yield new GoTimeLayout(timestampFormat);
            }
        };
        SnapshotNaming naming = new SnapshotNaming(prefix, timestampFormat, layout, zone);
        String sample = naming.name(SAMPLE);
        if (sample.equals(naming.name(OTHER_SAMPLE))) {
            throw new IllegalArgumentException("timestamp format '" + timestampFormat
                    + "' contains no time field, so every snapshot would be named '" + sample + "'");
        }
        DatasetName.validateComponent(sample, "snapshot name from timestamp format '" + timestampFormat + "'");
        return naming;
    }

    /**
     * Go's {@code time.LoadLocation}, which zrepl uses: "UTC" (or empty) is UTC, "Local" the machine's zone,
     * anything else an IANA zone name (no offsets such as "+02:00").
     */
    private static ZoneId zone(String location) {
        if (location.isEmpty() || location.equals("UTC")) {
            return ZoneOffset.UTC;
        }
        if (location.equals("Local")) {
            return ZoneId.systemDefault();
        }
        if (!ZoneId.getAvailableZoneIds().contains(location)) {
            throw new IllegalArgumentException("timestamp_location '" + location + "' is not a time zone: use UTC,"
                    + " Local or an IANA zone name such as Europe/Berlin");
        }
        return ZoneId.of(location);
    }

    public String prefix() {
        return prefix;
    }

    public String timestampFormat() {
        return format;
    }

    public String name(Instant time) {
        if (layout == null) {
            return prefix + time.getEpochSecond();
        }
        // zrepl replaces a '+' the layout produces (a zone offset) with '_', which ZFS allows.
        return prefix + layout.format(ZonedDateTime.ofInstant(time, zone)).replace('+', '_');
    }
}
