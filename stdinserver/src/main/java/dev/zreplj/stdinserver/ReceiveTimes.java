package dev.zreplj.stdinserver;

import dev.zreplj.files.StateFiles;
import dev.zreplj.protocol.ErrorCodes;
import dev.zreplj.protocol.RemoteException;
import dev.zreplj.zfs.DatasetName;
import dev.zreplj.zfs.VersionType;
import dev.zreplj.zfs.ZfsVersion;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@code <state_dir>/received/<dataset with / as %2F>} ({@code sha256-<hex of the name>} where that is too long
 * for a file name): the box's own clock reading for each snapshot of
 * a filesystem, one line {@code GUID<TAB>UNIX_SECONDS.NANOSECONDS}, keyed by guid. The floor is evaluated on these,
 * never on a snapshot's creation, which the client's stream sets. They live in the state directory rather
 * than in a zfs user property because a stream with a properties payload can set user properties, and
 * zfs-fuse has no {@code recv -x} to stop it. Read and written only under the dataset's
 * {@link DatasetLock}; replaced atomically (temp file, then rename).
 */
final class ReceiveTimes {
    private ReceiveTimes() {}

    /** A file name's limit (NAME_MAX) less the temporary file's dot and ".tmp". */
    private static final int MAX_NAME_BYTES = 255 - 5;

    static Path path(Path stateDir, DatasetName fs) {
        String name = fs.value().replace("/", "%2F");
        if (name.getBytes(StandardCharsets.UTF_8).length > MAX_NAME_BYTES) {
            // A name zfs allows (up to 255 characters) can exceed a file name's 255 bytes once each '/' is three.
            try {
                name = "sha256-"
                        + HexFormat.of()
                                .formatHex(MessageDigest.getInstance("SHA-256")
                                        .digest(fs.value().getBytes(StandardCharsets.UTF_8)));
            } catch (NoSuchAlgorithmException e) {
                throw new IllegalStateException("every Java runtime has SHA-256", e);
            }
        }
        return stateDir.resolve("received").resolve(name);
    }

    /** The recorded times by guid; empty when nothing is recorded. A malformed line is not a time: skipped. */
    static Map<Long, Instant> read(Path stateDir, DatasetName fs) throws IOException {
        Map<Long, Instant> times = new HashMap<>();
        List<String> lines;
        try {
            // Not US_ASCII, whose decoder throws at the first byte above 127: one damaged byte would then refuse
            // every receive and destroy in this filesystem until the file is deleted by hand. As Latin-1 every byte
            // is a character, and such a line is malformed like any other.
            lines = new String(StateFiles.read(path(stateDir, fs)), StandardCharsets.ISO_8859_1)
                    .lines()
                    .toList();
        } catch (NoSuchFileException e) {
            return times;
        }
        for (String line : lines) {
            int tab = line.indexOf('\t');
            try {
                String[] time = line.substring(tab + 1).split("\\.", 2);
                times.put(
                        Long.parseUnsignedLong(line.substring(0, tab)),
                        Instant.ofEpochSecond(Long.parseLong(time[0]), time.length > 1 ? Long.parseLong(time[1]) : 0));
            } catch (RuntimeException malformed) {
                // Only the box writes this file; a torn line cannot occur (rename), so this is a hand edit or damage.
            }
        }
        return times;
    }

    /**
     * Brings the file up to date with the filesystem's current snapshots: {@code received} (the guid just
     * received, or null) gets {@code now}, or just after the latest time recorded so far if the clock says
     * otherwise: receives of one filesystem are strictly ordered in time, so junk received in the same
     * second as a real snapshot can never count as older than it; a snapshot the box has no time for (received before the box
     * recorded times) gets {@link BoxFloor#timeOf}'s stand-in, fixed from then on; guids no longer there
     * are dropped. Returns the times as written.
     */
    static Map<Long, Instant> update(
            Path stateDir, DatasetName fs, List<ZfsVersion> versions, Long received, Instant now) throws IOException {
        return updateAll(stateDir, fs, versions, received == null ? List.of() : List.of(received), now);
    }

    /**
     * {@link #update(Path, DatasetName, List, Long, Instant)} for the snapshots of one {@code zfs send -I}
     * stream, {@code received} in stream order: each a nanosecond after the one before, so they stay ordered.
     */
    static Map<Long, Instant> updateAll(
            Path stateDir, DatasetName fs, List<ZfsVersion> versions, List<Long> received, Instant now)
            throws IOException {
        return write(stateDir, fs, versions, received, List.of(), now);
    }

    /**
     * {@link #update} for a keep floor's check: a box that cannot read or write the times cannot tell what the
     * floor keeps, so the request is refused ({@code internal}) rather than answered as if nothing were kept.
     */
    static Map<Long, Instant> forFloor(Path stateDir, DatasetName fs, List<ZfsVersion> versions, Instant now)
            throws RemoteException {
        try {
            return update(stateDir, fs, versions, null, now);
        } catch (IOException e) {
            throw new RemoteException(
                    ErrorCodes.INTERNAL,
                    "cannot read the receive times of " + fs + " on the box (" + e.getMessage() + "); refused: the"
                            + " box's keep_floor cannot be checked without them",
                    "");
        }
    }

    /**
     * Written before zfs recv runs, for the snapshots it is about to create ({@code pending}, in stream order):
     * the times they get, by the box's clock, should the record after the receive fail. A box that cannot write
     * this must not receive: the floor would later time such a snapshot by the creation its stream claims.
     * Entries for snapshots that never arrive are dropped by the next update.
     */
    static void reserve(Path stateDir, DatasetName fs, List<ZfsVersion> versions, List<Long> pending, Instant now)
            throws IOException {
        write(stateDir, fs, versions, List.of(), pending, now);
    }

    private static Map<Long, Instant> write(
            Path stateDir,
            DatasetName fs,
            List<ZfsVersion> versions,
            List<Long> received,
            List<Long> pending,
            Instant now)
            throws IOException {
        Map<Long, Instant> old = read(stateDir, fs);
        Map<Long, Instant> times = new HashMap<>();
        Instant latest = old.values().stream().max(Instant::compareTo).orElse(Instant.EPOCH);
        Instant receivedAt = now.isAfter(latest) ? now : latest.plusNanos(1);
        StringBuilder sb = new StringBuilder();
        for (ZfsVersion v : versions) {
            if (v.type() != VersionType.SNAPSHOT || times.containsKey(v.guid())) {
                continue;
            }
            int index = received.indexOf(v.guid());
            Instant t = index >= 0 ? receivedAt.plusNanos(index) : BoxFloor.timeOf(v, old, now);
            times.put(v.guid(), t);
            sb.append(Long.toUnsignedString(v.guid()))
                    .append('\t')
                    .append(t.getEpochSecond())
                    .append(String.format(Locale.ROOT, ".%09d", t.getNano()))
                    .append('\n');
        }
        for (int i = 0; i < pending.size(); i++) {
            Long guid = pending.get(i);
            if (times.containsKey(guid)) {
                continue;
            }
            Instant t = receivedAt.plusNanos(i);
            times.put(guid, t);
            sb.append(Long.toUnsignedString(guid))
                    .append('\t')
                    .append(t.getEpochSecond())
                    .append(String.format(Locale.ROOT, ".%09d", t.getNano()))
                    .append('\n');
        }
        if (!times.equals(old)) {
            Path file = path(stateDir, fs);
            LockFile.createDirectories(file.getParent());
            StateFiles.replace(file, sb.toString().getBytes(StandardCharsets.US_ASCII), LockFile.BOX_FILE);
        }
        return times;
    }
}
