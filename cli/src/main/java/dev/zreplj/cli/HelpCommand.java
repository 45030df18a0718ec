package dev.zreplj.cli;

import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code zreplj help [COMMAND...]}: the usage of any command, also of subcommands ({@code help agent once}),
 * which picocli's own help command cannot reach because it takes one name only.
 */
@Command(
        name = "help",
        helpCommand = true,
        description = "Print the usage of zreplj or of a command, e.g. 'zreplj help agent once'.")
final class HelpCommand implements Callable<Integer> {
    @Spec
    CommandLine.Model.CommandSpec spec;

    @Parameters(paramLabel = "COMMAND", arity = "0..*", description = "the command, with its subcommands")
    List<String> path = List.of();

    @Override
    public Integer call() {
        CommandLine target = spec.root().commandLine();
        for (String name : path) {
            CommandLine sub = target.getSubcommands().get(name);
            if (sub == null) {
                System.err.println("zreplj: unknown command '" + String.join(" ", path) + "' (see 'zreplj --help')");
                return ExitCodes.USAGE;
            }
            target = sub;
        }
        target.usage(System.out);
        return ExitCodes.OK;
    }
}
