package dev.zreplj.prune;

/** Which copy a pruning decision is about. */
public enum Side {
    SENDER("sender"),
    RECEIVER("receiver"),
    /** A snap job's filesystems: this machine's, nothing replicated (zrepl's prune_side "local"). */
    LOCAL("local");

    private final String word;

    Side(String word) {
        this.word = word;
    }

    @Override
    public String toString() {
        return word;
    }
}
