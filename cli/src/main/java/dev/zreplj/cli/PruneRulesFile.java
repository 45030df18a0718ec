package dev.zreplj.cli;

import dev.zreplj.pruning.GoRegex;
import dev.zreplj.pruning.GridSpec;
import dev.zreplj.pruning.KeepRule;
import java.io.StringReader;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.error.Mark;
import org.yaml.snakeyaml.error.MarkedYAMLException;
import org.yaml.snakeyaml.error.YAMLException;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;
import org.yaml.snakeyaml.nodes.Tag;

/**
 * The {@code test prune --rules} file: a YAML list of keep rules in {@code keep_sender}/{@code keep_receiver}
 * syntax. Stands in until the config module exposes its keep-rule-list parser; errors are
 * {@code FILE:LINE:COLUMN: message} like configcheck's.
 */
final class PruneRulesFile {
    private static final Map<String, Set<String>> KEYS = Map.of(
            "last_n", Set.of("type", "count", "regex"),
            "regex", Set.of("type", "regex", "negate"),
            "grid", Set.of("type", "grid", "regex"),
            "not_replicated", Set.of("type", "keep_snapshot_at_cursor"));
    private static final Map<String, String> KEY_LISTS = Map.of(
            "last_n", "type, count, regex",
            "regex", "type, regex, negate",
            "grid", "type, grid, regex",
            "not_replicated", "type, keep_snapshot_at_cursor");
    private static final Set<String> TRUE = Set.of("true", "yes", "on");
    private static final Set<String> FALSE = Set.of("false", "no", "off");

    private final String file;

    private PruneRulesFile(String file) {
        this.file = file;
    }

    /** @param file the name errors show */
    static List<KeepRule> parse(String file, String text) throws CliException {
        return new PruneRulesFile(file).parse(text);
    }

    private List<KeepRule> parse(String text) throws CliException {
        Node root;
        try {
            root = new Yaml(new LoaderOptions()).compose(new StringReader(text));
        } catch (MarkedYAMLException e) {
            Mark mark = e.getProblemMark() != null ? e.getProblemMark() : e.getContextMark();
            throw error(mark, e.getProblem() != null ? e.getProblem() : e.getContext());
        } catch (YAMLException e) {
            throw CliException.usage(file + ":1:1: " + e.getMessage());
        }
        if (root == null) {
            throw CliException.usage(file + ":1:1: the rules file is empty; expected a YAML list of keep rules");
        }
        if (!(root instanceof SequenceNode list)) {
            throw error(
                    root,
                    "expected a YAML list of keep rules (keep_sender/keep_receiver syntax), e.g. '- type: last_n'");
        }
        List<KeepRule> rules = new ArrayList<>();
        for (Node item : list.getValue()) {
            rules.add(rule(item));
        }
        return List.copyOf(rules);
    }

    private KeepRule rule(Node item) throws CliException {
        if (!(item instanceof MappingNode mapping)) {
            throw error(item, "a keep rule must be a mapping with a 'type', e.g. '- type: last_n'");
        }
        Map<String, NodeTuple> fields = fields(mapping);
        NodeTuple typeField = fields.get("type");
        if (typeField == null) {
            throw error(item, "keep rule has no 'type'; expected grid, last_n, regex or not_replicated");
        }
        String type = scalar(typeField);
        Set<String> known = KEYS.get(type);
        if (known == null) {
            throw error(
                    typeField.getValueNode(),
                    "unknown keep rule type '" + type + "'; expected grid, last_n, regex or not_replicated");
        }
        for (NodeTuple field : fields.values()) {
            String key = ((ScalarNode) field.getKeyNode()).getValue();
            if (!known.contains(key)) {
                throw error(
                        field.getKeyNode(),
                        "unknown key '" + key + "' in " + type + " rule; known keys: " + KEY_LISTS.get(type));
            }
        }
        return switch (type) {
            case "last_n" ->
                new KeepRule.LastN(
                        count(required(item, fields, "count", type)),
                        fields.containsKey("regex") ? regex(fields.get("regex")) : null);
            case "regex" ->
                new KeepRule.Regex(
                        regex(required(item, fields, "regex", type)),
                        fields.containsKey("negate") && bool(fields.get("negate")));
            case "grid" ->
                new KeepRule.Grid(
                        gridRegex(required(item, fields, "regex", type)), grid(required(item, fields, "grid", type)));
            default ->
                new KeepRule.NotReplicated(
                        !fields.containsKey("keep_snapshot_at_cursor") || bool(fields.get("keep_snapshot_at_cursor")));
        };
    }

