package dev.zreplj.config;

import dev.zreplj.zfs.DatasetName;
import java.util.Map;

/**
 * zrepl's {@code filesystems} filter: keys are dataset names, a trailing {@code <} makes a key cover the
 * whole subtree; the most specific matching key decides, an exact key beats a subtree key of the same
 * name, and a name no key matches is rejected.
 *
 * SKELETON: the config work fills in {@link #accepts}.
 */
public record FilesystemFilter(Map<String, Boolean> rules) {
    public FilesystemFilter {
        rules = Map.copyOf(rules);
    }

    public boolean accepts(DatasetName dataset) {
        throw new IllegalStateException("not implemented yet");
    }
}
