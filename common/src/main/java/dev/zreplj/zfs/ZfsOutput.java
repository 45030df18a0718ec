package dev.zreplj.zfs;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.TreeMap;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;

/**
 * Parsers for the tab-separated output of {@code zfs list -H} and {@code zfs get -H}. Defensive: a line
 * of the wrong shape is an error naming the line, never a silently wrong result. A name ZFS accepts
 * but {@link DatasetName} refuses (a space, say) is reported to {@code refused} and left out, so one
 * oddly named dataset elsewhere in a pool does not stop everything else.
 */
final class ZfsOutput {
    static final String MISSING_DATASET = "dataset does not exist";

    private static final List<String> VERSION_PROPERTIES = List.of("guid", "createtxg", "creation");
    private static final Comparator<ZfsVersion> VERSION_ORDER =
            Comparator.comparingLong(ZfsVersion::createtxg).thenComparing(ZfsVersion::type);

    private ZfsOutput() {}

    /** True when zfs's stderr says the named dataset (or pool) does not exist. */
    /** The {@code size\t<bytes>} line of {@code zfs send -nvP}; empty when there is none. */
    static OptionalLong sendSize(String output) {
        for (String line : output.split("\n")) {
            String[] fields = line.strip().split("\t");
            if (fields.length == 2 && fields[0].equals("size") && fields[1].matches("[0-9]{1,18}")) {
                return OptionalLong.of(Long.parseLong(fields[1]));
            }
        }
        return OptionalLong.empty();
    }

    static boolean isMissingDataset(String stderr) {
        return stderr.contains(MISSING_DATASET);
    }

    /** One name a line ({@code zfs list -H -o name}), sorted. */
    static List<DatasetName> names(String stdout, Consumer<RefusedName> refused) {
        List<DatasetName> out = new ArrayList<>();
        for (String line : lines(stdout)) {
            DatasetName name = datasetName(line, refused);
            if (name != null) {
                out.add(name);
            }
        }
        out.sort(null);
        return out;
    }

    /**
     * {@code zfs list -Hp -o name,guid,createtxg,creation} over filesystems, snapshots and bookmarks:
     * every filesystem becomes a key, every snapshot/bookmark an entry of its filesystem.
     */
    static Map<DatasetName, List<ZfsVersion>> versionsFromList(String stdout, Consumer<RefusedName> refused)
            throws ZfsException {
        List<Row> rows = new ArrayList<>();
        for (String line : lines(stdout)) {
            String[] f = line.split("\t", -1);
            if (f.length != 4) {
                throw unparsable(line, "expected 4 tab-separated fields");
            }
            rows.add(row(line, f[0], f[1], f[2], f[3]));
        }
        return assemble(rows, refused);
    }

    /** {@code zfs get -Hp -o name,property,value guid,createtxg,creation}: three lines per dataset. */
    static Map<DatasetName, List<ZfsVersion>> versionsFromGet(String stdout, Consumer<RefusedName> refused)
            throws ZfsException {
        Map<String, Map<String, String>> byName = new LinkedHashMap<>();
        for (String line : lines(stdout)) {
            String[] f = line.split("\t", 3);
            if (f.length != 3) {
                throw unparsable(line, "expected name, property and value separated by tabs");
            }
            if (!VERSION_PROPERTIES.contains(f[1])) {
                throw unparsable(line, "unexpected property '" + f[1] + "'");
            }
            if (byName.computeIfAbsent(f[0], k -> new LinkedHashMap<>()).put(f[1], f[2]) != null) {
                throw unparsable(line, "property '" + f[1] + "' repeated for " + f[0]);
            }
        }
        List<Row> rows = new ArrayList<>();
        for (Map.Entry<String, Map<String, String>> e : byName.entrySet()) {
            Map<String, String> p = e.getValue();
            String described = e.getKey() + " " + p;
            List<String> values = new ArrayList<>();
            for (String property : VERSION_PROPERTIES) {
                String value = p.get(property);
                if (value == null) {
                    throw unparsable(described, "no " + property + " for " + e.getKey());
                }
                values.add(value);
            }
            rows.add(row(described, e.getKey(), values.get(0), values.get(1), values.get(2)));
        }
        return assemble(rows, refused);
    }

