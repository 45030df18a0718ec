package dev.zreplj.cli;

import dev.zreplj.config.Config;
import dev.zreplj.config.PushJob;
import dev.zreplj.ssh.IdentityFile;
import dev.zreplj.ssh.SshTransport;
import dev.zreplj.ssh.TransportException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * Silent on success (like zrepl), so scripts and package hooks can run it; errors come from the loader.
 * A valid config whose zrepl keys zreplj does not act on gets one warning line each on stderr, still exit 0.
 */
@Command(
        name = "configcheck",
        description = "Validate the config file; prints nothing when it is valid "
                + "(warnings, one a line on stderr, for zrepl keys zreplj does not act on).")
final class ConfigcheckCommand implements Callable<Integer> {
    @ParentCommand
    Main parent;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        Config config = parent.loadConfig();
        PrintWriter err = spec.commandLine().getErr();
        for (String w : config.warnings()) {
            err.print("zreplj: warning: " + w + "\n");
        }
        err.flush();
        for (PushJob job : config.pushJobs()) {
            Path identity = job.connect().identityFile();
            try {
                if (identity != null) IdentityFile.checkPermissions(identity, System.getProperty("user.name"));
                SshTransport.check(job.connect());
            } catch (TransportException e) {
                // At the connect block: the config loader's errors carry FILE:LINE:COLUMN, and so do these.
                throw CliException.usage(
                        config.connectOrigin(job.name()) + ": job " + job.name() + ": " + e.getMessage());
            }
        }
        return ExitCodes.OK;
    }
}
