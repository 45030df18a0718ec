package dev.zreplj.protocol;

import java.util.List;

/**
 * What the box did with a destroy request: what is gone, what its policy refused and why (its keep_floor, its
 * last-received hold, another guid), and what its zfs would not destroy ({@code failed}: an admin's hold, a
 * clone of the snapshot, an I/O error). {@code failed} is on the wire only between peers that both list
 * {@link Wire#DESTROY_FAILED}; otherwise the box puts those among {@code refused} ({@link WithoutFailed}).
 */
public record DestroyResult(List<String> destroyed, List<Refusal> refused, List<Refusal> failed) {
    public DestroyResult {
        destroyed = List.copyOf(destroyed);
        refused = List.copyOf(refused);
        failed = List.copyOf(failed);
    }

    /** Nothing failed. */
    public DestroyResult(List<String> destroyed, List<Refusal> refused) {
        this(destroyed, refused, List.of());
    }

    public record Refusal(String name, String reason) {
        /** The reason the box gives for a snapshot its own policy ({@code policy.keep_floor}) keeps. */
        public static final String KEPT_BY_FLOOR = "kept by the box's keep_floor";

        /** The box's keep_floor at work, as its admin meant it: no cause for a warning on the client. */
        public boolean keptByFloor() {
            return reason.equals(KEPT_BY_FLOOR);
        }
    }

    /** The reply's shape for and from a peer without {@link Wire#DESTROY_FAILED}. */
    public record WithoutFailed(List<String> destroyed, List<Refusal> refused) {
        public WithoutFailed {
            destroyed = List.copyOf(destroyed);
            refused = List.copyOf(refused);
        }
    }

    /** For a peer without {@link Wire#DESTROY_FAILED}: zfs's failures among the refusals, as before it. */
    public WithoutFailed withoutFailed() {
        List<Refusal> all = new java.util.ArrayList<>(refused);
        all.addAll(failed);
        return new WithoutFailed(destroyed, all);
    }
}