    /**
     * {@code zfs get -Hp -o name,property,value,source guid,createtxg,creation,PROPERTY}: the versions, and
     * the property's value per filesystem, only where set locally when {@code localOnly} (a value may hold
     * tabs: the source is the last field).
     */
    static VersionListing versionsWithProperty(
            String stdout, String property, boolean localOnly, Consumer<RefusedName> refused) throws ZfsException {
        StringBuilder versions = new StringBuilder();
        StringBuilder local = new StringBuilder();
        for (String line : lines(stdout)) {
            int last = line.lastIndexOf('\t');
            String[] f = last < 0 ? new String[0] : line.substring(0, last).split("\t", 3);
            if (f.length != 3) {
                throw unparsable(line, "expected name, property, value and source separated by tabs");
            }
            String threeFields = line.substring(0, last) + "\n";
            if (f[1].equals(property)) {
                if (!localOnly || line.substring(last + 1).equals("local")) {
                    local.append(threeFields);
                }
            } else {
                versions.append(threeFields);
            }
        }
        Map<DatasetName, String> values = new TreeMap<>();
        List<RefusedName> names = new ArrayList<>();
        Consumer<RefusedName> both = refused.andThen(names::add);
        properties(local.toString(), both).forEach((fs, p) -> values.put(fs, p.get(property)));
        return new VersionListing(versionsFromGet(versions.toString(), both), values, names);
    }

    /** {@code zfs get -Hp -o name,property,value ...}; snapshots and bookmarks are left out. */
    static Map<DatasetName, Map<String, String>> properties(String stdout, Consumer<RefusedName> refused)
            throws ZfsException {
        Map<DatasetName, Map<String, String>> out = new TreeMap<>();
        for (String line : lines(stdout)) {
            String[] f = line.split("\t", 3);
            if (f.length != 3) {
                throw unparsable(line, "expected name, property and value separated by tabs");
            }
            if (f[0].indexOf('@') >= 0 || f[0].indexOf('#') >= 0) {
                continue;
            }
            DatasetName name = datasetName(f[0], refused);
            if (name != null) {
                out.computeIfAbsent(name, k -> new LinkedHashMap<>()).put(f[1], f[2]);
            }
        }
        return out;
    }

    /** {@code zfs get -Hp -o name,property,value ...} of filesystems and snapshots, by name as printed; bookmarks left out. */
    static Map<String, Map<String, String>> propertiesByName(String stdout) throws ZfsException {
        Map<String, Map<String, String>> out = new TreeMap<>();
        for (String line : lines(stdout)) {
            String[] f = line.split("\t", 3);
            if (f.length != 3) {
                throw unparsable(line, "expected name, property and value separated by tabs");
            }
            if (f[0].indexOf('#') < 0) {
                out.computeIfAbsent(f[0], k -> new LinkedHashMap<>()).put(f[1], f[2]);
            }
        }
        return out;
    }

    /**
     * {@code zfs holds -H}: {@code pool/fs@snap<TAB>tag<TAB>timestamp} a line. A tag or name we would not
     * pass back to zfs is reported to {@code refused} and left out.
     */
    static List<Hold> holds(String stdout, Consumer<RefusedName> refused) throws ZfsException {
        List<Hold> out = new ArrayList<>();
        for (String line : lines(stdout)) {
            String[] f = line.split("\t", -1);
            if (f.length != 3) {
                throw unparsable(line, "expected snapshot, tag and timestamp separated by tabs");
            }
            int at = f[0].indexOf('@');
            if (at < 0) {
                throw unparsable(line, "'" + f[0] + "' is not a snapshot");
            }
            DatasetName fs = datasetName(f[0].substring(0, at), refused);
            if (fs == null) {
                continue;
            }
            try {
                out.add(new Hold(fs, f[0].substring(at + 1), f[1]));
            } catch (InvalidNameException e) {
                refused.accept(new RefusedName(f[0], e.reason()));
            }
        }
        return out;
    }

