package dev.zreplj.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.ParentCommand;

/** SKELETON: filled in by the work that owns this command. */
@Command(name = "filesystems", description = "Which filesystems a job's filter selects.")
final class TestFilesystemsCommand implements Callable<Integer> {
    @ParentCommand
    TestCommand parent;

    @Override
    public Integer call() throws Exception {
        throw CliException.failure("filesystems: not implemented yet");
    }
}
