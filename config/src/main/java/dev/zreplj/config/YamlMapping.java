package dev.zreplj.config;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.Tag;

/** One YAML mapping of the config, read key by key; {@code what} names it in messages. */
final class YamlMapping {
    private final YamlSource src;
    private final MappingNode node;
    private final String what;
    private final Map<String, NodeTuple> entries = new LinkedHashMap<>();

    YamlMapping(YamlSource src, MappingNode node, String what) throws ConfigException {
        this.src = src;
        this.node = node;
        this.what = what;
        for (NodeTuple t : node.getValue()) {
            Node key = t.getKeyNode();
            if (!(key instanceof ScalarNode k) || k.getTag().equals(Tag.NULL)) {
                throw src.error(key, "keys in " + what + " must be plain strings, not " + YamlSource.describe(key));
            }
            if (k.getValue().equals("<<") && k.getTag().equals(Tag.MERGE)) {
                throw src.error(key, "YAML merge keys (<<) are not supported; write the keys out");
            }
            NodeTuple first = entries.putIfAbsent(k.getValue(), t);
            if (first != null) {
                throw src.error(
                        key,
                        "duplicate key '" + k.getValue() + "' in " + what + " (first at line "
                                + YamlSource.line(first.getKeyNode()) + ")");
            }
        }
    }

    YamlSource source() {
        return src;
    }

    Node node() {
        return node;
    }

    String what() {
        return what;
    }

    /** Rejects any key not listed, suggesting the nearest allowed one when it is a likely typo. */
    YamlMapping allowOnly(String... allowed) throws ConfigException {
        List<String> keys = Arrays.asList(allowed);
        for (NodeTuple t : entries.values()) {
            String key = ((ScalarNode) t.getKeyNode()).getValue();
            if (!keys.contains(key)) {
                throw src.error(t.getKeyNode(), "unknown key '" + key + "'" + suggestion(key, keys));
            }
        }
        return this;
    }

    Map<String, NodeTuple> entries() {
        return entries;
    }

    /** False for a key left empty ({@code properties:}): zrepl reads a YAML null as "not given". */
    boolean has(String key) {
        return get(key).isPresent();
    }

    Optional<Node> get(String key) {
        NodeTuple t = entries.get(key);
        return t == null || isNull(t.getValueNode()) ? Optional.empty() : Optional.of(t.getValueNode());
    }

    /** The value, also when left empty: the caller's type check then says what it must be. */
    Node require(String key) throws ConfigException {
        NodeTuple t = entries.get(key);
        if (t == null) {
            throw src.error(node, "missing required key '" + key + "' in " + what);
        }
        return t.getValueNode();
    }

    static boolean isNull(Node n) {
        return n instanceof ScalarNode s && s.getTag().equals(Tag.NULL);
    }

    /** The key's own node (for errors about the key rather than its value). */
    Node keyNode(String key) {
        return Objects.requireNonNull(entries.get(key), key).getKeyNode();
    }

    String string(String key) throws ConfigException {
        return src.nonEmptyString(require(key), label(key));
    }

    Optional<String> optionalString(String key) throws ConfigException {
        Optional<Node> n = get(key);
        return n.isEmpty() ? Optional.empty() : Optional.of(src.nonEmptyString(n.get(), label(key)));
    }

    /**
     * Like {@link #optionalString}, but a key written with no value is refused: zrepl reads it as "", which means
     * {@code emptyMeans} there (and what to write instead), not the default it has here when left out.
     */
    Optional<String> optionalStringNotEmpty(String key, String emptyMeans) throws ConfigException {
        NodeTuple given = entries.get(key);
        if (given != null && isNull(given.getValueNode())) {
            throw src.error(
                    given.getKeyNode(),
                    label(key) + " is empty: zrepl reads that as " + emptyMeans + ", or remove the key");
        }
        return optionalString(key);
    }

    boolean bool(String key, boolean defaultValue) throws ConfigException {
        NodeTuple given = entries.get(key);
        if (defaultValue && given != null && isNull(given.getValueNode())) {
            // zrepl gives a key written with no value Go's zero value, false, not the default it has when left out.
            throw src.error(
                    given.getKeyNode(),
                    label(key) + " is empty: zrepl reads that as false, not as its default true; write true or"
                            + " false, or remove the key");
        }
        Optional<Node> n = get(key);
        return n.isEmpty() ? defaultValue : src.bool(n.get(), label(key));
    }

    YamlMapping mapping(String key) throws ConfigException {
        return src.mapping(require(key), label(key));
    }

    Optional<YamlMapping> optionalMapping(String key) throws ConfigException {
        Optional<Node> n = get(key);
        return n.isEmpty() ? Optional.empty() : Optional.of(src.mapping(n.get(), label(key)));
    }

    String label(String key) {
        return "'" + key + "'";
    }

    /** The relabelled view of the same mapping, once a better name for it is known. */
    YamlMapping as(String newWhat) throws ConfigException {
        return new YamlMapping(src, node, newWhat);
    }

    static String suggestion(String key, List<String> allowed) {
        return nearest(key, allowed)
                .map(n -> " (did you mean '" + n + "'?)")
                .orElse(" (allowed: " + String.join(", ", allowed) + ")");
    }

    /** The allowed word {@code key} is most likely a typo of, if any. */
    static Optional<String> nearest(String key, List<String> allowed) {
        String best = null;
        int bestDistance = Integer.MAX_VALUE;
        for (String candidate : allowed) {
            int d = distance(key, candidate);
            if (d < bestDistance) {
                best = candidate;
                bestDistance = d;
            }
        }
        int tolerated = Math.max(1, Math.min(3, key.length() / 3));
        return best != null && bestDistance <= tolerated ? Optional.of(best) : Optional.empty();
    }

    /** Optimal string alignment distance: edits, with a swap of neighbours counting as one. */
    static int distance(String a, String b) {
        int[][] d = new int[a.length() + 1][b.length() + 1];
        for (int i = 0; i <= a.length(); i++) {
            d[i][0] = i;
        }
        for (int j = 0; j <= b.length(); j++) {
            d[0][j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            for (int j = 1; j <= b.length(); j++) {
                int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                d[i][j] = Math.min(Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1), d[i - 1][j - 1] + cost);
                if (i > 1 && j > 1 && a.charAt(i - 1) == b.charAt(j - 2) && a.charAt(i - 2) == b.charAt(j - 1)) {
                    d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
                }
            }
        }
        return d[a.length()][b.length()];
    }
}
