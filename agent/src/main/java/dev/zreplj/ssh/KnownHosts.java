package dev.zreplj.ssh;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.GeneralSecurityException;
import java.security.InvalidKeyException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.PublicKey;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.apache.sshd.common.config.keys.KeyUtils;
import org.apache.sshd.common.config.keys.PublicKeyEntry;
import org.apache.sshd.common.config.keys.PublicKeyEntryResolver;

/**
 * An OpenSSH known_hosts file, read by OpenSSH's rules (sshd(8), "SSH_KNOWN_HOSTS FILE FORMAT"): fields
 * separated by any run of blanks; the host looked up lowercased, as {@code [host]:port} when the port is not
 * 22, against every pattern of a line (so {@code *} covers every port); comma lists with {@code *}, {@code ?}
 * and {@code !} negation; hashed names ({@code |1|salt|hash}); {@code @revoked} markers. A line that names
 * the host with a key this client cannot read makes the host known (a new key is then refused, never
 * accepted as new); a {@code @cert-authority} line naming it does too, as host certificates are not checked.
 */
public final class KnownHosts {
    /** What the file says about a host's key. */
    public enum Status {
        MATCH,
        UNKNOWN,
        CHANGED,
        REVOKED,
        /** Only {@code @cert-authority} lines name the host: it expects a certificate this client cannot check. */
        CERTIFICATE
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

    private enum Marker {
        NONE,
        REVOKED,
        CERT_AUTHORITY
    }

    /** A line naming the host; {@code key} is null when this client cannot read it. */
    private record Entry(int line, Marker marker, PublicKey key, String type) {}

    private final Path file;

    public KnownHosts(Path file) {
        this.file = file;
    }

    public Path file() {
        return file;
    }

    /** The name OpenSSH looks up and writes: the host lowercased, {@code [host]:port} when the port is not 22. */
    public static String lookupName(String host, int port) {
        String h = host.toLowerCase(Locale.ROOT);
        return port == 22 ? h : "[" + h + "]:" + port;
    }

    /** The key types recorded for host:port, in file order, so the client can ask for one of them. */
    public List<String> knownTypes(String host, int port) throws IOException {
        Set<String> types = new LinkedHashSet<>();
        for (Entry e : entries(host, port)) {
            if (e.marker() == Marker.NONE && e.key() != null) types.add(e.type());
        }
        return List.copyOf(types);
    }

    /** Whether a {@code @cert-authority} line covers host:port: its host is then trusted through the CA alone. */
    public boolean certificateAuthorityFor(String host, int port) throws IOException {
        return entries(host, port).stream().anyMatch(e -> e.marker() == Marker.CERT_AUTHORITY);
    }

    public Verdict check(String host, int port, PublicKey presented) throws IOException {
        List<Entry> entries = entries(host, port);
        Set<String> types = new LinkedHashSet<>();
        for (Entry e : entries) {
            if (e.marker() == Marker.REVOKED && e.key() != null && KeyUtils.compareKeys(e.key(), presented)) {
                return new Verdict(Status.REVOKED, Set.of(), e.line());
            }
        }
        for (Entry e : entries) {
            if (e.marker() == Marker.NONE) {
                types.add(e.type());
                if (e.key() != null && KeyUtils.compareKeys(e.key(), presented)) {
                    return new Verdict(Status.MATCH, types, e.line());
                }
            }
        }
        // Any other key recorded for this host, of this type or another, readable or not: the client asked for
        // the recorded types first, so a server that now shows something else is a changed key, as for OpenSSH.
        for (Entry e : entries) {
            if (e.marker() == Marker.NONE) return new Verdict(Status.CHANGED, types, e.line());
        }
        for (Entry e : entries) {
            if (e.marker() == Marker.CERT_AUTHORITY) return new Verdict(Status.CERTIFICATE, Set.of(), e.line());
        }
        return new Verdict(Status.UNKNOWN, Set.of(), 0);
    }

    /** Appends "host key" under {@link #lookupName}, creating the file if needed. */
    public void add(String host, int port, PublicKey key) throws IOException {
        String line = lookupName(host, port) + " " + PublicKeyEntry.toString(key) + "\n";
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
        String text;
        try {
            // Only names and keys matter, and they are ASCII: a comment in another encoding must not stop the file.
            text = new String(Files.readAllBytes(file), StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            return List.of();
        }
        String name = lookupName(host, port);
        List<Entry> result = new ArrayList<>();
        String[] lines = text.split("\n", -1);
        for (int i = 0; i < lines.length; i++) {
            String line = lines[i].strip();
            if (line.isEmpty() || line.startsWith("#")) continue;
            String[] fields = line.split("[ \t]+");
            int at = 0;
            Marker marker = Marker.NONE;
            if (fields[0].startsWith("@")) {
                if (fields[0].equals("@revoked")) {
                    marker = Marker.REVOKED;
                } else if (fields[0].equals("@cert-authority")) {
                    marker = Marker.CERT_AUTHORITY;
                } else {
                    continue; // an unknown marker: OpenSSH skips the line
                }
                at = 1;
            }
            if (fields.length < at + 2 || !hostMatches(name, fields[at])) continue;
            String type = fields[at + 1];
            PublicKey key = null;
            if (fields.length >= at + 3) {
                try {
                    key = PublicKeyEntry.parsePublicKeyEntry(type + " " + fields[at + 2])
                            .resolvePublicKey(null, java.util.Map.of(), PublicKeyEntryResolver.IGNORING);
                } catch (GeneralSecurityException | IOException | RuntimeException unreadable) {
                    key = null;
                }
            }
            result.add(new Entry(i + 1, marker, key, key != null ? KeyUtils.getKeyType(key) : type));
        }
        return result;
    }

    /** OpenSSH's match_maybe_hashed: a hashed name, or a pattern list where one negated match excludes. */
    static boolean hostMatches(String name, String patterns) {
        if (patterns.startsWith("|")) {
            return hashMatches(name, patterns);
        }
        boolean matched = false;
        for (String pattern : patterns.toLowerCase(Locale.ROOT).split(",", -1)) {
            boolean negated = pattern.startsWith("!");
            if (glob(name, 0, negated ? pattern.substring(1) : pattern, 0)) {
                if (negated) return false;
                matched = true;
            }
        }
        return matched;
    }

    private static boolean hashMatches(String name, String hashed) {
        String[] parts = hashed.split("\\|", -1);
        if (parts.length != 4 || !parts[0].isEmpty() || !parts[1].equals("1")) return false;
        try {
            byte[] salt = Base64.getDecoder().decode(parts[2]);
            byte[] expected = Base64.getDecoder().decode(parts[3]);
            Mac mac = Mac.getInstance("HmacSHA1");
            mac.init(new SecretKeySpec(salt, "HmacSHA1"));
            return MessageDigest.isEqual(expected, mac.doFinal(name.getBytes(StandardCharsets.UTF_8)));
        } catch (IllegalArgumentException | NoSuchAlgorithmException | InvalidKeyException malformed) {
            return false;
        }
    }

    /** {@code *} any run of characters, {@code ?} any one, as OpenSSH's match_pattern. */
    private static boolean glob(String s, int si, String p, int pi) {
        while (pi < p.length()) {
            char c = p.charAt(pi);
            if (c == '*') {
                for (int k = s.length(); k >= si; k--) {
                    if (glob(s, k, p, pi + 1)) return true;
                }
                return false;
            }
            if (si >= s.length() || (c != '?' && c != s.charAt(si))) return false;
            si++;
            pi++;
        }
        return si == s.length();
    }
}
