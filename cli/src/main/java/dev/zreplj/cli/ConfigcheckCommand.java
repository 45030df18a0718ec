package dev.zreplj.cli;

import dev.zreplj.config.Config;
import dev.zreplj.config.PushJob;
import dev.zreplj.config.SinkJob;
import dev.zreplj.ssh.IdentityFile;
import dev.zreplj.ssh.SshTransport;
import dev.zreplj.ssh.TransportException;
import dev.zreplj.zfs.Capabilities;
import dev.zreplj.zfs.Zfs;
import dev.zreplj.zfs.ZfsException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
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
                if (!job.connect().isLocal()) IdentityFile.checkPermissions(identity);
                SshTransport.check(job.connect());
            } catch (TransportException e) {
                // At the connect block: the config loader's errors carry FILE:LINE:COLUMN, and so do these.
                throw CliException.usage(
                        config.checkOrigin(job.name()) + ": job " + job.name() + ": " + e.getMessage());
            }
        }
        for (String w : recvPropertiesWarnings(config)) {
            err.print("zreplj: warning: " + w + "\n");
        }
        err.flush();
        return ExitCodes.OK;
    }

    /**
     * A sink's recv.properties need zfs recv -o/-x, which zfs-fuse lacks: on such a box they are read but not
     * acted on, which configcheck says of every such key. Asked of this machine's zfs only when a sink job has
     * them; no zfs here (an agent's config check elsewhere) says nothing.
     */
    private static List<String> recvPropertiesWarnings(Config config) {
        List<SinkJob> jobs = config.sinkJobs().stream()
                .filter(j -> !j.recv().overrideProperties().isEmpty()
                        || !j.recv().inheritProperties().isEmpty())
                .toList();
        if (jobs.isEmpty()) {
            return List.of();
        }
        Zfs zfs;
        Capabilities caps;
        try {
            zfs = LocalZfs.of(config);
            caps = zfs.capabilities();
        } catch (ZfsException e) {
            return List.of();
        }
        if (caps.recvProperties()) {
            return List.of();
        }
        return jobs.stream()
                .map(j -> config.checkOrigin(j.name()) + ": 'properties' has no effect on this box: its zfs ("
                        + zfs.binary() + ", " + caps.version() + ") has no 'zfs recv -o/-x'; each receive goes"
                        + " without them (the box's log says so), and a property stream that sets one of them is"
                        + " refused")
                .toList();
    }
}
