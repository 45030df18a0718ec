package dev.zreplj.stdinserver;

import dev.zreplj.files.StateFiles;
import dev.zreplj.json.RecordJson;
import dev.zreplj.protocol.Printable;
import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.Map;
import java.util.TreeMap;
import org.slf4j.LoggerFactory;

/**
 * {@code <state_dir>/clients/<client>.json}: per filesystem of a client, the last snapshot the box
 * received, for {@code zreplj status} on the box. Replaced atomically (temp file, then rename), so a
 * reader never sees half a file; concurrent stdinserver processes of one client update it one at a time
 * under {@code <client>.lock}.
 */
public final class ClientStatusFile {
    private static final Duration LOCK_WAIT = Duration.ofSeconds(10);
    /**
     * Failures kept per client: a client at its quota can make up any number of names that fail, and each would
     * grow the file every status and receive reads; past this the oldest goes.
     */
    static final int MAX_FAILED = 1000;

    /**
     * One client's file: {@code filesystems} by the client's own dataset name (the jail-relative path);
     * {@code failed}, by the same name, a receive that failed for a cause the box's admin must remedy (no space)
     * since that filesystem's last receive (absent from files written before it existed).
     */
    public record ClientStatus(String client, Map<String, Received> filesystems, Map<String, Failed> failed) {
        public ClientStatus {
            filesystems = new TreeMap<>(filesystems == null ? Map.of() : filesystems);
            failed = new TreeMap<>(failed == null ? Map.of() : failed);
        }

        public ClientStatus(String client, Map<String, Received> filesystems) {
            this(client, filesystems, Map.of());
        }
    }

    /**
     * @param guid     unsigned decimal, as {@code zfs get guid} prints it
     * @param received when the receive finished, ISO-8601 UTC
     */
    public record Received(String snapshot, String guid, String received) {}

    /**
     * @param reason what failed, in zfs's words
     * @param at     when, ISO-8601 UTC
     */
    public record Failed(String reason, String at) {}

    private ClientStatusFile() {}

    public static Path path(Path stateDir, String client) {
        return stateDir.resolve("clients").resolve(client + ".json");
    }

    /** The client's file, or null when the box has received nothing from it yet. */
    public static ClientStatus read(Path stateDir, String client) throws IOException {
        byte[] bytes;
        try {
            bytes = StateFiles.read(path(stateDir, client));
        } catch (NoSuchFileException e) {
            return null;
        } catch (AccessDeniedException e) {
            // A monitoring user that cannot read the state directory must not be told the client never connected.
            throw new AccessDeniedException(
                    e.getFile(),
                    null,
                    "permission denied; run 'zreplj status' as the user the"
                            + " forced command runs as, e.g. through sudo from the monitoring system");
        }
        // As a state file: one an older box wrote lacks the fields added since (failed).
        ClientStatus status = RecordJson.readState(bytes, ClientStatus.class, RecordJson.Names.DECLARED);
        // Parsed is not yet whole: a null where the box always writes a value would pass for "nothing received"
        // or fail later as a bug; status must say UNKNOWN instead, and the next receive replaces the file.
        if (status == null || status.client() == null) {
            throw new IOException("no client status in it");
        }
        for (Map.Entry<String, Received> e : status.filesystems().entrySet()) {
            Received r = e.getValue();
            if (r == null || r.snapshot() == null || r.guid() == null || r.received() == null) {
                throw new IOException("the entry of '" + e.getKey() + "' lacks its snapshot, guid or time");
            }
        }
        for (Map.Entry<String, Failed> e : status.failed().entrySet()) {
            Failed f = e.getValue();
            if (f == null || f.reason() == null || f.at() == null) {
                throw new IOException("the failure of '" + e.getKey() + "' lacks its reason or time");
            }
        }
        return status;
    }

    /** Records that {@code path} of {@code client} last received {@code snapshot} at {@code when}. */
    static void record(Path stateDir, String client, String path, String snapshot, long guid, Instant when)
            throws IOException, InterruptedException {
        Path file = path(stateDir, client);
        try (LockFile lock = lockWithin(file.resolveSibling(client + ".lock"))) {
            ClientStatus old = readOrReplace(stateDir, client);
            Map<String, Received> filesystems = new TreeMap<>(old == null ? Map.of() : old.filesystems());
            filesystems.put(path, new Received(snapshot, Long.toUnsignedString(guid), when.toString()));
            Map<String, Failed> failed = new TreeMap<>(old == null ? Map.of() : old.failed());
            failed.remove(path);
            write(file, new ClientStatus(client, filesystems, failed));
        }
    }

