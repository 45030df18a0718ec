package dev.zreplj.stdinserver;

import dev.zreplj.zfs.DatasetName;
import dev.zreplj.zfs.Zfs;
import dev.zreplj.zfs.ZfsException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
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

    private static final String ENCRYPTION = "encryption";

    private final Zfs zfs;
    private final String encryptionSetting;

    /** @param encryptionSetting the sink job's {@code recv.placeholder.encryption} */
    Placeholders(Zfs zfs, String encryptionSetting) {
        this.zfs = zfs;
        this.encryptionSetting = encryptionSetting;
    }

    /**
     * Creates the client's jail below the sink's {@code root_fs}; true when it had to. The jail inherits its
     * encryption, whatever {@code recv.placeholder.encryption} says, as zrepl's client-identity filesystem.
     * A missing {@code root_fs} is refused, not created: it is the box operator's dataset (its properties,
     * its {@code zfs allow} grant, its place in the pool), and making it silently on a typo would start a
     * full re-send into the wrong place.
     */
    boolean ensure(DatasetName jail) throws ZfsException, MissingRootFs {
        if (zfs.exists(jail)) {
            return false;
        }
        DatasetName rootFs = jail.parent().orElseThrow();
        if (!zfs.exists(rootFs)) {
            // A pool that is not imported (a USB disk unplugged) looks the same to 'zfs list': 'box setup' would
            // send the admin to create what exists, on a disk that is not there.
            // A whole pool as root_fs that is missing is a pool not imported.
            throw new MissingRootFs(rootFs, rootFs.depth() > 1 && zfs.exists(DatasetName.of(rootFs.pool())));
        }
        create(jail, PLACEHOLDER_PROPERTIES);
        return true;
    }

    /** The sink's root_fs does not exist on the box, or its pool is not imported there. */
    static final class MissingRootFs extends Exception {
        MissingRootFs(DatasetName rootFs, boolean poolImported) {
            super(
                    poolImported
                            ? "the sink's root_fs " + rootFs + " does not exist on the box; create it there as root"
                                    + " with 'zreplj box setup " + rootFs + "'"
                            : StdinServer.poolNotImported(rootFs));
        }
    }

    /** Every dataset between {@code jail} (excluded) and {@code target} (excluded). */
    static Set<DatasetName> ancestorsBelow(DatasetName jail, DatasetName target) {
        Set<DatasetName> out = new HashSet<>();
        for (Optional<DatasetName> p = target.parent();
                p.isPresent() && !p.get().equals(jail);
                p = p.get().parent()) {
            out.add(p.get());
        }
        return out;
    }

    /**
     * Which of {@code target}'s ancestors below {@code jail} exist, asking zfs from the parent upwards until
     * one exists: its ancestors exist too. One call where the parent exists, none where it is the jail,
     * however many filesystems the jail holds.
     */
    Set<DatasetName> existingAncestors(DatasetName jail, DatasetName target) throws ZfsException {
        Set<DatasetName> existing = new HashSet<>();
        for (Optional<DatasetName> p = target.parent();
                p.isPresent() && !p.get().equals(jail);
                p = p.get().parent()) {
            if (zfs.exists(p.get())) {
                for (Optional<DatasetName> a = p;
                        a.isPresent() && !a.get().equals(jail);
                        a = a.get().parent()) {
                    existing.add(a.get());
                }
                break;
            }
        }
        return existing;
    }

    /**
     * Creates the parents of {@code target} below {@code jail} that are not in {@code existing} (updated),
     * each with the encryption {@link PlaceholderEncryption} gives it.
     */
    void createMissingParents(DatasetName jail, DatasetName target, Set<DatasetName> existing)
            throws ZfsException, PlaceholderEncryption.Refused {
        List<DatasetName> missing = new ArrayList<>();
        for (Optional<DatasetName> p = target.parent();
                p.isPresent() && !p.get().equals(jail);
                p = p.get().parent()) {
            if (!existing.contains(p.get())) {
                missing.add(0, p.get());
            }
        }
        if (missing.isEmpty()) {
            return;
        }
        DatasetName parent = missing.get(0).parent().orElseThrow();
        String parentEncryption = encryption(parent);
        for (DatasetName m : missing) {
            PlaceholderEncryption.Create create = PlaceholderEncryption.decide(
                    encryptionSetting, m, parent, parentEncryption, PLACEHOLDER_PROPERTIES);
            create(m, create.properties());
            existing.add(m);
            parent = m;
            parentEncryption = create.encryption();
        }
    }

    /** Null where zfs has no native encryption (zfs-fuse; it came with raw send in OpenZFS 0.8). */
    private String encryption(DatasetName dataset) throws ZfsException {
        if (!zfs.capabilities().rawSend()) {
            return null;
        }
        return zfs.getProperties(dataset, false, List.of(ENCRYPTION))
                .getOrDefault(dataset, Map.of())
                .get(ENCRYPTION);
    }

    /**
     * A placeholder created for a child's sake, with no snapshots: a full stream for it may replace it
     * (receive -F), as zrepl does; anything else that exists is left to zfs to refuse.
     */
    boolean isEmptyPlaceholder(DatasetName target, Set<DatasetName> existing) throws ZfsException {
        if (!existing.contains(target)) {
            return false;
        }
        // Set on the target itself: the jail's "on" is inherited by everything below it (see ListHandler).
        String flag = zfs.localProperties(target).get(PLACEHOLDER_PROPERTY);
        return "on".equals(flag) && zfs.listOwnVersions(target).isEmpty();
    }

    private void create(DatasetName dataset, Map<String, String> properties) throws ZfsException {
        try {
            zfs.create(dataset, properties);
        } catch (ZfsException e) {
            // Another channel of the same agent may have created it a moment ago.
            if (!zfs.exists(dataset)) {
                throw e;
            }
        }
    }
}
