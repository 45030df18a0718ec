package dev.zreplj.stdinserver;

import dev.zreplj.zfs.DatasetName;
import dev.zreplj.zfs.Zfs;
import dev.zreplj.zfs.ZfsException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/** Filesystems that exist only to hold received children: the jail and missing parents. They never mount. */
final class Placeholders {
    static final String PLACEHOLDER_PROPERTY = "zrepl:placeholder";
    static final Map<String, String> PLACEHOLDER_PROPERTIES;

    static {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("mountpoint", "none");
        m.put(PLACEHOLDER_PROPERTY, "on");
        PLACEHOLDER_PROPERTIES = Collections.unmodifiableMap(m);
    }

    private final Zfs zfs;

    Placeholders(Zfs zfs) {
        this.zfs = zfs;
    }

    /** Creates the jail and any missing ancestor as placeholders; true when it had to. */
    boolean ensure(DatasetName jail) throws ZfsException {
        if (zfs.exists(jail)) {
            return false;
        }
        List<String> parts = jail.components();
        DatasetName current = DatasetName.of(parts.get(0));
        for (int i = 1; i < parts.size(); i++) {
            current = current.child(parts.get(i));
            if (!zfs.exists(current)) {
                create(current);
            }
        }
        return true;
    }

    /** Creates the parents of {@code target} below {@code jail} that are not in {@code existing} (updated). */
    void createMissingParents(DatasetName jail, DatasetName target, Set<DatasetName> existing) throws ZfsException {
        List<DatasetName> missing = new ArrayList<>();
        for (Optional<DatasetName> p = target.parent(); p.isPresent() && !p.get().equals(jail);
                p = p.get().parent()) {
            if (!existing.contains(p.get())) {
                missing.add(0, p.get());
            }
        }
        for (DatasetName m : missing) {
            create(m);
            existing.add(m);
        }
    }

    /**
     * A placeholder created for a child's sake, with no snapshots: a full stream for it may replace it
     * (receive -F), as zrepl does; anything else that exists is left to zfs to refuse.
     */
    boolean isEmptyPlaceholder(DatasetName target, Set<DatasetName> existing) throws ZfsException {
        if (!existing.contains(target)) {
            return false;
        }
        String flag = zfs.getProperties(target, false, List.of(PLACEHOLDER_PROPERTY))
                .getOrDefault(target, Map.of()).get(PLACEHOLDER_PROPERTY);
        return "on".equals(flag) && zfs.listVersions(target).getOrDefault(target, List.of()).isEmpty();
    }

    private void create(DatasetName dataset) throws ZfsException {
        try {
            zfs.create(dataset, PLACEHOLDER_PROPERTIES);
        } catch (ZfsException e) {
            // Another channel of the same agent may have created it a moment ago.
            if (!zfs.exists(dataset)) {
                throw e;
            }
        }
    }
}
