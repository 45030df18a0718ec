package dev.zreplj.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.ParentCommand;

@Command(
        name = "agent",
        description = "The source-side agent.",
        subcommands = {AgentOnceCommand.class, AgentRunCommand.class})
final class AgentCommand {
    @ParentCommand
    Main parent;
}
