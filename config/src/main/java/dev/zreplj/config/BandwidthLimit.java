package dev.zreplj.config;

import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * zrepl's {@code bandwidth_limit}: a token bucket of {@code bucketCapacityBytes} refilled at
 * {@code maxBytesPerSecond}, around the stream. A negative maximum (zrepl's default {@code -1 B}) means
 * no limit.
 */
public record BandwidthLimit(long maxBytesPerSecond, long bucketCapacityBytes) {
    /** zrepl's default bucket: 128 KiB. */
    public static final long DEFAULT_BUCKET_CAPACITY = 128 * 1024;

    // zrepl's datasizeunit: a number, optional space, then "bit" or an SI/IEC prefix with b (bits) or B (bytes).
    private static final Pattern RATE = Pattern.compile("([-0-9.]*)\\s*(bit|(|K|Ki|M|Mi|G|Gi|T|Ti)([bB]))");
    private static final Map<String, Double> PREFIX = Map.of(
            "", 1d, "K", 1e3, "M", 1e6, "G", 1e9, "T", 1e12, "Ki", 0x1p10, "Mi", 0x1p20, "Gi", 0x1p30, "Ti", 0x1p40);

    public BandwidthLimit {
        if (bucketCapacityBytes <= 0) {
            throw new IllegalArgumentException("bucket capacity must be at least one byte, got " + bucketCapacityBytes);
        }
    }

    public static BandwidthLimit unlimited() {
        return new BandwidthLimit(-1, DEFAULT_BUCKET_CAPACITY);
    }

    public boolean limited() {
        return maxBytesPerSecond >= 0;
    }

    /**
     * How many bytes a token of the bucket stands for: 1, except above 1 GB/s. Bucket4j refills at most one token
     * a nanosecond, and zrepl takes any {@code max} ({@code 10 Gb} is 1.25 GB/s), so there a token is worth
     * several bytes.
     */
    public long bytesPerToken() {
        return limited() ? Math.max(1, ceilDiv(maxBytesPerSecond, 1_000_000_000L)) : 1;
    }

    /** The tokens {@code bytes} cost, rounded up: a read pays at most {@link #bytesPerToken()} - 1 bytes too many. */
    public long tokens(long bytes) {
        return ceilDiv(bytes, bytesPerToken());
    }

    /** The bucket's capacity in tokens. */
    public long capacityTokens() {
        return tokens(bucketCapacityBytes);
    }

    /** The tokens the bucket gains a second, at least 1 (never more than a token a nanosecond). */
    public long tokensPerSecond() {
        return Math.max(1, maxBytesPerSecond / bytesPerToken());
    }

    // Math.ceilDiv is Java 18
    private static long ceilDiv(long a, long b) {
        return -Math.floorDiv(-a, b);
    }

    /**
     * Bytes of a zrepl data size such as {@code 23.5 MiB}, {@code 10Mib}, {@code 800 Kb}, {@code 12345 B},
     * {@code -1 B}; bits are divided by 8.
     *
     * @throws IllegalArgumentException with a one-line message
     */
    public static double parseBytes(String text) {
        Matcher m = RATE.matcher(text.strip());
        if (!m.matches()) {
            throw new IllegalArgumentException("'" + text + "' is not a data size: expected a number and a unit "
                    + "such as B, KiB, MiB, GiB, Kb, Mb (bits) or bit, e.g. '23.5 MiB'");
        }
        double n;
        try {
            n = Double.parseDouble(m.group(1));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("'" + text + "': '" + m.group(1) + "' is not a number");
        }
        if (m.group(2).equals("bit")) {
            if (Math.rint(n) != n) {
                throw new IllegalArgumentException("'" + text + "': a number of bits must be whole");
            }
            return n / 8;
        }
        // RATE admits only the prefixes PREFIX has.
        double bits =
                n * Objects.requireNonNull(PREFIX.get(m.group(3))) * (m.group(4).equals("B") ? 8 : 1);
        return bits / 8;
    }

    /** For messages: the limit as zrepl users write it. */
    @Override
    public String toString() {
        return limited()
                ? String.format(Locale.ROOT, "%d B/s, bucket %d B", maxBytesPerSecond, bucketCapacityBytes)
                : "unlimited";
    }
}
