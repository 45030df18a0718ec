package dev.zreplj.cli;

import dev.zreplj.protocol.DetailedFilesystem;
import dev.zreplj.protocol.DetailedListing;
import dev.zreplj.protocol.RemoteFilesystem;
import dev.zreplj.replication.Bytes;
import dev.zreplj.zfs.VersionType;
import java.util.ArrayList;
import java.util.List;

/**
 * What {@code zreplj box list} shows of one job's box, as JSON ({@code --json}, field names in snake case)
 * and as a table for people. Ages are the box's clock against the creation time the box's zfs reports; only
 * a box without {@code list-details} (an older zreplj) leaves them to this machine's clock, and says so.
 */
record BoxListing(String job, String box, Long boxClock, String note, List<Filesystem> filesystems, String error) {
    /** One snapshot or bookmark; {@code used} null for a bookmark or where the box did not say. */
    record Version(String name, String type, long guid, long creation, long ageSeconds, Long used) {}

    /** {@code used}, {@code referenced} and {@code encryption} are null where the box did not say (encryption: its zfs has none). */
    record Filesystem(
            String path,
            boolean placeholder,
            boolean partialReceive,
            Long used,
            Long referenced,
            String encryption,
            List<Version> versions) {}

    BoxListing {
        filesystems = List.copyOf(filesystems);
    }

    static BoxListing detailed(String job, String box, DetailedListing listing) {
        long now = listing.now();
        List<Filesystem> out = new ArrayList<>();
        for (DetailedFilesystem fs : listing.filesystems()) {
            List<Version> versions = fs.versions().stream()
                    .map(v -> new Version(
                            v.name(),
                            type(v.type()),
                            v.guid(),
                            v.creation(),
                            Math.max(0, now - v.creation()),
                            v.used()))
                    .toList();
            out.add(new Filesystem(
                    fs.path(),
                    fs.placeholder(),
                    fs.resumeToken() != null,
                    fs.used(),
                    fs.referenced(),
                    fs.encryption(),
                    versions));
        }
        return new BoxListing(job, box, now, null, out, null);
    }

    /** From an older box's LIST: no sizes, no encryption, and ages by {@code localNow}, this machine's clock. */
    static BoxListing legacy(
            String job, String box, List<RemoteFilesystem> filesystems, long localNow, String boxSoftware) {
        List<Filesystem> out = new ArrayList<>();
        for (RemoteFilesystem fs : filesystems) {
            List<Version> versions = fs.versions().stream()
                    .map(v -> new Version(
                            v.name(),
                            type(v.type()),
                            v.guid(),
                            v.creation(),
                            Math.max(0, localNow - v.creation()),
                            null))
                    .toList();
            out.add(new Filesystem(fs.path(), fs.placeholder(), fs.resumeToken() != null, null, null, null, versions));
        }
        String note = "the box's zreplj " + boxSoftware + " lists no sizes or encryption (no 'list-details'):"
                + " ages by this machine's clock; update zreplj on the box for more";
        return new BoxListing(job, box, null, note, out, null);
    }

    static BoxListing failed(String job, String box, String error) {
        return new BoxListing(job, box, null, null, List.of(), error);
    }

    private static String type(VersionType type) {
        return type == VersionType.SNAPSHOT ? "snapshot" : "bookmark";
    }

    /** The block for people: a header line, an aligned table (the old three columns from an older box), its note. */
    List<String> lines() {
        List<String> out = new ArrayList<>();
        out.add("job " + job + " (" + box + ")" + (error != null ? ": unreachable" : ""));
        if (error != null) {
            return out;
        }
        boolean sizes = boxClock != null;
        List<String[]> rows = new ArrayList<>();
        rows.add(
                sizes
                        ? new String[] {"NAME", "AGE", "USED", "REFER", "ENCRYPTION", "GUID"}
                        : new String[] {"NAME", "AGE", "GUID"});
        for (Filesystem fs : filesystems) {
            long snapshots = fs.versions().stream()
                    .filter(v -> v.type().equals("snapshot"))
                    .count();
            String name = fs.path() + (fs.placeholder() ? " (placeholder)" : "")
                    + (fs.partialReceive() ? " (partial receive)" : "") + ", " + snapshots
                    + (snapshots == 1 ? " snapshot" : " snapshots");
            rows.add(
                    sizes
                            ? new String[] {
                                name,
                                "-",
                                size(fs.used()),
                                size(fs.referenced()),
                                fs.encryption() == null ? "-" : fs.encryption(),
                                "-"
                            }
                            : new String[] {name, "-", "-"});
            for (Version v : fs.versions()) {
                String vname = "  " + (v.type().equals("snapshot") ? "@" : "#") + v.name();
                String guid = Long.toUnsignedString(v.guid());
                rows.add(
                        sizes
                                ? new String[] {vname, age(v.ageSeconds()), size(v.used()), "-", "-", guid}
                                : new String[] {vname, age(v.ageSeconds()), guid});
            }
        }
        for (String row : align(rows)) {
            out.add("  " + row);
        }
        if (note != null) {
            out.add("  note: " + note);
        }
        return out;
    }

    /** Columns padded to their widest cell: the name and text columns to the left, ages and sizes to the right. */
    private static List<String> align(List<String[]> rows) {
        int columns = rows.get(0).length;
        int[] width = new int[columns];
        for (String[] row : rows) {
            for (int c = 0; c < columns; c++) {
                width[c] = Math.max(width[c], row[c].length());
            }
        }
        boolean[] right = new boolean[columns];
        for (int c = 1; c < columns; c++) {
            String head = rows.get(0)[c];
            right[c] = head.equals("AGE") || head.equals("USED") || head.equals("REFER");
        }
        List<String> out = new ArrayList<>();
        for (String[] row : rows) {
            StringBuilder b = new StringBuilder();
            for (int c = 0; c < columns; c++) {
                if (c > 0) b.append("  ");
                String pad = " ".repeat(width[c] - row[c].length());
                b.append(right[c] ? pad + row[c] : row[c] + pad);
            }
            out.add(b.toString().stripTrailing());
        }
        return out;
    }

    /** e.g. "1.5 MiB"; "-" where the box did not say. */
    static String size(Long bytes) {
        return bytes == null ? "-" : Bytes.human(bytes);
    }

    /** e.g. "45s", "12m", "3h12m", "2d5h", "40d": coarser as it grows, as people read ages. */
    static String age(long seconds) {
        long days = seconds / 86_400;
        long hours = seconds / 3600 % 24;
        long minutes = seconds / 60 % 60;
        if (days >= 10) return days + "d";
        if (days > 0) return days + "d" + (hours > 0 ? hours + "h" : "");
        if (hours > 0) return hours + "h" + (minutes > 0 ? minutes + "m" : "");
        if (minutes > 0) return minutes + "m";
        return seconds + "s";
    }
}
