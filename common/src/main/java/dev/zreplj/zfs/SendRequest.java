package dev.zreplj.zfs;

import java.util.EnumSet;
import java.util.Set;

/**
 * One {@code zfs send}: full when {@code from} is null, incremental ({@code -i}) otherwise; {@code from}
 * may be a bookmark. With a resume token the other fields are ignored ({@code zfs send -t}): the token
 * carries the flags of the send it resumes.
 */
public record SendRequest(ZfsVersion from, ZfsVersion to, boolean raw, String resumeToken, Set<SendFlag> flags) {
    public SendRequest {
        flags = flags.isEmpty() ? Set.of() : Set.copyOf(EnumSet.copyOf(flags));
    }

    public SendRequest(ZfsVersion from, ZfsVersion to, boolean raw, String resumeToken) {
        this(from, to, raw, resumeToken, Set.of());
    }

    public static SendRequest full(ZfsVersion to, boolean raw) {
        return new SendRequest(null, to, raw, null);
    }

    public static SendRequest incremental(ZfsVersion from, ZfsVersion to, boolean raw) {
        return new SendRequest(from, to, raw, null);
    }

    public SendRequest withFlags(Set<SendFlag> newFlags) {
        return new SendRequest(from, to, raw, resumeToken, newFlags);
    }
}
