package dev.zreplj.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.ParentCommand;

/** SKELETON: filled in by the work that owns this command. */
@Command(name = "once", description = "One pass: snapshot if due, replicate, prune.")
final class AgentOnceCommand implements Callable<Integer> {
    @ParentCommand
    AgentCommand parent;

    @Override
    public Integer call() throws Exception {
        throw CliException.failure("once: not implemented yet");
    }
}
