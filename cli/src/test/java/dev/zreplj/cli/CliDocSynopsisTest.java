package dev.zreplj.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Model.OptionSpec;

/**
 * docs/cli.md's command table opens each row with the command's synopsis: every option it names must be one the
 * command takes, and every option the command takes (but the global ones and help) must be named there, so that
 * an admin reading the table in an emergency neither tries an option that is not there nor misses one that is;
 * and every command has its row.
 */
class CliDocSynopsisTest {
    private static final Set<String> GLOBAL =
            Set.of("-h", "--help", "-V", "--version", "-q", "--quiet", "-v", "--verbose", "--summary", "--config");
    private static final Pattern ROW = Pattern.compile("^\\| `([a-z][^`]*)` \\|", Pattern.MULTILINE);
    private static final Pattern OPTION = Pattern.compile("(?<![\\w-])(--?[a-zA-Z][\\w-]*)");

    @Test
    void everyRowsOptionsAreTheCommandsOptions() throws Exception {
        String doc = Files.readString(Path.of("..", "docs", "cli.md"));
        CommandLine root = new CommandLine(new AllCommands());
        Matcher row = ROW.matcher(doc);
        List<String> checked = new ArrayList<>();
        while (row.find()) {
            String synopsis = row.group(1).replace("\\|", "|");
            CommandLine command = root;
            List<String> path = new ArrayList<>();
            for (String word : synopsis.split(" ")) {
                CommandLine sub = command.getSubcommands().get(word);
                if (sub == null) {
                    break;
                }
                command = sub;
                path.add(word);
            }
            if (path.isEmpty()) {
                continue; // a table of another kind (states, fields)
            }
            Set<String> documented = new TreeSet<>();
            Matcher option = OPTION.matcher(synopsis);
            while (option.find()) {
                documented.add(option.group(1));
            }
            Set<String> taken = new TreeSet<>();
            for (OptionSpec o : command.getCommandSpec().options()) {
                for (String name : o.names()) {
                    if (!GLOBAL.contains(name)) {
                        taken.add(name);
                    }
                }
            }
            assertEquals(taken, documented, "docs/cli.md's row for '" + String.join(" ", path) + "': " + synopsis);
            checked.add(String.join(" ", path));
        }
        List<String> leaves = new ArrayList<>();
        leaves(root, "", leaves);
        leaves.remove("help");
        assertEquals(new TreeSet<>(leaves), new TreeSet<>(checked), "commands without a row in docs/cli.md's table");
        assertEquals(checked.size(), new TreeSet<>(checked).size(), "a command with two rows: " + checked);
    }

    private static void leaves(CommandLine command, String prefix, List<String> out) {
        if (command.getSubcommands().isEmpty()) {
            out.add(prefix.strip());
        }
        command.getSubcommands().forEach((name, sub) -> leaves(sub, prefix + " " + name, out));
    }
}
