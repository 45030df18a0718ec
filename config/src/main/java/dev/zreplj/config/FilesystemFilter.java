package dev.zreplj.config;

import dev.zreplj.zfs.DatasetName;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

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
        return accepts(dataset.value());
    }

    /**
     * As {@link #accepts(DatasetName)}, for a name zfs listed that zreplj refuses (a component starting with
     * '-'): whether the job would back it up if it could.
     */
    public boolean accepts(String dataset) {
        Boolean exact = rules.get(dataset);
        if (exact != null) {
            return exact;
        }
        // Walk from the dataset up to the root: the first subtree key found is the longest one.
        String path = dataset;
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

    /**
     * The datasets the filter names to be backed up: each key set to true, exact or subtree, but not {@code "<"}
     * alone. Sorted. Such a dataset missing on the sender (a pool not imported, a dataset renamed) is a backup
     * that does not happen, not an empty selection.
     */
    public List<DatasetName> named() {
        return rules.entrySet().stream()
                .filter(e -> e.getValue() && !e.getKey().equals(SUBTREE))
                .map(e -> DatasetName.of(
                        e.getKey().endsWith(SUBTREE)
                                ? e.getKey().substring(0, e.getKey().length() - SUBTREE.length())
                                : e.getKey()))
                .sorted()
                .toList();
    }

    /**
     * The datasets whose subtrees hold every dataset this filter can accept, none below another one, sorted:
     * a pass lists only these, not the whole pool. Empty when any dataset of any pool can be accepted
     * ({@code "<": true}). A dataset is accepted only by a key set to true, an exact one or a subtree one
     * at or above it, so those keys' datasets are the roots.
     */
    public Optional<List<DatasetName>> roots() {
        if (Boolean.TRUE.equals(rules.get(SUBTREE))) {
            return Optional.empty();
        }
        return Optional.of(DatasetName.outermost(named()));
    }

    /**
     * A dataset (or set of datasets) both filters accept, as words for a message; empty when they are disjoint.
     * A filter's answer for a dataset depends only on the deepest key at or above it, so the keys of both
     * filters, one dataset below each key that no key names, and one pool no key names cover every case.
     */
    public Optional<String> sharedWith(FilesystemFilter other) {
        // No key can hold this component: the loader validates every key as a dataset name.
        String unnamed = "\u0000";
        TreeSet<String> keys = new TreeSet<>();
        for (String key : union(rules.keySet(), other.rules.keySet())) {
            if (!key.equals(SUBTREE)) {
                keys.add(key.endsWith(SUBTREE) ? key.substring(0, key.length() - SUBTREE.length()) : key);
            }
        }
        for (String key : keys) {
            if (accepts(key) && other.accepts(key)) {
                return Optional.of(key);
            }
        }
        for (String key : keys) {
            String below = key + "/" + unnamed;
            if (accepts(below) && other.accepts(below)) {
                return Optional.of("the filesystems below " + key);
            }
        }
        return accepts(unnamed) && other.accepts(unnamed) ? Optional.of("every pool's filesystems") : Optional.empty();
    }

    /**
     * A dataset at or below {@code root} this filter accepts, as words for a message; empty when it accepts none
     * there. As in {@link #sharedWith}: the root, the keys below it, and one dataset below each that no key names.
     */
    public Optional<String> acceptsWithin(DatasetName root) {
        String unnamed = "\u0000";
        TreeSet<String> keys = new TreeSet<>(Set.of(root.value()));
        for (String key : rules.keySet()) {
            String dataset = key.endsWith(SUBTREE) ? key.substring(0, key.length() - SUBTREE.length()) : key;
            if (dataset.startsWith(root.value() + "/")) {
                keys.add(dataset);
            }
        }
        for (String key : keys) {
            if (accepts(key)) {
                return Optional.of(key);
            }
        }
        for (String key : keys) {
            if (accepts(key + "/" + unnamed)) {
                return Optional.of("the filesystems below " + key);
            }
        }
        return Optional.empty();
    }

    private static Set<String> union(Set<String> a, Set<String> b) {
        Set<String> all = new HashSet<>(a);
        all.addAll(b);
        return all;
    }
}
