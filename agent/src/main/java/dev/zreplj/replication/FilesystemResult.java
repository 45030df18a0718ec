package dev.zreplj.replication;

import dev.zreplj.zfs.DatasetName;

/** How one filesystem fared in a replication run; one line of the agent's summary. */
public record FilesystemResult(DatasetName filesystem, Outcome outcome, int stepsDone, long bytes, String message) {
    public enum Outcome { REPLICATED, UP_TO_DATE, NO_SNAPSHOTS, CONFLICT, FAILED }

    public boolean failed() {
        return outcome == Outcome.CONFLICT || outcome == Outcome.FAILED;
    }

    public String summaryLine() {
        String what = switch (outcome) {
            case REPLICATED -> "replicated " + stepsDone + " step" + (stepsDone == 1 ? "" : "s") + ", "
                    + Bytes.human(bytes) + (message.isEmpty() ? "" : ", " + message);
            case UP_TO_DATE -> "up to date (" + message + ")";
            case NO_SNAPSHOTS -> "no snapshot to send yet";
            case CONFLICT -> "conflict: " + message;
            case FAILED -> "failed after " + stepsDone + " step" + (stepsDone == 1 ? "" : "s") + ": " + message;
        };
        return filesystem + ": " + what;
    }
}
