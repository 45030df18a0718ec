package dev.zreplj.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.ParentCommand;

/** SKELETON: filled in by the work that owns this command. */
@Command(name = "run", description = "Long-running: snapshots, replication and pruning on schedule.")
final class AgentRunCommand implements Callable<Integer> {
    @ParentCommand
    AgentCommand parent;

    @Override
    public Integer call() throws Exception {
        throw CliException.failure("run: not implemented yet");
    }
}
