package dev.zreplj.status;

/** Monitoring-plugin states and their exit codes. */
public enum Level {
    OK(0, 0),
    WARNING(1, 2),
    CRITICAL(2, 3),
    UNKNOWN(3, 1);

    private final int exitCode;
    /** Which of two states a summary takes: CRITICAL over WARNING over UNKNOWN over OK (unknown is not ok). */
    private final int rank;

    Level(int exitCode, int rank) {
        this.exitCode = exitCode;
        this.rank = rank;
    }

    public int exitCode() {
        return exitCode;
    }

    /** Ranks above {@code other} in {@link #worst}. */
    public boolean worse(Level other) {
        return rank > other.rank;
    }

    public Level worst(Level other) {
        return other.rank > rank ? other : this;
    }
}
