package dev.zreplj.prune;

/** Which copy a pruning decision is about. */
public enum Side {
    SENDER("sender"),
    RECEIVER("receiver");

    private final String word;

    Side(String word) {
        this.word = word;
    }

    @Override
    public String toString() {
        return word;
    }
}
