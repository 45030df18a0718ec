package dev.zreplj.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.ParentCommand;

@Command(name = "box", description = "On the agent: ask the backup box about this client's backups.",
        subcommands = {BoxListCommand.class})
final class BoxCommand {
    @ParentCommand
    Main parent;
}
