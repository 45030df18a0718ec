package dev.zreplj.cli;

import dev.zreplj.config.Config;
import dev.zreplj.config.ConfigException;
import dev.zreplj.config.SinkJob;
import dev.zreplj.zfs.DatasetName;
import dev.zreplj.zfs.InvalidNameException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.sshd.common.config.keys.PublicKeyEntry;
import org.apache.sshd.common.config.keys.PublicKeyEntryResolver;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/**
 * Prints the authorized_keys line that makes the backup box's sshd run {@code zreplj stdinserver CLIENT_ID}
 * for one client key, with every other SSH feature turned off ({@code restrict}).
 */
@Command(name = "authorized-keys", description = "Print the authorized_keys line for a client.")
final class AuthorizedKeysCommand implements Callable<Integer> {
    /** Set by the launcher script to its own resolved path, so the line names the zreplj that printed it. */
    static final String LAUNCHER_PROPERTY = "zreplj.launcher";

    @ParentCommand
    Main parent;

    @Parameters(
            index = "0",
            paramLabel = "CLIENT_ID",
            description = "the client's name; its datasets live under <root_fs>/CLIENT_ID")
    String clientId;

    @Option(
            names = "--key",
            required = true,
            paramLabel = "PUBKEY_FILE",
            description = "the client's OpenSSH public key (.pub)")
    Path keyFile;

    @Option(
            names = "--restore-only",
            description = "a recovery key: its forced command permits listing and"
                    + " restoring (HELLO, LIST, SEND) only, never receiving or destroying")
    boolean restoreOnly;

    @Override
    public Integer call() throws CliException {
        try {
            DatasetName.validateIdentifier(clientId, "client id");
        } catch (InvalidNameException e) {
            throw CliException.usage("authorized-keys: " + e.getMessage());
        }
        refuseLocalOnlyClient();
        String key = readKeyLine(keyFile);
        String launcher = System.getProperty(LAUNCHER_PROPERTY, "zreplj");
        String config = parent.configPath().toAbsolutePath().normalize().toString();
        String command = shellWord(launcher, "launcher path") + " --config " + shellWord(config, "config path")
                + " stdinserver " + (restoreOnly ? "--restore-only " : "") + clientId;
        System.out.println("command=\"" + command + "\",restrict " + key);
        return ExitCodes.OK;
    }

    /**
     * A local sink's client is a push job of the same config, served only through the agent's local transport:
     * the stdinserver refuses it to every forced command, so a line for it could never work. Refused when the
     * config says so; a config that does not load yet (a box being set up) is not this command's to judge.
     */
    private void refuseLocalOnlyClient() throws CliException {
        Config config;
        try {
            config = parent.loadConfig();
        } catch (ConfigException e) {
            return;
        }
        Optional<SinkJob> local = LocalClients.localOnly(config, clientId);
        if (local.isPresent()) {
            throw CliException.usage("authorized-keys: " + LocalClients.describe(clientId, local.get())
                    + "; no authorized_keys line can serve it: for a remote machine, list its own name in an ssh"
                    + " sink's serve.client_identities");
        }
    }

    /**
     * sshd(8)'s options before a key: comma-separated, each a word or word="quoted" (where a quote may be
     * escaped), then the key's type.
     */
    private static final Pattern OPTIONS =
            Pattern.compile("([A-Za-z-]+(?:=\"(?:[^\"\\\\]|\\\\.)*\")?(?:,[A-Za-z-]+(?:=\"(?:[^\"\\\\]|\\\\.)*\")?)*)"
                    + "\\s+(?:ssh-|ecdsa-|sk-)");

    /** The one public key line of the file, checked to be a key MINA/OpenSSH can read. */
    static String readKeyLine(Path file) throws CliException {
        List<String> lines;
        try {
            lines = Files.readAllLines(file, StandardCharsets.UTF_8).stream()
                    .map(String::strip)
                    .filter(l -> !l.isEmpty() && !l.startsWith("#"))
                    .toList();
        } catch (NoSuchFileException e) {
            throw CliException.usage("authorized-keys: key file " + file + " does not exist");
        } catch (IOException e) {
            throw CliException.usage("authorized-keys: cannot read key file " + file + ": " + e.getMessage());
        }
        if (lines.size() != 1) {
            throw CliException.usage("authorized-keys: key file " + file + " must hold exactly one OpenSSH public key "
                    + "line (the client's .pub file), found " + lines.size() + " lines");
        }
        String line = lines.get(0);
        String problem = null;
        try {
            PublicKeyEntry entry = PublicKeyEntry.parsePublicKeyEntry(line);
            if (entry == null
                    || entry.resolvePublicKey(null, java.util.Map.of(), PublicKeyEntryResolver.FAILING) == null) {
                problem = "is not an OpenSSH public key line";
            }
        } catch (IOException | GeneralSecurityException | RuntimeException e) {
            problem = "is not an OpenSSH public key line (" + e.getMessage() + ")";
        }
        Matcher options = OPTIONS.matcher(line);
        if (problem != null && options.lookingAt()) {
            throw CliException.usage("authorized-keys: key file " + file + " begins with authorized_keys options ("
                    + options.group(1) + "); give the bare key line, e.g. the client's .pub file: zreplj writes its"
                    + " own command= and restrict");
        }
        if (problem != null) {
            throw CliException.usage("authorized-keys: key file " + file + " " + problem
                    + "; expected e.g. 'ssh-ed25519 AAAA... comment' (did you give the private key?)");
        }
        return line;
    }

    /**
     * sshd hands the forced command to the user's shell inside double quotes of authorized_keys: a path may
     * not hold a double quote or backslash there, and gets single quotes when the shell would split or expand it.
     */
    static String shellWord(String path, String what) throws CliException {
        for (int i = 0; i < path.length(); i++) {
            char c = path.charAt(i);
            if (c == '"' || c == '\\' || c == '\'' || c < 0x20 || c == 0x7f) {
                throw CliException.usage(
                        "authorized-keys: the " + what + " '" + path + "' contains a quote, backslash or "
                                + "control character that cannot be written safely into authorized_keys; move it");
            }
        }
        return path.matches("[A-Za-z0-9_./:@%+=,-]+") ? path : "'" + path + "'";
    }
}
