package dev.zreplj.zfs;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.regex.Pattern;

/**
 * The user property {@code zreplj:cursor:<job>} that lists the guids of a push job's held cursor snapshots
 * where zfs cannot list holds. Property names are lowercase, so a job name with other characters is spelled
 * in hex after an {@code x}. That spelling is not one-to-one: the plain name {@code x41} is also job
 * {@code A}'s hex spelling, which is why the config refuses two push jobs that share a property.
 */
public final class CursorProperty {
    private static final String PREFIX = "zreplj:cursor:";
    private static final Pattern SAFE = Pattern.compile("[a-z0-9_.:-]+");

    private CursorProperty() {}

    /** The property name of {@code job}'s cursor. */
    public static String of(String job) {
        if (SAFE.matcher(job).matches()) {
            return PREFIX + job;
        }
        return PREFIX + "x" + HexFormat.of().formatHex(job.getBytes(StandardCharsets.UTF_8));
    }

    /**
     * The jobs a cursor property can belong to; empty for any other property. Usually one; two where a
     * plain name is also another's hex spelling.
     */
    public static List<String> jobs(String property) {
        if (!property.startsWith(PREFIX)) {
            return List.of();
        }
        String rest = property.substring(PREFIX.length());
        List<String> jobs = new ArrayList<>();
        if (SAFE.matcher(rest).matches()) {
            jobs.add(rest);
        }
        if (rest.startsWith("x")
                && rest.length() > 1
                && rest.length() % 2 == 1
                && rest.substring(1).chars().allMatch(c -> Character.digit(c, 16) >= 0)) {
            String decoded = new String(HexFormat.of().parseHex(rest.substring(1)), StandardCharsets.UTF_8);
            if (of(decoded).equals(property) && !decoded.equals(rest)) {
                jobs.add(decoded);
            }
        }
        return List.copyOf(jobs);
    }
}
