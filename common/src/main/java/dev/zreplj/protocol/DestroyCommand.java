package dev.zreplj.protocol;

import java.util.List;

/** The DESTROY request: snapshots of {@code <jail>/<path>} the client asks the box to destroy. */
public record DestroyCommand(String path, List<DestroyTarget> snapshots) {
    public DestroyCommand {
        snapshots = List.copyOf(snapshots);
    }
}