    /** Keys in file order; YAML null values count as absent, as in zrepl's optional fields. */
    private Map<String, NodeTuple> fields(MappingNode mapping) throws CliException {
        Map<String, NodeTuple> fields = new LinkedHashMap<>();
        for (NodeTuple tuple : mapping.getValue()) {
            if (!(tuple.getKeyNode() instanceof ScalarNode key)) {
                throw error(tuple.getKeyNode(), "keys of a keep rule must be plain words like 'type'");
            }
            if (fields.containsKey(key.getValue())) {
                throw error(key, "duplicate key '" + key.getValue() + "'");
            }
            if (!Tag.NULL.equals(tuple.getValueNode().getTag())) {
                fields.put(key.getValue(), tuple);
            }
        }
        return fields;
    }

    private NodeTuple required(Node rule, Map<String, NodeTuple> fields, String key, String type) throws CliException {
        NodeTuple field = fields.get(key);
        if (field == null) {
            throw error(rule, type + " rule needs '" + key + "'");
        }
        return field;
    }

    private String scalar(NodeTuple field) throws CliException {
        if (!(field.getValueNode() instanceof ScalarNode value)) {
            throw error(field.getValueNode(), "'" + key(field) + "' must be a single value, not a list or mapping");
        }
        return value.getValue();
    }

    private int count(NodeTuple field) throws CliException {
        String text = scalar(field);
        int count;
        try {
            count = Integer.parseInt(text);
        } catch (NumberFormatException e) {
            throw error(field.getValueNode(), "count must be a whole number, got '" + text + "'");
        }
        if (count < 1) {
            throw error(field.getValueNode(), "count must be positive, got " + count);
        }
        return count;
    }

    private boolean bool(NodeTuple field) throws CliException {
        String text = scalar(field);
        String lower = text.toLowerCase(Locale.ROOT);
        if (Tag.BOOL.equals(field.getValueNode().getTag()) && TRUE.contains(lower)) return true;
        if (Tag.BOOL.equals(field.getValueNode().getTag()) && FALSE.contains(lower)) return false;
        throw error(field.getValueNode(), "'" + key(field) + "' must be true or false, got '" + text + "'");
    }

    private Pattern regex(NodeTuple field) throws CliException {
        String text = scalar(field);
        try {
            return GoRegex.compile(text);
        } catch (PatternSyntaxException e) {
            throw error(field.getValueNode(), "invalid regex '" + text + "': " + e.getDescription());
        }
    }

    private Pattern gridRegex(NodeTuple field) throws CliException {
        if (scalar(field).isEmpty()) {
            // zrepl refuses it too: a grid over all snapshots must say so
            throw error(field.getValueNode(), "grid regex must not be empty; use '.*' for all snapshots");
        }
        return regex(field);
    }

    private List<KeepRule.GridInterval> grid(NodeTuple field) throws CliException {
        try {
            return GridSpec.parse(scalar(field));
        } catch (IllegalArgumentException e) {
            throw error(field.getValueNode(), e.getMessage());
        }
    }

    private static String key(NodeTuple field) {
        return ((ScalarNode) field.getKeyNode()).getValue();
    }

    private CliException error(Node node, String message) {
        return error(node.getStartMark(), message);
    }

    private CliException error(Mark mark, String message) {
        int line = mark == null ? 1 : mark.getLine() + 1;
        int column = mark == null ? 1 : mark.getColumn() + 1;
        return CliException.usage(file + ":" + line + ":" + column + ": " + message);
    }
}
