package dev.zreplj.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.ParentCommand;

@Command(
        name = "box",
        description = "The backup box: list what it holds for this client (on the agent), set it up"
                + " for its clients, forget a filesystem a client no longer pushes and revoke a stolen client key"
                + " (on the box).",
        subcommands = {BoxListCommand.class, BoxSetupCommand.class, BoxForgetCommand.class, BoxRevokeCommand.class})
final class BoxCommand {
    @ParentCommand
    Main parent;
}
