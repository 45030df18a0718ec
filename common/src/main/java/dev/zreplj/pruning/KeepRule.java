package dev.zreplj.pruning;

import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * One rule of a {@code keep_sender} / {@code keep_receiver} list, with zrepl's semantics (DESIGN.md,
 * docs/pruning.md). Regexes match anywhere in the snapshot name ({@link java.util.regex.Matcher#find()}),
 * like Go's {@code MatchString}; anchor them with {@code ^} to match a prefix.
 */
public sealed interface KeepRule {

    /** Keeps the {@code count} newest snapshots (by creation) whose name matches {@code regex} (null: all). */
    record LastN(int count, @Nullable Pattern regex) implements KeepRule {
        public LastN {
            if (count < 1) {
                throw new IllegalArgumentException("last_n count must be positive, got " + count);
            }
        }
    }

    /** Keeps names that match ({@code negate}: that do not match). */
    record Regex(Pattern regex, boolean negate) implements KeepRule {
        public Regex {
            Objects.requireNonNull(regex, "regex");
        }
    }

    /** Keeps per interval of a back-to-back grid reaching from the newest matching snapshot into the past. */
    record Grid(Pattern regex, List<GridInterval> intervals) implements KeepRule {
        public Grid {
            // zrepl refuses a grid without regex: "all snapshots" must be said explicitly.
            Objects.requireNonNull(regex, "grid regex");
            intervals = List.copyOf(intervals);
            if (intervals.isEmpty()) {
                throw new IllegalArgumentException("grid must have at least one interval");
            }
        }
    }

    /** Keeps what the receiver has not got yet, plus the newest replicated one unless told otherwise. */
    record NotReplicated(boolean keepSnapshotAtCursor) implements KeepRule {}

    /** One interval of a grid; {@code keep} is {@link #KEEP_ALL} for {@code keep=all}. */
    record GridInterval(Duration length, int keep) {
        public static final int KEEP_ALL = -1;

        public GridInterval {
            if (length.isNegative() || length.isZero()) {
                throw new IllegalArgumentException("grid interval length must be positive, got " + length);
            }
            if (keep < 1 && keep != KEEP_ALL) {
                throw new IllegalArgumentException("grid interval keep must be positive or KEEP_ALL, got " + keep);
            }
        }
    }
}
