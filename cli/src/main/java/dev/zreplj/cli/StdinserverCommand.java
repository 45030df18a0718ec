package dev.zreplj.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.ParentCommand;

/** SKELETON: filled in by the work that owns this command. */
@Command(name = "stdinserver", description = "Forced command on the backup box: serves one client over stdin/stdout.")
final class StdinserverCommand implements Callable<Integer> {
    @ParentCommand
    Main parent;

    @Override
    public Integer call() throws Exception {
        throw CliException.failure("stdinserver: not implemented yet");
    }
}
