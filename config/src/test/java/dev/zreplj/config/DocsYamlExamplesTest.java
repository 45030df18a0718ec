package dev.zreplj.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import dev.zreplj.pruning.KeepRule;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every {@code yaml} example of docs/pruning.md loads as the page says it is written: a keep-rule list as
 * {@code test prune --rules} reads it, a {@code pruning:} or {@code snapshotting:} section inside a push job.
 * An admin copies these; one the loader refuses would be a broken promise on the page that decides what gets
 * destroyed.
 */
class DocsYamlExamplesTest {
    private static final Path PAGE = Path.of("..", "docs", "pruning.md");
    private static final Pattern BLOCK = Pattern.compile("```yaml\n(.*?)```", Pattern.DOTALL);

    @TempDir
    Path dir;

    private static final String PUSH = """
            jobs:
              - name: j
                type: push
                connect: {type: ssh+stdinserver, host: box, user: u, identity_file: /etc/zreplj/ssh/identity}
                filesystems: {"tank<": true}
            %s
            """;

    static Stream<String> examples() throws Exception {
        List<String> blocks = new ArrayList<>();
        Matcher m = BLOCK.matcher(Files.readString(PAGE));
        while (m.find()) {
            blocks.add(m.group(1));
        }
        assertFalse(blocks.isEmpty(), "no yaml examples found in " + PAGE);
        return blocks.stream();
    }

    @ParameterizedTest
    @MethodSource("examples")
    void loads(String example) throws Exception {
        if (example.startsWith("- type:")) {
            List<KeepRule> rules = new ConfigLoader().loadKeepRules("example.yml", example);
            assertEquals(example.lines().filter(l -> l.startsWith("- type:")).count(), rules.size(), example);
            return;
        }
        String indented = example.lines().map(l -> "    " + l).reduce("", (a, b) -> a + b + "\n");
        String job = example.startsWith("pruning:")
                ? indented + "    snapshotting: {type: periodic, prefix: zrepl_, interval: 10m}\n"
                : indented + "    pruning: {keep_sender: [{type: not_replicated}], keep_receiver: []}\n";
        Path file = dir.resolve("zreplj.yml");
        Files.writeString(file, PUSH.formatted(job));
        new ConfigLoader().load(file);
    }
}
