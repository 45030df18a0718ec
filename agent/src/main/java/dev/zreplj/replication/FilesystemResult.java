package dev.zreplj.replication;

import dev.zreplj.zfs.DatasetName;
import java.util.List;

/**
 * How one filesystem fared in a replication run; one line of the agent's summary.
 *
 * @param estimatedBytes what {@code zfs send -nP} estimated for the steps attempted, -1 when unknown
 * @param failure        why it failed (null when it did not); a transient failure is worth another
 *                       attempt in the same pass
 * @param events         what happened on the way that the user should read (a resumed or discarded
 *                       partial receive, a stalled step, earlier attempts), in order
 */
public record FilesystemResult(
        DatasetName filesystem,
        Outcome outcome,
        int stepsDone,
        long bytes,
        String message,
        long estimatedBytes,
        Failure failure,
        List<String> events) {
    public enum Outcome {
        REPLICATED,
        UP_TO_DATE,
        NO_SNAPSHOTS,
        CONFLICT,
        FAILED
    }

    public FilesystemResult {
        events = List.copyOf(events);
        if ((outcome == Outcome.CONFLICT || outcome == Outcome.FAILED) != (failure != null)) {
            throw new IllegalArgumentException("a " + outcome + " result with failure " + failure);
        }
    }

    /** A result without estimate or events; a FAILED one counts as {@link Failure#ERROR}. */
    public FilesystemResult(DatasetName filesystem, Outcome outcome, int stepsDone, long bytes, String message) {
        this(
                filesystem,
                outcome,
                stepsDone,
                bytes,
                message,
                -1,
                switch (outcome) {
                    case CONFLICT -> Failure.CONFLICT;
                    case FAILED -> Failure.ERROR;
                    default -> null;
                },
                List.of());
    }

    /** A failed filesystem: {@code stepsDone} steps went through before {@code failure}. */
    public static FilesystemResult failed(
            DatasetName filesystem, int stepsDone, long bytes, String message, long estimatedBytes, Failure failure) {
        return new FilesystemResult(
                filesystem, Outcome.FAILED, stepsDone, bytes, message, estimatedBytes, failure, List.of());
    }

    public boolean failed() {
        return failure != null;
    }

    /** The failure may pass by itself (link lost, box busy, step stalled): another attempt may succeed. */
    public boolean retryable() {
        return failure != null && failure.isTransient();
    }

    /**
     * This attempt's result with what an earlier attempt of the same pass got onto the box counted in: its steps
     * and bytes were received all the same. The estimate becomes unknown, since the earlier one covered the step
     * it failed in, which this attempt sent again.
     */
    public FilesystemResult after(FilesystemResult earlier) {
        if (earlier == null || (earlier.stepsDone == 0 && earlier.bytes == 0)) {
            return this;
        }
        return new FilesystemResult(
                filesystem,
                outcome,
                stepsDone + earlier.stepsDone,
                bytes + earlier.bytes,
                message,
                -1,
                failure,
                events);
    }

    /** This result with {@code events} instead of its own. */
    public FilesystemResult withEvents(List<String> replaced) {
        return new FilesystemResult(filesystem, outcome, stepsDone, bytes, message, estimatedBytes, failure, replaced);
    }

    public String summaryLine() {
        String sent =
                Bytes.human(bytes) + (estimatedBytes < 0 ? "" : " of " + Bytes.human(estimatedBytes) + " estimated");
        String what = switch (outcome) {
            case REPLICATED ->
                "replicated " + stepsDone + " step" + (stepsDone == 1 ? "" : "s") + ", " + sent
                        + (message.isEmpty() ? "" : ", " + message);
            case UP_TO_DATE -> "up to date (" + message + ")";
            case NO_SNAPSHOTS -> "no snapshot to send yet";
            case CONFLICT -> "conflict: " + message;
            case FAILED -> "failed after " + stepsDone + " step" + (stepsDone == 1 ? "" : "s") + ": " + message;
        };
        return filesystem + ": " + what + (events.isEmpty() ? "" : " [" + String.join("; ", events) + "]");
    }
}
