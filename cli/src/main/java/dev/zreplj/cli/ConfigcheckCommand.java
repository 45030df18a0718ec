package dev.zreplj.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.ParentCommand;

/** Silent on success (like zrepl), so scripts and package hooks can run it; errors come from the loader. */
@Command(name = "configcheck", description = "Validate the config file; prints nothing when it is valid.")
final class ConfigcheckCommand implements Callable<Integer> {
    @ParentCommand
    Main parent;

    @Override
    public Integer call() throws Exception {
        parent.loadConfig();
        return ExitCodes.OK;
    }
}
