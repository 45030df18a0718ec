package dev.zreplj.config;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.yaml.snakeyaml.DumperOptions.ScalarStyle;
import org.yaml.snakeyaml.error.Mark;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;
import org.yaml.snakeyaml.nodes.Tag;

/** The config file being read: turns nodes into values, and problems into FILE:LINE:COLUMN errors. */
final class YamlSource {
    private static final Pattern DECIMAL = Pattern.compile("[-+]?[0-9][0-9_]*");

    private final String file;
    private final List<String> warnings;

    YamlSource(String file) {
        this(file, new ArrayList<>());
    }

    /** A source sharing {@code warnings} with the others of one load (the main file and its includes). */
    YamlSource(String file, List<String> warnings) {
        this.file = file;
        this.warnings = warnings;
    }

    /** Records that {@code node}'s key is read but has no effect in zreplj; {@code message} says what to do. */
    void warn(Node node, String message) {
        warnings.add(position(node.getStartMark()) + ": " + message);
    }

    /** {@code FILE:LINE:COLUMN} of where {@code node} starts, as errors and warnings begin. */
    String position(Node node) {
        return position(node.getStartMark());
    }

    private String position(Mark mark) {
        return file + ":" + (mark.getLine() + 1) + ":" + (mark.getColumn() + 1);
    }

    List<String> warnings() {
        return warnings;
    }

    String file() {
        return file;
    }

    ConfigException error(Node node, String message) {
        return error(node.getStartMark(), message);
    }

    ConfigException error(Mark mark, String message) {
        return new ConfigException(position(mark) + ": " + message);
    }

    static int line(Node node) {
        return node.getStartMark().getLine() + 1;
    }

    YamlMapping mapping(Node node, String what) throws ConfigException {
        if (!(node instanceof MappingNode m)) {
            throw error(node, what + " must be a mapping (key: value), not " + describe(node));
        }
        return new YamlMapping(this, m, what);
    }

    List<Node> sequence(Node node, String what) throws ConfigException {
        if (!(node instanceof SequenceNode s)) {
            throw error(node, what + " must be a list, not " + describe(node));
        }
        return s.getValue();
    }

    /** Any non-null scalar as text (YAML would read {@code port: 22} or {@code prefix: 2024_} as numbers). */
    String string(Node node, String what) throws ConfigException {
        if (!(node instanceof ScalarNode s) || s.getTag().equals(Tag.NULL)) {
            throw error(node, what + " must be a string, not " + describe(node));
        }
        return s.getValue();
    }

    String nonEmptyString(Node node, String what) throws ConfigException {
        String value = string(node, what);
        if (value.isBlank()) {
            throw error(node, what + " must not be empty");
        }
        return value;
    }

    List<String> strings(Node node, String what) throws ConfigException {
        List<String> out = new ArrayList<>();
        for (Node item : sequence(node, what)) {
            out.add(nonEmptyString(item, "each entry of " + what));
        }
        return out;
    }

    boolean bool(Node node, String what) throws ConfigException {
        // zrepl's go-yaml v2 reads YAML 1.1's booleans, also a plain y, Y, n or N, which SnakeYAML reads as a
        // string; an explicit !!bool takes the same words and no others (`!!bool 1` read as false before).
        if (node instanceof ScalarNode s
                && (s.getTag().equals(Tag.BOOL)
                        || (s.getTag().equals(Tag.STR) && s.getScalarStyle() == ScalarStyle.PLAIN))) {
            Boolean value = YAML_11_BOOLEANS.get(s.getValue());
            if (value != null) {
                return value;
            }
        }
        throw error(node, what + " must be true or false, not " + describe(node));
    }

    /** YAML 1.1's boolean words, as go-yaml v2 (zrepl's) resolves them; case as listed, no other. */
    private static final Map<String, Boolean> YAML_11_BOOLEANS = booleans();

    private static Map<String, Boolean> booleans() {
        Map<String, Boolean> m = new HashMap<>();
        for (String w : List.of("y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON")) {
            m.put(w, true);
        }
        for (String w : List.of("n", "N", "no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF")) {
            m.put(w, false);
        }
        return Map.copyOf(m);
    }

    long integer(Node node, String what) throws ConfigException {
        if (node instanceof ScalarNode s
                && s.getTag().equals(Tag.INT)
                && DECIMAL.matcher(s.getValue()).matches()) {
            String digits = s.getValue().replace("_", "").replaceFirst("^[-+]", "");
            if (digits.length() > 1 && digits.startsWith("0")) {
                // zrepl's YAML reads a leading zero as octal (010 is 8): taking it as decimal would mean another
                // number.
                throw error(
                        node,
                        what + " " + s.getValue() + " starts with 0, which zrepl reads as an octal number;"
                                + " write it without the leading zero");
            }
            try {
                return Long.parseLong(s.getValue().replace("_", ""));
            } catch (NumberFormatException e) {
                throw error(node, what + " " + s.getValue() + " is too large");
            }
        }
        throw error(node, what + " must be a whole number, not " + describe(node));
    }

    static String describe(Node node) {
        if (node instanceof MappingNode) {
            return "a mapping";
        }
        if (node instanceof SequenceNode) {
            return "a list";
        }
        ScalarNode s = (ScalarNode) node;
        if (s.getTag().equals(Tag.NULL)) {
            return "empty";
        }
        return "'" + s.getValue() + "'";
    }
}
