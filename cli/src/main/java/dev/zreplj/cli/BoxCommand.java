package dev.zreplj.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.ParentCommand;

@Command(
        name = "box",
        description = "The backup box: list what it holds for this client (on the agent), set it up"
                + " for its clients and forget a filesystem a client no longer pushes (on the box).",
        subcommands = {BoxListCommand.class, BoxSetupCommand.class, BoxForgetCommand.class})
final class BoxCommand {
    @ParentCommand
    Main parent;
}
