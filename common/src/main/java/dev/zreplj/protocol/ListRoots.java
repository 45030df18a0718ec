package dev.zreplj.protocol;

import java.util.List;

/**
 * The LIST_ROOTS request: the filesystems at and below these paths of the client's jail (the sender's
 * dataset names, as in RECV), not the whole jail. The box checks each path as it checks a RECV's.
 */
public record ListRoots(List<String> roots) {
    public ListRoots {
        roots = List.copyOf(roots);
    }
}
