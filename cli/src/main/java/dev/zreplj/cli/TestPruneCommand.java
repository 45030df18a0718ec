package dev.zreplj.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.ParentCommand;

/** SKELETON: filled in by the work that owns this command. */
@Command(name = "prune", description = "Offline keep-rule simulation.")
final class TestPruneCommand implements Callable<Integer> {
    @ParentCommand
    TestCommand parent;

    @Override
    public Integer call() throws Exception {
        throw CliException.failure("prune: not implemented yet");
    }
}
