package dev.zreplj.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.ParentCommand;

@Command(name = "box", description = "On the backup box: set it up for its clients.",
        subcommands = {BoxSetupCommand.class})
final class BoxCommand {
    @ParentCommand
    Main parent;
}
