package dev.zreplj.replication;

import dev.zreplj.zfs.DatasetName;
import java.util.List;

/**
 * How one filesystem fared in a replication run; one line of the agent's summary.
 *
 * @param estimatedBytes what {@code zfs send -nP} estimated for the steps attempted, -1 when unknown
 * @param retryable      the failure may pass by itself (link lost, box busy, step stalled), so a later
 *                       attempt in the same pass is worth it; false for refusals and conflicts
 * @param events         what happened on the way that the user should read (a resumed or discarded
 *                       partial receive, a stalled step, earlier attempts), in order
 */
public record FilesystemResult(DatasetName filesystem, Outcome outcome, int stepsDone, long bytes, String message,
                               long estimatedBytes, boolean retryable, List<String> events) {
    public enum Outcome { REPLICATED, UP_TO_DATE, NO_SNAPSHOTS, CONFLICT, FAILED }

    public FilesystemResult {
        events = List.copyOf(events);
    }

    public FilesystemResult(DatasetName filesystem, Outcome outcome, int stepsDone, long bytes, String message) {
        this(filesystem, outcome, stepsDone, bytes, message, -1, false, List.of());
    }

    public boolean failed() {
        return outcome == Outcome.CONFLICT || outcome == Outcome.FAILED;
    }

    public String summaryLine() {
        String sent = Bytes.human(bytes) + (estimatedBytes < 0 ? "" : " of " + Bytes.human(estimatedBytes) + " estimated");
        String what = switch (outcome) {
            case REPLICATED -> "replicated " + stepsDone + " step" + (stepsDone == 1 ? "" : "s") + ", "
                    + sent + (message.isEmpty() ? "" : ", " + message);
            case UP_TO_DATE -> "up to date (" + message + ")";
            case NO_SNAPSHOTS -> "no snapshot to send yet";
            case CONFLICT -> "conflict: " + message;
            case FAILED -> "failed after " + stepsDone + " step" + (stepsDone == 1 ? "" : "s") + ": " + message;
        };
        return filesystem + ": " + what + (events.isEmpty() ? "" : " [" + String.join("; ", events) + "]");
    }
}