    /** {@code zfs get -H -s local -o property,value all DATASET}: property to value, in zfs's order. */
    static Map<String, String> localProperties(String stdout) throws ZfsException {
        Map<String, String> out = new LinkedHashMap<>();
        for (String line : lines(stdout)) {
            String[] f = line.split("\t", 2);
            if (f.length != 2) {
                throw unparsable(line, "expected property and value separated by a tab");
            }
            if (out.put(f[0], f[1]) != null) {
                throw unparsable(line, "property '" + f[0] + "' repeated");
            }
        }
        return out;
    }

    private record Row(String line, String name, long guid, long createtxg, long creation) {}

    private static Row row(String line, String name, String guid, String createtxg, String creation)
            throws ZfsException {
        try {
            return new Row(
                    line, name, Long.parseUnsignedLong(guid), Long.parseLong(createtxg), Long.parseLong(creation));
        } catch (NumberFormatException e) {
            throw unparsable(line, "guid, createtxg and creation must be numbers (is this 'zfs get -p' output?)");
        }
    }

    private static Map<DatasetName, List<ZfsVersion>> assemble(List<Row> rows, Consumer<RefusedName> refused)
            throws ZfsException {
        Map<DatasetName, List<ZfsVersion>> out = new TreeMap<>();
        List<Row> versions = new ArrayList<>();
        for (Row r : rows) {
            if (r.name.indexOf('@') >= 0 || r.name.indexOf('#') >= 0) {
                versions.add(r);
            } else {
                DatasetName fs = datasetName(r.name, refused);
                if (fs != null) {
                    out.putIfAbsent(fs, new ArrayList<>());
                }
            }
        }
        for (Row r : versions) {
            int at = r.name.indexOf('@');
            int sep = at >= 0 ? at : r.name.indexOf('#');
            VersionType type = at >= 0 ? VersionType.SNAPSHOT : VersionType.BOOKMARK;
            DatasetName fs = datasetName(r.name.substring(0, sep), refused);
            if (fs == null) {
                continue;
            }
            ZfsVersion v;
            try {
                v = new ZfsVersion(
                        fs,
                        type,
                        r.name.substring(sep + 1),
                        r.guid,
                        r.createtxg,
                        // A received snapshot has the time its stream claims; past Instant's range it would fail
                        // every listing of its pool (a box's whole jail), so it counts as the latest time there is.
                        Instant.ofEpochSecond(Math.min(r.creation, ZfsVersion.LATEST_CREATION)));
            } catch (InvalidNameException e) {
                refused.accept(new RefusedName(r.name, e.reason()));
                continue;
            }
            List<ZfsVersion> list = out.get(fs);
            if (list == null) {
                throw unparsable(r.line, fs + " has versions but was not listed itself");
            }
            list.add(v);
        }
        for (List<ZfsVersion> list : out.values()) {
            list.sort(VERSION_ORDER);
        }
        out.replaceAll((k, v) -> List.copyOf(v));
        return out;
    }

    private static @Nullable DatasetName datasetName(String name, Consumer<RefusedName> refused) {
        try {
            return DatasetName.of(name);
        } catch (InvalidNameException e) {
            refused.accept(new RefusedName(name, e.reason()));
            return null;
        }
    }

    private static List<String> lines(String stdout) {
        return stdout.lines().filter(l -> !l.isEmpty()).toList();
    }

    private static ZfsException unparsable(String line, String why) {
        return new ZfsException("cannot parse zfs output line '" + line + "': " + why);
    }
}
