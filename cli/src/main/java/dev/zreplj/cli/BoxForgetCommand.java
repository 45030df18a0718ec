package dev.zreplj.cli;

import dev.zreplj.config.Config;
import dev.zreplj.stdinserver.ClientStatusFile;
import dev.zreplj.zfs.DatasetName;
import dev.zreplj.zfs.InvalidNameException;
import java.io.IOException;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/**
 * The box's record of a client's filesystem, removed: one the client no longer pushes (taken out of its
 * filter, destroyed) would age into CRITICAL in {@code zreplj status} and the box's last-received metrics for good. The
 * backup itself is left as it is.
 */
@Command(
        name = "forget",
        description = "On the backup box: stop judging a client's filesystem in status and metrics (one it no"
                + " longer pushes). Its backup on the box is left as it is.")
final class BoxForgetCommand implements Callable<Integer> {
    @ParentCommand
    BoxCommand parent;

    @Parameters(index = "0", paramLabel = "CLIENT_ID", description = "the client, as in client_identities")
    String client;

    @Parameters(index = "1", paramLabel = "FILESYSTEM", description = "its name on the client, as status shows it")
    String filesystem;

    @Override
    public Integer call() throws Exception {
        Config config = parent.parent.loadConfig();
        if (config.sinkJobs().isEmpty()) {
            throw CliException.usage("box forget: " + config.file() + " has no sink job: run it on the backup box");
        }
        try {
            DatasetName.validateIdentifier(client, "client identity");
            DatasetName.of(filesystem);
        } catch (InvalidNameException e) {
            throw CliException.usage("box forget: " + e.getMessage());
        }
        ClientStatusFile.ClientStatus recorded;
        try {
            recorded = ClientStatusFile.read(config.global().stateDir(), client);
        } catch (IOException e) {
            recorded = null; // unreadable: forget below says so, with the way out
        }
        // Checked outside the receives' lock: one meanwhile can only add a filesystem, never take this one's place.
        if (recorded != null && recorded.filesystems().keySet().equals(Set.of(filesystem))) {
            // Without any received filesystem the record reads as a client never backed up, though its backups
            // stay on the box: the opposite of what forget is for.
            throw CliException.failure("box forget: " + filesystem + " is the only filesystem the box records of"
                    + " client " + client + "; without it status would call " + client + " never backed up (nothing"
                    + " received yet), though its backups stay: forget it after the first receive of the filesystem "
                    + client + " pushes now, or, if " + client + " is gone, remove it from client_identities");
        }
        if (!ClientStatusFile.forget(config.global().stateDir(), client, filesystem)) {
            throw CliException.failure("box forget: client " + client + " has no recorded filesystem " + filesystem
                    + " in " + ClientStatusFile.path(config.global().stateDir(), client)
                    + " ('zreplj status' lists what is recorded)");
        }
        System.out.println("forgot " + client + " " + filesystem + ": no longer judged by status nor in the box's"
                + " last-received metrics until the client sends it again (its counters stay); its backup on the box"
                + " is left as it is");
        // The box rewrites its textfile only after a receive: without this the series (and the alert on it)
        // would stay until some client's next receive.
        try {
            StdinserverCommand.writeBoxTextfile(config);
        } catch (IOException e) {
            throw CliException.failure("box forget: the record is gone, but the metrics textfile could not be"
                    + " rewritten (the series goes at the next receive): " + e.getMessage());
        }
        return ExitCodes.OK;
    }
}
