package dev.zreplj.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.ParentCommand;

/** SKELETON: filled in by the work that owns this command. */
@Command(name = "authorized-keys", description = "Print the authorized_keys line for a client.")
final class AuthorizedKeysCommand implements Callable<Integer> {
    @ParentCommand
    Main parent;

    @Override
    public Integer call() throws Exception {
        throw CliException.failure("authorized-keys: not implemented yet");
    }
}
