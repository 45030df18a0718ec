package dev.zreplj.pruning;

import java.util.List;

/** Parses zrepl's grid spec ({@code 1x1h(keep=all) | 24x1h | 14x1d}). SKELETON: filled in by the pruning work. */
public final class GridSpec {
    private GridSpec() {
    }

    /** @throws IllegalArgumentException with a one-line message naming the bad part */
    public static List<KeepRule.GridInterval> parse(String spec) {
        throw new IllegalArgumentException("grid parsing not implemented yet");
    }
}
