package dev.zreplj.zfs;

/**
 * One {@code zfs send}: full when {@code from} is null, incremental ({@code -i}) otherwise; {@code from}
 * may be a bookmark. With a resume token the other fields are ignored ({@code zfs send -t}).
 */
public record SendRequest(ZfsVersion from, ZfsVersion to, boolean raw, String resumeToken) {
    public static SendRequest full(ZfsVersion to, boolean raw) {
        return new SendRequest(null, to, raw, null);
    }

    public static SendRequest incremental(ZfsVersion from, ZfsVersion to, boolean raw) {
        return new SendRequest(from, to, raw, null);
    }
}
