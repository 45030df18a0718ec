package dev.zreplj.ssh;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.GeneralSecurityException;
import java.security.PublicKey;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.apache.sshd.client.config.hosts.KnownHostEntry;
import org.apache.sshd.client.config.hosts.KnownHostHashValue;
import org.apache.sshd.common.config.keys.KeyUtils;
import org.apache.sshd.common.config.keys.PublicKeyEntry;
import org.apache.sshd.common.config.keys.PublicKeyEntryResolver;

/**
 * An OpenSSH known_hosts file: plain, wildcard, hashed ({@code |1|salt|hash}) and {@code [host]:port}
 * entries, and {@code @revoked} markers. {@code @cert-authority} lines are not supported and are skipped.
 */
public final class KnownHosts {
    /** What the file says about a host's key. */
    public enum Status {
        MATCH,
        UNKNOWN,
        CHANGED,
        REVOKED
    }

    /**
     * @param knownTypes key types recorded for the host (empty when it is unknown)
     * @param line       the line that decided (0 when none did)
     */
    public record Verdict(Status status, Set<String> knownTypes, int line) {
        public Verdict {
            knownTypes = Set.copyOf(knownTypes);
        }
    }

    private record Entry(int line, boolean revoked, PublicKey key, String type) {}

    private final Path file;

    public KnownHosts(Path file) {
        this.file = file;
    }

    public Path file() {
        return file;
    }

    /** The key types recorded for host:port, in file order, so the client can ask for one of them. */
    public List<String> knownTypes(String host, int port) throws IOException {
        Set<String> types = new LinkedHashSet<>();
        for (Entry e : entries(host, port)) {
            if (!e.revoked()) types.add(e.type());
        }
        return List.copyOf(types);
    }

    public Verdict check(String host, int port, PublicKey presented) throws IOException {
        List<Entry> entries = entries(host, port);
        Set<String> types = new LinkedHashSet<>();
        for (Entry e : entries) {
            if (e.revoked() && KeyUtils.compareKeys(e.key(), presented)) {
                return new Verdict(Status.REVOKED, Set.of(), e.line());
            }
        }
        for (Entry e : entries) {
            if (!e.revoked()) {
                types.add(e.type());
                if (KeyUtils.compareKeys(e.key(), presented)) return new Verdict(Status.MATCH, types, e.line());
            }
        }
        // Any other key recorded for this host, of this type or another: the client asked for the recorded
        // types first, so a server that now shows something else is treated as a changed key, as OpenSSH does.
        for (Entry e : entries) {
            if (!e.revoked()) return new Verdict(Status.CHANGED, types, e.line());
        }
        return new Verdict(Status.UNKNOWN, Set.of(), 0);
    }

    /** Appends "host key" ({@code [host]:port} when the port is not 22), creating the file if needed. */
    public void add(String host, int port, PublicKey key) throws IOException {
        String line = KnownHostHashValue.createHostPattern(host, port) + " " + PublicKeyEntry.toString(key) + "\n";
        Path parent = file.toAbsolutePath().getParent();
        if (parent != null) Files.createDirectories(parent);
        boolean needsNewline = Files.exists(file) && Files.size(file) > 0 && !endsWithNewline();
        Files.writeString(
                file,
                (needsNewline ? "\n" : "") + line,
                StandardCharsets.UTF_8,
                StandardOpenOption.CREATE,
                StandardOpenOption.APPEND,
                StandardOpenOption.WRITE);
    }

    private boolean endsWithNewline() throws IOException {
        byte[] all = Files.readAllBytes(file);
        return all[all.length - 1] == '\n';
    }

    private List<Entry> entries(String host, int port) throws IOException {
        List<String> lines;
        try {
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            return List.of();
        }
        List<Entry> result = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            String text = lines.get(i).strip();
            if (text.isEmpty() || text.startsWith("#")) continue;
            KnownHostEntry entry;
            try {
                entry = KnownHostEntry.parseKnownHostEntry(text);
            } catch (RuntimeException malformed) {
                continue; // OpenSSH skips lines it cannot read, too
            }
            if (entry == null || entry.getKeyEntry() == null) continue;
            String marker = entry.getMarker();
            boolean revoked = "revoked".equals(marker);
            if (marker != null && !revoked) continue;
            if (!entry.isHostMatch(host, port)) continue;
            PublicKey key;
            try {
                key = entry.getKeyEntry().resolvePublicKey(null, PublicKeyEntryResolver.IGNORING);
            } catch (GeneralSecurityException | RuntimeException unreadable) {
                continue;
            }
            if (key != null) result.add(new Entry(i + 1, revoked, key, KeyUtils.getKeyType(key)));
        }
        return result;
    }
}
