package dev.zreplj.protocol;

import java.util.List;

/** What the box did with a destroy request: what is gone, and what it refused and why (e.g. its keep_floor). */
public record DestroyResult(List<String> destroyed, List<Refusal> refused) {
    public DestroyResult {
        destroyed = List.copyOf(destroyed);
        refused = List.copyOf(refused);
    }

    public record Refusal(String name, String reason) {}
}
