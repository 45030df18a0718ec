package dev.zreplj.cli;

import picocli.CommandLine.Command;

/**
 * The whole command tree: what {@code zreplj --help} lists, {@code zreplj help} walks, and the man pages
 * and bash completion are generated from. A run that names its command builds only that one from this
 * list ({@link Main#run}).
 */
@Command(
        subcommands = {
            AgentCommand.class,
            PruneCommand.class,
            ReleaseStaleCommand.class,
            BoxCommand.class,
            StdinserverCommand.class,
            StatusCommand.class,
            ConfigcheckCommand.class,
            TestCommand.class,
            AuthorizedKeysCommand.class,
            RestoreCommand.class,
            VersionCommand.class,
            HelpCommand.class,
        })
public final class AllCommands extends Main {
    /** The command class named {@code name}, except help, which needs the whole tree; null for none. */
    static Class<?> named(String name) {
        if (name == null) {
            return null;
        }
        for (Class<?> c : AllCommands.class.getAnnotation(Command.class).subcommands()) {
            Command command = c.getAnnotation(Command.class);
            if (command.name().equals(name) && !command.helpCommand()) {
                return c;
            }
        }
        return null;
    }
}
