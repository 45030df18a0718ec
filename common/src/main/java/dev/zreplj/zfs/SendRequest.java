package dev.zreplj.zfs;

import java.util.EnumSet;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * One {@code zfs send}: full when {@code from} is null, incremental ({@code -i}) otherwise; {@code from}
 * may be a bookmark. {@code intermediates}: {@code -I} instead of {@code -i}, one stream of every snapshot
 * after {@code from} up to {@code to} ({@code from} a snapshot: zfs sends no -I from a bookmark). With a
 * resume token the other fields are ignored ({@code zfs send -t}): the token carries the flags of the send
 * it resumes.
 */
public record SendRequest(
        @Nullable ZfsVersion from,
        ZfsVersion to,
        boolean raw,
        @Nullable String resumeToken,
        Set<SendFlag> flags,
        boolean intermediates) {
    public SendRequest {
        flags = flags.isEmpty() ? Set.of() : Set.copyOf(EnumSet.copyOf(flags));
        if (intermediates && (from == null || from.type() != VersionType.SNAPSHOT || resumeToken != null)) {
            throw new IllegalArgumentException("zfs send -I needs a snapshot to start from, got " + from);
        }
    }

    public SendRequest(
            @Nullable ZfsVersion from, ZfsVersion to, boolean raw, @Nullable String resumeToken, Set<SendFlag> flags) {
        this(from, to, raw, resumeToken, flags, false);
    }

    public SendRequest(@Nullable ZfsVersion from, ZfsVersion to, boolean raw, @Nullable String resumeToken) {
        this(from, to, raw, resumeToken, Set.of());
    }

    /** {@code zfs send -I from to}: every snapshot after {@code from} up to {@code to}, in one stream. */
    public static SendRequest intermediates(ZfsVersion from, ZfsVersion to, boolean raw) {
        return new SendRequest(from, to, raw, null, Set.of(), true);
    }

    public static SendRequest full(ZfsVersion to, boolean raw) {
        return new SendRequest(null, to, raw, null);
    }

    public static SendRequest incremental(ZfsVersion from, ZfsVersion to, boolean raw) {
        return new SendRequest(from, to, raw, null);
    }

    public SendRequest withFlags(Set<SendFlag> newFlags) {
        return new SendRequest(from, to, raw, resumeToken, newFlags, intermediates);
    }
}
