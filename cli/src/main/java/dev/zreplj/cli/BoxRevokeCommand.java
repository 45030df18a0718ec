package dev.zreplj.cli;

import dev.zreplj.config.Config;
import dev.zreplj.config.SinkJob;
import dev.zreplj.files.StateFiles;
import dev.zreplj.stdinserver.Revocation;
import dev.zreplj.zfs.DatasetName;
import dev.zreplj.zfs.InvalidNameException;
import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/**
 * A stolen or compromised client key, cut off on the box: its authorized_keys lines go (no new connection
 * authenticates with it), and the connections it opened before, which sshd keeps authenticated and which may go on
 * opening channels, are refused at their next channel or request ({@link Revocation}). Nothing of the client's
 * backups changes: they are what its owner restores with a new key.
 */
@Command(
        name = "revoke",
        description = "On the backup box: cut a client's keys off (a stolen laptop): remove its authorized_keys"
                + " lines and refuse every SSH connection of it opened before now. Its backups stay.")
final class BoxRevokeCommand implements Callable<Integer> {
    @ParentCommand
    BoxCommand parent;

    @Parameters(index = "0", paramLabel = "CLIENT_ID", description = "the client, as in its forced command")
    String client;

    @Option(
            names = "--user",
            paramLabel = "NAME",
            description = "the box user whose ~/.ssh/authorized_keys holds the client's keys (default: zreplj)")
    String user = "zreplj";

    @Option(
            names = "--authorized-keys",
            paramLabel = "FILE",
            description =
                    "the authorized_keys file to edit, where sshd's AuthorizedKeysFile is not ~/.ssh/authorized_keys")
    Path authorizedKeys;

    @Override
    public Integer call() throws Exception {
        Config config = parent.parent.loadConfig();
        if (config.sinkJobs().isEmpty()) {
            throw CliException.usage("box revoke: " + config.file() + " has no sink job: run it on the backup box");
        }
        try {
            DatasetName.validateIdentifier(client, "client identity");
        } catch (InvalidNameException e) {
            throw CliException.usage("box revoke: " + e.getMessage());
        }
        Optional<SinkJob> local = LocalClients.localOnly(config, client);
        if (local.isPresent()) {
            // Its revocation record would cut off nothing but the agent's own pass in flight, and no key exists.
            throw CliException.usage("box revoke: " + LocalClients.describe(client, local.get()) + ": it has no key to"
                    + " revoke; to stop its backups, remove or change that push job; nothing changed");
        }
        Path file = authorizedKeys != null ? authorizedKeys : userFile();
        AuthorizedKeysLines.Removal removal;
        try {
            removal = removeLines(file, client);
        } catch (NoSuchFileException e) {
            throw CliException.failure("box revoke: " + file + " does not exist; give the box user (--user) or the"
                    + " file sshd reads (--authorized-keys); nothing changed");
        } catch (IOException e) {
            throw CliException.failure(
                    "box revoke: cannot rewrite " + file + ": " + e.getMessage() + "; nothing changed");
        }
        // After the lines are gone: a connection opened after this record can only have used another key.
        Revocation revocation;
        try {
            revocation = Revocation.now();
            Revocation.write(config.global().stateDir(), client, revocation);
        } catch (IOException e) {
            throw CliException.failure(
                    "box revoke: removed " + removal.removed().size() + " line(s) of " + client
                            + " from " + file + ", but connections opened before are not cut off: cannot write "
                            + Revocation.path(config.global().stateDir(), client) + ": " + e.getMessage());
        }
        for (String line : removal.removed()) {
            System.out.println("removed from " + file + ": " + keyOf(line));
        }
        String cut = "SSH connections of " + client + " opened before " + revocation.at() + " are refused at their"
                + " next channel or request; its backups on the box are left as they are";
        if (removal.removed().isEmpty()) {
            System.out.println("revoked " + client + ": " + cut);
            throw CliException.failure("box revoke: no line of " + file + " runs 'stdinserver " + client + "', so new"
                    + " connections are not refused by it; is the client's key in another file (--user,"
                    + " --authorized-keys)?");
        }
        System.out.println("revoked " + client + ": " + cut + "; give the owner's new key with 'zreplj"
                + " authorized-keys " + client + " --key NEW.pub >> " + file + "'");
        return ExitCodes.OK;
    }

    private Path userFile() throws CliException {
        try {
            return BoxUserLookup.lookUp(user).home().resolve(".ssh/authorized_keys");
        } catch (CliException e) {
            // box setup's advice (create the user) is no help here: the key is in some existing user's file.
            throw new CliException(
                    e.exitCode(),
                    e.getMessage().contains(" does not exist")
                            ? "box revoke: user " + user + " does not exist; give the user whose authorized_keys holds"
                                    + " the client's key (--user root on a zfs-fuse box) or the file"
                                    + " (--authorized-keys); nothing changed"
                            : e.getMessage().replaceFirst("^box setup: ", "box revoke: "));
        }
    }

    /** The key type, key and comment of a line, without its options (the forced command is long and known). */
    static String keyOf(String line) {
        String s = line.strip();
        int i = s.indexOf(" ssh-");
        for (String type : new String[] {" ecdsa-", " sk-"}) {
            int j = s.indexOf(type);
            if (j >= 0 && (i < 0 || j < i)) i = j;
        }
        return i < 0 ? s : s.substring(i + 1);
    }

    /**
     * Rewrites the file without the client's lines, atomically (a temp file beside it renamed over it), with the
     * file's owner, group and mode; a link is followed to the file sshd reads, none on the way to its directory
     * that the box user could have planted (StateFiles.rewrite). Unchanged when no line is the client's.
     */
    static AuthorizedKeysLines.Removal removeLines(Path file, String client) throws IOException {
        AuthorizedKeysLines.Removal[] removal = new AuthorizedKeysLines.Removal[1];
        StateFiles.rewrite(file, content -> {
            removal[0] = AuthorizedKeysLines.withoutClient(content, client);
            return removal[0].removed().isEmpty() ? null : removal[0].kept();
        });
        return removal[0];
    }
}
