package dev.zreplj.config;

import dev.zreplj.zfs.DatasetName;
import dev.zreplj.zfs.InvalidNameException;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.Locale;

/**
 * Names snapshots {@code prefix + timestamp} exactly as zrepl does, always in UTC. The timestamp format is
 * one of zrepl's named formats or a Go time layout.
 */
public final class SnapshotNaming {
    public static final String DEFAULT_FORMAT = "dense";

    /** A time whose fields are all distinct and non-zero, so a layout is checked against every token's shape. */
    private static final Instant SAMPLE = Instant.parse("2006-11-12T15:34:56.789Z");
    /** Differs from SAMPLE in every field, to detect a layout that would give every snapshot the same name. */
    private static final Instant OTHER_SAMPLE = Instant.parse("2008-02-29T08:07:08.012Z");

    private final String prefix;
    private final String format;
    private final GoTimeLayout layout;

    private SnapshotNaming(String prefix, String format, GoTimeLayout layout) {
        this.prefix = prefix;
        this.format = format;
        this.layout = layout;
    }

    /**
     * @throws IllegalArgumentException (an {@link InvalidNameException} for bad names) with a one-line
     *                                  message when the prefix or format cannot make valid snapshot names
     */
    public static SnapshotNaming of(String prefix, String timestampFormat) {
        DatasetName.validateComponent(prefix, "snapshot prefix");
        String lower = timestampFormat.toLowerCase(Locale.ROOT);
        GoTimeLayout layout = switch (lower) {
            case "dense" -> new GoTimeLayout("20060102_150405_000");
            case "human" -> new GoTimeLayout("2006-01-02_15:04:05");
            case "iso-8601" -> new GoTimeLayout("2006-01-02T15:04:05.000Z0700");
            case "unix-seconds" -> null;
            default -> {
                if (timestampFormat.isEmpty()) {
                    throw new IllegalArgumentException("timestamp format is empty");
                }
                yield new GoTimeLayout(timestampFormat);
            }
        };
        SnapshotNaming naming = new SnapshotNaming(prefix, timestampFormat, layout);
        String sample = naming.name(SAMPLE);
        if (sample.equals(naming.name(OTHER_SAMPLE))) {
            throw new IllegalArgumentException("timestamp format '" + timestampFormat
                    + "' contains no time field, so every snapshot would be named '" + sample + "'");
        }
        DatasetName.validateComponent(sample, "snapshot name from timestamp format '" + timestampFormat + "'");
        return naming;
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
        return prefix + layout.format(ZonedDateTime.ofInstant(time, ZoneOffset.UTC)).replace('+', '_');
    }
}
