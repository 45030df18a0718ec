package dev.zreplj.pruning;

import java.time.Duration;
import java.util.List;
import java.util.regex.Pattern;

/** One rule of a {@code keep_sender} / {@code keep_receiver} list, with zrepl's semantics (DESIGN.md). */
public sealed interface KeepRule {

    /** Keeps the {@code count} newest snapshots (by creation) whose name matches {@code regex} (null: all). */
    record LastN(int count, Pattern regex) implements KeepRule {
    }

    /** Keeps names that match ({@code negate}: that do not match). */
    record Regex(Pattern regex, boolean negate) implements KeepRule {
    }

    /** Keeps per interval of a back-to-back grid reaching from the newest matching snapshot into the past. */
    record Grid(Pattern regex, List<GridInterval> intervals) implements KeepRule {
        public Grid {
            intervals = List.copyOf(intervals);
        }
    }

    /** Keeps what the receiver has not got yet, plus the newest replicated one unless told otherwise. */
    record NotReplicated(boolean keepSnapshotAtCursor) implements KeepRule {
    }

    /** One interval of a grid; {@code keep} is {@link #KEEP_ALL} for {@code keep=all}. */
    record GridInterval(Duration length, int keep) {
        public static final int KEEP_ALL = -1;
    }
}
