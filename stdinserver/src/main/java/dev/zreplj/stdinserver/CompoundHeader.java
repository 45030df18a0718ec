package dev.zreplj.stdinserver;

import dev.zreplj.protocol.ErrorCodes;
import dev.zreplj.protocol.Printable;
import dev.zreplj.protocol.RemoteException;
import dev.zreplj.stdinserver.XdrNvlist.Flag;
import dev.zreplj.stdinserver.XdrNvlist.Nested;
import dev.zreplj.stdinserver.XdrNvlist.Str;
import dev.zreplj.stdinserver.XdrNvlist.U64;
import dev.zreplj.stdinserver.XdrNvlist.Value;
import dev.zreplj.zfs.DatasetName;
import dev.zreplj.zfs.InvalidNameException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The properties payload of a compound stream's first BEGIN record, accepted only when it is what a
 * non-recursive {@code zfs send -p} or {@code -b} of exactly the requested snapshot writes (checked against
 * OpenZFS 2.3 and zfs-fuse): top level {@code tosnap} (the command's snapshot), optional {@code fromsnap},
 * {@code not_recursive} (its absence means {@code send -R}), optional {@code raw}, and {@code fss} with
 * exactly one filesystem: {@code name}, {@code parentfromsnap} 0 (a child's names its parent's snapshot),
 * {@code props}, {@code snaps} (naming the command's snapshot with its guid), {@code snapprops}, optional
 * {@code is_encroot}. Anything else, an {@code origin} (a clone) above all, is refused: zfs recv acts on
 * these keys, and the box only lets through what it understands.
 *
 * @param properties the names of the filesystem properties the stream sets
 * @param fromSnap   the {@code fromsnap} entry, null when there is none
 * @param snapshots  the {@code snaps} entry: snapshot name to guid, as the sender listed them
 */
record CompoundHeader(List<String> properties, String fromSnap, Map<String, Long> snapshots) {
    CompoundHeader {
        properties = List.copyOf(properties);
        snapshots = Map.copyOf(snapshots);
    }

    /** The cap on the payload the box reads into memory before zfs recv starts: about 40,000 snapshots. */
    static final int MAX_PAYLOAD = 4 << 20;

    private static final Set<String> TOP_KEYS = Set.of("tosnap", "fromsnap", "not_recursive", "raw", "fss");
    private static final Set<String> FS_KEYS =
            Set.of("name", "parentfromsnap", "props", "snaps", "snapprops", "is_encroot");

    /**
     * @param toName the compound BEGIN record's drr_toname
     * @param payload its payload (the packed nvlist)
     */
    static CompoundHeader check(String toName, byte[] payload, int offset, int length, String snapshot, long toGuid)
            throws RemoteException {
        Map<String, Value> top;
        try {
            top = XdrNvlist.parse(payload, offset, length);
        } catch (XdrNvlist.Invalid e) {
            throw refused("its properties payload is not one the box can read: " + e.getMessage());
        }
        if (!(top.get("not_recursive") instanceof Flag)) {
            throw refused("it is a replication stream (zfs send -R); the box receives one filesystem per stream"
                    + " only: send without -R");
        }
        unknownKeys(top, TOP_KEYS, "the stream's properties");
        if (top.containsKey("raw") && !(top.get("raw") instanceof Flag)) {
            throw refused("its 'raw' entry is not a flag");
        }
        if (top.containsKey("fromsnap") && !(top.get("fromsnap") instanceof Str)) {
            throw refused("its 'fromsnap' entry is not a string");
        }
        if (!(top.get("tosnap") instanceof Str tosnap) || !tosnap.value().equals(snapshot)) {
            throw refused("its properties are of snapshot '" + Printable.of(string(top.get("tosnap")))
                    + "', the command names '" + snapshot + "'");
        }
        int at = toName.indexOf('@');
        if (!toName.substring(at + 1).equals(snapshot)) {
            throw refused("its first record names '" + Printable.of(toName) + "', the command names snapshot '"
                    + snapshot + "'");
        }
        if (!(top.get("fss") instanceof Nested fss)) {
            throw refused("its properties list no filesystem (no 'fss')");
        }
        if (fss.pairs().size() != 1) {
            throw refused("its properties list " + fss.pairs().size() + " filesystems; the box receives exactly"
                    + " one per stream");
        }
        if (!(fss.pairs().values().iterator().next() instanceof Nested fs)) {
            throw refused("its filesystem entry is not an nvlist");
        }
        Map<String, Value> f = fs.pairs();
        if (f.containsKey("origin")) {
            throw refused("it is the stream of a clone (its properties name an origin); the box refuses clones:"
                    + " send the clone without send_properties/backup_properties");
        }
        unknownKeys(f, FS_KEYS, "the stream's filesystem entry");
        if (!(f.get("name") instanceof Str)) {
            throw refused("its filesystem entry has no name");
        }
        if (!(f.get("parentfromsnap") instanceof U64 parent) || parent.value() != 0) {
            throw refused("its filesystem entry is a child's (parentfromsnap is not 0); the box receives the"
                    + " requested filesystem only");
        }
        if (f.containsKey("is_encroot") && !(f.get("is_encroot") instanceof Flag)) {
            throw refused("its 'is_encroot' entry is not a flag");
        }
        if (!(f.get("snaps") instanceof Nested snaps)
                || !(snaps.pairs().get(snapshot) instanceof U64 guid)
                || guid.value() != toGuid) {
            throw refused("its properties do not list snapshot '" + snapshot + "' with guid "
                    + Long.toUnsignedString(toGuid));
        }
        Map<String, Long> snapshots = new LinkedHashMap<>();
        for (Map.Entry<String, Value> e : snaps.pairs().entrySet()) {
            if (!(e.getValue() instanceof U64 g)) {
                throw refused("its snapshot list holds something other than guids");
            }
            // zfs recv names each received snapshot by this list, the first name of a guid winning: a name the box
            // refuses (a trailing space) would hide the snapshot from every listing, and with its receive time
            // gone, a second name for the guid would let its forged creation time steer the keep floor.
            try {
                DatasetName.validateComponent(e.getKey(), "snapshot name");
            } catch (InvalidNameException bad) {
                throw refused("its snapshot list names '" + Printable.of(e.getKey()) + "', which the box does not"
                        + " take: " + bad.getMessage());
            }
            if (snapshots.containsValue(g.value())) {
                throw refused("its snapshot list names guid " + Long.toUnsignedString(g.value()) + " twice");
            }
            snapshots.put(e.getKey(), g.value());
        }
        if (!(f.get("props") instanceof Nested props)) {
            throw refused("its filesystem entry has no properties ('props')");
        }
        scalars(props, "property");
        if (f.get("snapprops") instanceof Nested snapprops) {
            for (Value v : snapprops.pairs().values()) {
                if (!(v instanceof Nested one)) {
                    throw refused("its snapshot properties are not nvlists");
                }
                scalars(one, "snapshot property");
            }
        } else if (f.containsKey("snapprops")) {
            throw refused("its 'snapprops' entry is not an nvlist");
        }
        return new CompoundHeader(
                List.copyOf(props.pairs().keySet()),
                top.get("fromsnap") instanceof Str from ? from.value() : null,
                snapshots);
    }

    private static void scalars(Nested list, String what) throws RemoteException {
        for (Map.Entry<String, Value> e : list.pairs().entrySet()) {
            String name = "its " + what + " '" + Printable.of(e.getKey()) + "'";
            if (!(e.getValue() instanceof U64) && !(e.getValue() instanceof Str)) {
                throw refused(name + " is neither a number nor a string");
            }
            // zfs get -H prints names and values as they are: a line break and tabs in a received one would read
            // as more lines, naming datasets outside the jail, to whatever parses that output (box setup).
            if (control(e.getKey()) >= 0) {
                throw refused(name + " has a control character in its name; the box takes none, since zfs prints"
                        + " names as they are");
            }
            if (e.getValue() instanceof Str str && control(str.value()) >= 0) {
                throw refused(name + " has a control character in its value ("
                        + Printable.of(String.valueOf(str.value().charAt(control(str.value()))))
                        + "); the box takes none, since zfs prints values as they are");
            }
        }
    }

    /** The index of the first control character (a C0 control or DEL) in {@code s}, or -1. */
    private static int control(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < 0x20 || c == 0x7f) {
                return i;
            }
        }
        return -1;
    }

    private static void unknownKeys(Map<String, Value> pairs, Set<String> known, String where) throws RemoteException {
        for (String k : pairs.keySet()) {
            if (!known.contains(k)) {
                throw refused("'" + Printable.of(k) + "' in " + where + " is a key the box does not know");
            }
        }
    }

    private static String string(Value v) {
        return v instanceof Str s ? s.value() : String.valueOf(v);
    }

    static RemoteException refused(String why) {
        return new RemoteException(ErrorCodes.STREAM, "the stream carries properties (zfs send -p/-b), but " + why, "");
    }
}
