package dev.zreplj.stdinserver;

import dev.zreplj.files.StateFiles;
import dev.zreplj.json.RecordJson;
import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import org.slf4j.LoggerFactory;

/**
 * {@code <state_dir>/metrics/clients/<client>.json}: per filesystem of a client, how many receives the
 * box completed and how many stream bytes they took, for the box's Prometheus counters, which must only
 * grow across the many short stdinserver processes. Updated under {@code <client>.lock} beside it.
 */
public final class ReceiveTotals {

    /** One client's file: {@code filesystems} by the client's own dataset name. */
    public record ClientTotals(String client, Map<String, Totals> filesystems) {
        public ClientTotals {
            filesystems = new TreeMap<>(filesystems == null ? Map.of() : filesystems);
        }
    }

    public record Totals(long receives, long bytes) {}

    private ReceiveTotals() {}

    public static Path path(Path stateDir, String client) {
        return stateDir.resolve("metrics").resolve("clients").resolve(client + ".json");
    }

    /** The client's totals; none when the box has completed no receive of it yet. */
    public static ClientTotals read(Path stateDir, String client) throws IOException {
        try {
            byte[] bytes = StateFiles.read(path(stateDir, client));
            ClientTotals totals = RecordJson.read(bytes, 0, bytes.length, ClientTotals.class, true);
            // A JSON null parses: as a whole or as an entry it is damage, not a bug every later receive and every
            // client's metrics would trip over.
            if (totals == null
                    || totals.client() == null
                    || totals.filesystems().containsValue(null)) {
                throw new IOException(path(stateDir, client) + ": no client totals in it");
            }
            return totals;
        } catch (NoSuchFileException e) {
            return new ClientTotals(client, Map.of());
        }
    }

    static void add(Path stateDir, String client, String path, long bytes) throws IOException, InterruptedException {
        Path file = path(stateDir, client);
        LockFile.createDirectories(file.getParent());
        try (LockFile lock = ClientStatusFile.lockWithin(file.resolveSibling(client + ".lock"))) {
            ClientTotals before;
            try {
                before = read(stateDir, client);
            } catch (AccessDeniedException e) {
                throw e;
            } catch (IOException e) {
                // Replaced, not failing every receive from then on; the counters start again (a counter reset).
                LoggerFactory.getLogger(ReceiveTotals.class)
                        .warn("{}: damaged ({}); replaced, its counters start again from 0", file, e.getMessage());
                before = new ClientTotals(client, Map.of());
            }
            Map<String, Totals> filesystems = new TreeMap<>(before.filesystems());
            filesystems.merge(path, new Totals(1, bytes), (a, b) -> new Totals(a.receives() + 1, a.bytes() + bytes));
            StateFiles.replace(file, RecordJson.write(new ClientTotals(client, filesystems), true), LockFile.BOX_FILE);
        }
    }
}
