package dev.zreplj.zfs;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * What the local zfs can do, probed once per {@link Zfs}. Features a caller needs but the zfs lacks are
 * reported through {@link #missing()} so the user reads one clear sentence instead of a zfs usage dump.
 * The last three components are what zfs-fuse (pool v23) lacks besides the headline features: several
 * snapshots in one {@code zfs snapshot}, {@code zfs destroy fs@a,b}, and {@code zfs recv -o/-x}.
 * {@code sendFlags}: which {@link SendFlag} options {@code zfs send} lists (zfs-fuse: only {@code -p}).
 * {@code sendIntermediates}: {@code zfs send -I}, one stream of every snapshot between two (zfs-fuse and
 * OpenZFS both list it).
 */
public record Capabilities(
        String version,
        boolean bookmarks,
        boolean holdsListing,
        boolean resumableReceive,
        boolean parsableList,
        boolean recvNoMount,
        boolean rawSend,
        boolean multiSnapshot,
        boolean destroyList,
        boolean recvProperties,
        Set<Character> sendFlags,
        boolean sendIntermediates) {
    /** Every {@link SendFlag}'s option: what OpenZFS 2.x has. */
    public static final Set<Character> ALL_SEND_FLAGS =
            Arrays.stream(SendFlag.values()).map(SendFlag::option).collect(Collectors.toUnmodifiableSet());

    public Capabilities {
        sendFlags = Set.copyOf(sendFlags);
    }

    /** Each capability with its yes/no, in a fixed order, for {@code zreplj version}. */
    public List<Feature> features() {
        return List.of(
                new Feature("bookmarks", bookmarks),
                new Feature("holds listing", holdsListing),
                new Feature("resumable receive", resumableReceive),
                new Feature("parsable list (zfs list -p)", parsableList),
                new Feature("receive without mounting (zfs recv -u)", recvNoMount),
                new Feature("raw send (zfs send -w)", rawSend),
                new Feature("several snapshots in one call", multiSnapshot),
                new Feature("destroy a list of snapshots in one call", destroyList),
                new Feature("receive property overrides (zfs recv -o/-x)", recvProperties),
                new Feature("compressed send (zfs send -c)", sendFlags.contains('c')),
                new Feature("large blocks send (zfs send -L)", sendFlags.contains('L')),
                new Feature("embedded data send (zfs send -e)", sendFlags.contains('e')),
                new Feature("properties send (zfs send -p)", sendFlags.contains('p')),
                new Feature("backup properties send (zfs send -b)", sendFlags.contains('b')));
    }

    public List<String> missing() {
        List<String> out = new ArrayList<>();
        if (!bookmarks) out.add("bookmarks (replication cursors fall back to holds)");
        if (!holdsListing) out.add("'zfs holds' listing");
        if (!resumableReceive) out.add("resumable receive (an interrupted step restarts from its beginning)");
        if (!parsableList) out.add("'zfs list -p' (falls back to 'zfs get -Hp')");
        if (!recvNoMount)
            out.add("'zfs recv -u' (received filesystems stay unmounted only because the sink's"
                    + " root has mountpoint=none, which they inherit)");
        if (!rawSend) out.add("raw send of encrypted datasets");
        if (!multiSnapshot)
            out.add("several snapshots in one 'zfs snapshot' (atomic only for a whole subtree,"
                    + " via 'zfs snapshot -r')");
        if (!destroyList) out.add("'zfs destroy fs@a,b' (one call per snapshot)");
        if (!recvProperties)
            out.add(
                    "'zfs recv -o/-x' (a sink's recv.properties are not applied, and a property stream that sets one is refused)");
        return out;
    }

    public record Feature(String name, boolean present) {}
}
