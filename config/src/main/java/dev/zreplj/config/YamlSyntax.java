package dev.zreplj.config;

/**
 * Says what SnakeYAML's parser problems mean for someone editing a config: its own words ("expected
 * &lt;block end&gt;, but found '&lt;block mapping start&gt;'") name parser states, not the mistake, which
 * is almost always indentation. Problems without a plainer reading keep SnakeYAML's text.
 */
final class YamlSyntax {
    private YamlSyntax() {}

    /** @param problem SnakeYAML's problem text; @param context its context text, or null */
    static String explain(String problem, String context) {
        String p = problem.replace('\n', ' ');
        if (p.startsWith("expected <block end>")) {
            return "this line is indented differently from the lines at its level: keys (and list items) of one"
                    + " mapping (list) start in the same column; indent with spaces";
        }
        if (p.equals("mapping values are not allowed here")) {
            return "a ':' where no key can start: this line is indented deeper than the key above it expects, or"
                    + " a value contains ': ' and needs quotes";
        }
        if (p.equals("could not find expected ':'")) {
            return "a key without ':' (or a line indented as if it continued the previous one): write 'key: value'";
        }
        if (p.startsWith("found character '\\t(TAB)'")) {
            return "a tab in the indentation: YAML indents with spaces only";
        }
        if (p.startsWith("found unexpected end of stream") && context != null && context.contains("quoted scalar")) {
            return "a quoted value is not closed: the file ends inside the quotes";
        }
        // The file ended where a flow collection's next item should be: after its '{' or '[', or after a ','.
        boolean endsInFlow = p.equals("expected the node content, but found '<stream end>'")
                && context != null
                && context.contains("flow node");
        if (endsInFlow || p.startsWith("expected ',' or '}'") || p.startsWith("expected ',' or ']'")) {
            return "a '{...}' or '[...]' is not closed, or its items are not separated by ','";
        }
        return p;
    }
}
