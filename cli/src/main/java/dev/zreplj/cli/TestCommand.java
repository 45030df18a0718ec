package dev.zreplj.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.ParentCommand;

@Command(
        name = "test",
        description = "Check filters and keep rules without changing anything.",
        subcommands = {TestFilesystemsCommand.class, TestPruneCommand.class})
final class TestCommand {
    @ParentCommand
    Main parent;
}
