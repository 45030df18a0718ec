package dev.zreplj.cli;

import dev.zreplj.agent.BoxConnection;
import dev.zreplj.config.Config;
import dev.zreplj.config.PushJob;
import dev.zreplj.protocol.RemoteException;
import dev.zreplj.protocol.Wire;
import dev.zreplj.replication.Progress;
import dev.zreplj.replication.Watchdog;
import dev.zreplj.restore.LocalTarget;
import dev.zreplj.restore.RestorePlanner;
import dev.zreplj.restore.RestoreRefused;
import dev.zreplj.restore.RestoreRequest;
import dev.zreplj.restore.RestoreStep;
import dev.zreplj.restore.Restorer;
import dev.zreplj.zfs.DatasetName;
import dev.zreplj.zfs.InvalidNameException;
import dev.zreplj.zfs.Zfs;
import dev.zreplj.zfs.ZfsException;
import java.io.IOException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/**
 * {@code zreplj restore}: the client's own backup back from the box through the same forced command. Needs
 * only the push job's connect section and key (a replacement laptop), and leaves the job's state alone.
 */
@Command(name = "restore", description = "Receive this client's backup back from the box into a new local dataset.")
final class RestoreCommand implements Callable<Integer> {
    @ParentCommand
    Main parent;

    @Option(
            names = "--job",
            required = true,
            paramLabel = "NAME",
            description = "the push job whose box holds the backup")
    String job;

    @Parameters(
            index = "0",
            paramLabel = "SOURCE_FS[@SNAPSHOT]",
            description =
                    "the filesystem's name as on the client (as 'zreplj box list' shows it); the newest snapshot by default")
    String source;

    @Option(names = "--to", required = true, paramLabel = "LOCAL_FS", description = "the local dataset to receive into")
    String to;

    @Option(names = "-r", description = "also every filesystem below SOURCE_FS, into the same place below LOCAL_FS")
    boolean recursive;

    @Option(
            names = "--force",
            description = "receive over an existing dataset (zfs recv -F): rolls it back, destroys"
                    + " its snapshots after the common one")
    boolean force;

    @Override
    public Integer call() throws Exception {
        RestoreRequest request = request();
        Config config = parent.loadConfig();
        PushJob push = AgentJobs.select(config, List.of(job)).get(0);
        Zfs zfs = LocalZfs.of(config);
        try (Progress progress = TerminalScreen.progress(parent.output());
                Watchdog watchdog = Watchdog.start(push.replication().timeout());
                BoxConnection box = connect(progress, push, watchdog)) {
            // Before the plan creates anything here: a box that serves no restores is the whole answer.
            box.first().requireRestore();
            Map<DatasetName, LocalTarget> locals = new HashMap<>();
            boolean boxResumes = box.first().offers(Wire.RESUMABLE_RECEIVE);
            List<RestoreStep> steps;
            try {
                var listing = box.first().listJail();
                for (var fs : listing) {
                    if (fs.path().equals(request.source())
                            || (request.recursive() && fs.path().startsWith(request.source() + "/"))) {
                        DatasetName target = RestorePlanner.targetOf(request, fs.path());
                        locals.put(target, Restorer.local(zfs, target));
                    }
                }
                // Asked of each new target: one below a parent this restore creates inherits that parent's
                // mountpoint, which the top's own check made safe; one below an existing dataset may not.
                Map<DatasetName, String> mountRefusals = new HashMap<>();
                for (Map.Entry<DatasetName, LocalTarget> t : locals.entrySet()) {
                    Optional<DatasetName> parent = t.getKey().parent();
                    boolean parentIsNew = parent.isPresent()
                            && locals.containsKey(parent.get())
                            && !locals.get(parent.get()).exists();
                    if (!t.getValue().exists() && !parentIsNew) {
                        String why = Restorer.mountRefusal(zfs, t.getKey());
                        if (why != null) {
                            mountRefusals.put(t.getKey(), why);
                        }
                    }
                }
                steps = RestorePlanner.plan(
                        request,
                        listing,
                        t -> locals.getOrDefault(t, LocalTarget.absent()),
                        mountRefusals::get,
                        boxResumes);
            } catch (RestoreRefused e) {
                throw CliException.failure("restore: " + e.getMessage());
            }
            // Where a signal's notice says the restore was: not still "listing the backup box".
            progress.phase("restoring");
            try (PassStopNotice stop = PassStopNotice.duringRestore(progress, System.err)) {
                new Restorer(zfs, box.first()::send, boxResumes, progress, System.out).run(steps);
            } catch (IOException | ZfsException e) {
                throw CliException.failure("restore: " + withAdvice(reason(e), e, request.target()));
            } catch (RestoreRefused e) {
                throw CliException.failure("restore: " + e.getMessage());
            }
        } catch (RemoteException e) {
            throw CliException.failure("restore: the box refused: " + e.getMessage());
        }
        return ExitCodes.OK;
    }

    private static BoxConnection connect(Progress progress, PushJob push, Watchdog watchdog) throws IOException {
        progress.phase("connecting to " + push.connect().target());
        BoxConnection box = BoxConnection.open(push, watchdog);
        progress.phase("listing the backup box");
        return box;
    }

    /**
     * What to do after a restore failed part-way, where the failure does not say it already: a cut link or a full
     * pool is no reason to start over, the filesystems restored so far stay and the same command continues
     * (docs/restore.md). A refusal that names its own way out (--force, a new dataset) is left as it is.
     */
    static String withAdvice(String message, Exception e, DatasetName target) {
        String rerun = "run the same restore command again to continue (the filesystems restored so far stay)";
        if (ZfsException.isNoSpace(message)) {
            String pool = target.value().split("/", 2)[0];
            return message + "; free space in pool " + pool + " (or restore into another pool), then " + rerun;
        }
        if (e instanceof IOException && !(e instanceof RemoteException)) {
            return message + "; " + rerun;
        }
        return message;
    }

    /** zfs recv's own complaint says more than the broken pipe it caused. */
    private static String reason(Exception e) {
        if (e instanceof RemoteException) {
            return "the box: " + e.getMessage();
        }
        for (Throwable s : e.getSuppressed()) {
            if (s instanceof ZfsException z) {
                return e.getMessage() + "; local " + z.getMessage();
            }
        }
        return e.getMessage();
    }

    private RestoreRequest request() throws CliException {
        int at = source.indexOf('@');
        String fs = at < 0 ? source : source.substring(0, at);
        String snapshot = at < 0 ? null : source.substring(at + 1);
        try {
            DatasetName.of(fs);
            if (snapshot != null) {
                DatasetName.validateComponent(snapshot, "snapshot name");
            }
        } catch (InvalidNameException e) {
            throw CliException.usage("restore: SOURCE_FS '" + source + "': " + e.getMessage());
        }
        DatasetName target;
        try {
            target = DatasetName.of(to);
        } catch (InvalidNameException e) {
            throw CliException.usage("restore: --to '" + to + "': " + e.getMessage());
        }
        return new RestoreRequest(fs, snapshot, target, recursive, force);
    }
}