    /**
     * Records that a receive of {@code path} failed for lack of space at {@code when}: the box's own status of
     * the client would otherwise say OK until the last receive ages past its limits, while only the box's admin
     * can raise the quota or free the pool. The next receive of {@code path} clears it.
     */
    static void recordNoSpace(Path stateDir, String client, String path, String reason, Instant when)
            throws IOException, InterruptedException {
        Path file = path(stateDir, client);
        try (LockFile lock = lockWithin(file.resolveSibling(client + ".lock"))) {
            ClientStatus old = readOrReplace(stateDir, client);
            Map<String, Failed> failed = new TreeMap<>(old == null ? Map.of() : old.failed());
            failed.put(path, new Failed(Printable.of(reason), when.toString()));
            while (failed.size() > MAX_FAILED) {
                failed.values().stream()
                        .min(Comparator.comparing(Failed::at))
                        .ifPresent(oldest -> failed.values().remove(oldest));
            }
            write(file, new ClientStatus(client, old == null ? Map.of() : old.filesystems(), failed));
        }
    }

    /**
     * Removes {@code path}'s entry, under the lock receives take: a filesystem the client no longer pushes
     * would otherwise age into CRITICAL in {@code zreplj status} for good ({@code box forget}).
     *
     * @return whether it had one
     */
    public static boolean forget(Path stateDir, String client, String path) throws IOException, InterruptedException {
        Path file = path(stateDir, client);
        if (!Files.exists(file, LinkOption.NOFOLLOW_LINKS)) {
            // Nothing recorded, so nothing to forget: no lock file left behind for a name the box never served.
            return false;
        }
        try (LockFile lock = lockWithin(file.resolveSibling(client + ".lock"))) {
            ClientStatus old;
            try {
                old = read(stateDir, client);
            } catch (AccessDeniedException e) {
                throw e;
            } catch (IOException e) {
                // The parser's words alone ("no JSON value") name neither the file nor a way out.
                throw new IOException(
                        file + ": unreadable status file ("
                                + String.valueOf(e.getMessage())
                                        .lines()
                                        .findFirst()
                                        .orElse("")
                                + "); the client's next receive replaces it, with only the entry of the filesystem"
                                + " it receives",
                        e);
            }
            if (old == null
                    || (!old.filesystems().containsKey(path) && !old.failed().containsKey(path))) {
                return false;
            }
            Map<String, Received> filesystems = new TreeMap<>(old.filesystems());
            filesystems.remove(path);
            Map<String, Failed> failed = new TreeMap<>(old.failed());
            failed.remove(path);
            write(file, new ClientStatus(client, filesystems, failed));
            return true;
        }
    }

    private static void write(Path file, ClientStatus status) throws IOException {
        StateFiles.replace(file, RecordJson.write(status, true), LockFile.BOX_FILE);
    }

    /**
     * The file to update, or null (start again) when it is damaged: replaced rather than failing every receive
     * from then on, which would freeze the client's status and metrics at their last good state.
     */
    static ClientStatus readOrReplace(Path stateDir, String client) throws IOException {
        try {
            return read(stateDir, client);
        } catch (AccessDeniedException e) {
            throw e;
        } catch (IOException e) {
            LoggerFactory.getLogger(ClientStatusFile.class)
                    .warn(
                            "{}: damaged ({}); replaced, the other filesystems' entries are lost",
                            path(stateDir, client),
                            e.getMessage());
            return null;
        }
    }

    static LockFile lockWithin(Path lockFile) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + LOCK_WAIT.toNanos();
        while (true) {
            LockFile lock = LockFile.tryLock(lockFile);
            if (lock != null) {
                return lock;
            }
            if (System.nanoTime() - deadline >= 0) {
                throw new IOException("another stdinserver of this client has held " + lockFile + " for over "
                        + LOCK_WAIT.toSeconds() + " seconds");
            }
            Thread.sleep(20);
        }
    }
}
