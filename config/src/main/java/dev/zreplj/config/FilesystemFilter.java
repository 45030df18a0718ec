package dev.zreplj.config;

import dev.zreplj.zfs.DatasetName;
import java.util.Map;

/**
 * zrepl's {@code filesystems} filter: keys are dataset names, a trailing {@code <} makes a key cover the
 * dataset and its whole subtree ({@code "<"} alone covers every filesystem). An exact key for the dataset
 * decides first; otherwise the longest subtree key covering it; a name no key covers is rejected.
 * Keys are expected to be validated by the loader.
 */
public record FilesystemFilter(Map<String, Boolean> rules) {
    public static final String SUBTREE = "<";

    public FilesystemFilter {
        rules = Map.copyOf(rules);
    }

    public boolean accepts(DatasetName dataset) {
        Boolean exact = rules.get(dataset.value());
        if (exact != null) {
            return exact;
        }
        // Walk from the dataset up to the root: the first subtree key found is the longest one.
        String path = dataset.value();
        while (true) {
            Boolean subtree = rules.get(path + SUBTREE);
            if (subtree != null) {
                return subtree;
            }
            int slash = path.lastIndexOf('/');
            if (slash < 0) {
                Boolean all = rules.get(SUBTREE);
                return all != null && all;
            }
            path = path.substring(0, slash);
        }
    }
}
