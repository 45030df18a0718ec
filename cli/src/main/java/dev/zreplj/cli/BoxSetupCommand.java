package dev.zreplj.cli;

import dev.zreplj.config.Config;
import dev.zreplj.config.ConfigException;
import dev.zreplj.config.Global;
import dev.zreplj.config.SinkJob;
import dev.zreplj.zfs.DatasetName;
import dev.zreplj.zfs.InvalidNameException;
import dev.zreplj.zfs.Zfs;
import dev.zreplj.zfs.ZfsException;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SecureDirectoryStream;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributeView;
import java.nio.file.attribute.GroupPrincipal;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipal;
import java.nio.file.attribute.UserPrincipalLookupService;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * Prepares a backup box for zreplj: its root_fs, the box user's {@code zfs allow} grant, state and .ssh
 * directories; then prints the authorized_keys and sshd lines for that user. Safe to run again.
 */
@Command(
        name = "setup",
        description = "Create ROOT_FS if missing, delegate to the box user what the stdinserver "
                + "needs on it (zfs allow), check its login, print the authorized_keys and sshd lines; run as root.")
final class BoxSetupCommand implements Callable<Integer> {
    @ParentCommand
    BoxCommand box;

    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "ROOT_FS", description = "the sink job's root_fs")
    String rootFs;

    @Option(
            names = "--user",
            paramLabel = "NAME",
            defaultValue = "zreplj",
            description =
                    "the user whose authorized_keys holds the forced commands (default: ${DEFAULT-VALUE}; root where zfs allow does not work)")
    String user;

    @Option(
            names = "--state-dir",
            paramLabel = "DIR",
            description = "the sink's global.zreplj.state_dir (default: the config's, else /var/lib/zreplj)")
    Path stateDir; // null: the config's, else the default

    @Option(names = "--dry-run", description = "print what would be done; change nothing")
    boolean dryRun;

    @Override
    public Integer call() throws CliException, ConfigException {
        DatasetName root;
        try {
            root = DatasetName.of(rootFs);
        } catch (InvalidNameException e) {
            throw CliException.usage("box setup: ROOT_FS: " + e.getMessage());
        }
        if (root.depth() < 2) {
            throw CliException.usage("box setup: ROOT_FS " + root + " is a whole pool; name a filesystem in it,"
                    + " e.g. " + root + "/zreplj");
        }
        BoxSetupPlan.User u = lookUp(user);
        PrintWriter out = spec.commandLine().getOut();
        // The stdinserver will run with the config's state directory and zfs, so those are what to prepare;
        // before the config is written there is only the flag and the defaults.
        Path config = box.parent.configPath().toAbsolutePath().normalize();
        Config loaded = Files.exists(config) ? box.parent.loadConfig() : null;
        Global global = loaded != null ? loaded.global() : null;
        List<DatasetName> sinkRoots = loaded == null
                ? List.of()
                : loaded.sinkJobs().stream().map(SinkJob::rootFs).distinct().toList();
        if (!sinkRoots.isEmpty() && !sinkRoots.contains(root)) {
            // A typo would create and delegate a dataset no sink job receives into, and the stdinserver would
            // then refuse every client for the root_fs that is missing.
            throw CliException.usage("box setup: " + root + " is not the root_fs of a sink job in " + config + " ("
                    + sinkRoots.stream().map(DatasetName::value).collect(Collectors.joining(", "))
                    + "); give that, or change the config first");
        }
        Path state = rootsTarget(
                (stateDir != null ? stateDir : global != null ? global.stateDir() : Global.DEFAULT_STATE_DIR)
                        .toAbsolutePath());
        Path ssh = u.home().resolve(".ssh");
        Path keys = ssh.resolve("authorized_keys");
        try {
            Zfs zfs = global != null && global.zfsBinary() != null ? new Zfs(global.zfsBinary()) : Zfs.locate();
            if (!zfs.exists(root.parent().orElseThrow())) {
                throw CliException.failure("box setup: " + root.parent().orElseThrow() + " does not exist: create"
                        + " the pool (or the parent filesystem) first");
            }
            BoxSetupPlan.Found found = new BoxSetupPlan.Found(
                    root,
                    zfs.exists(root),
                    u,
                    u.isRoot() || zfs.canDelegate(),
                    state,
                    ownedWithMode(u, "rwxr-x---", state, state.resolve("metrics"), state.resolve("metrics/clients")),
                    ownedWithMode(u, "rwx------", ssh) && (u.isRoot() || isKeysFileOf(u, keys)),
                    zfs.binary().toString(),
                    loaded == null ? List.of() : recvProperties(loaded, root),
                    Stream.of(state, state.resolve("metrics"), state.resolve("metrics/clients"), ssh, keys)
                            .filter(p -> p != keys || !u.isRoot())
                            .filter(Files::isSymbolicLink)
                            .toList());
            BoxSetupPlan plan = BoxSetupPlan.of(found);
            if (!plan.problems().isEmpty()) {
                throw CliException.failure("box setup: " + String.join("; ", plan.problems()));
            }
            if (!dryRun && !isRoot()) {
                throw CliException.failure("box setup: run it as root (it creates datasets and delegates"
                        + " permissions); --dry-run shows what it would do");
            }
            for (BoxSetupPlan.Step step : plan.steps()) {
                if (dryRun) {
                    out.println("would " + step.description() + ": " + String.join(" ", step.command()));
                    continue;
                }
                run(zfs, root, step, found);
                out.println(step.description());
            }
            if (plan.steps().isEmpty()) {
                out.println("nothing to change: root_fs " + root + " and user " + u.name() + " are set up");
            }
            plan.notes().forEach(n -> out.println("note: " + n));
        } catch (ZfsException e) {
            throw CliException.failure("box setup: " + e.getMessage());
        }
        out.print(BoxSetupPlan.snippet(u, config));
        out.flush();
        return ExitCodes.OK;
    }

    /** The properties the config's sink jobs at {@code root} set or inherit on what they receive. */
    private static List<String> recvProperties(Config config, DatasetName root) {
        List<String> out = new ArrayList<>();
        for (SinkJob job : config.sinkJobs()) {
            if (job.rootFs().equals(root)) {
                out.addAll(job.recv().overrideProperties().keySet());
                out.addAll(job.recv().inheritProperties());
            }
        }
        return out;
    }

    private void run(Zfs zfs, DatasetName root, BoxSetupPlan.Step step, BoxSetupPlan.Found found)
            throws ZfsException, CliException {
        Path state = found.stateDir();
        switch (step.kind()) {
            case CREATE_ROOT_FS -> zfs.create(root, Map.of("canmount", "off", "mountpoint", "none"));
            case ALLOW -> zfs.allow(user, BoxSetupPlan.permissions(found), root);
            case STATE_DIRECTORY ->
                directories(
                        found.user(),
                        "rwxr-x---",
                        state.getParent(),
                        state.getFileName().toString(),
                        "metrics",
                        "clients");
            case SSH_DIRECTORY -> {
                directories(found.user(), "rwx------", found.user().home(), ".ssh");
                if (!found.user().isRoot()) {
                    authorizedKeys(found.user());
                }
            }
        }
    }

    /** {@code file} is a regular file of {@code u} that only {@code u} may read or write. */
    private static boolean isKeysFileOf(BoxSetupPlan.User u, Path file) {
        try {
            return Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)
                    && (Integer) Files.getAttribute(file, "unix:uid", LinkOption.NOFOLLOW_LINKS) == u.uid()
                    && (Integer) Files.getAttribute(file, "unix:mode", LinkOption.NOFOLLOW_LINKS) % 01000 == 0600;
        } catch (IOException e) {
            return false;
        }
    }

    /**
     * {@code ~/.ssh/authorized_keys} of a box user, created empty when missing, that user's with mode 0600. sshd
     * reads it as that user, and root appends the key lines ({@code authorized-keys ... >>}): a file that append
     * created under root's umask 027 or 077 (hardened boxes) is root's 0640 or 0600, which sshd then cannot
     * open ("Permission denied (publickey)" for every client). Opened below .ssh without following a link.
     */
    static void authorizedKeys(BoxSetupPlan.User u) throws CliException {
        Path file = u.home().resolve(".ssh/authorized_keys");
        try {
            UserPrincipalLookupService users = FileSystems.getDefault().getUserPrincipalLookupService();
            try (SecureDirectoryStream<Path> home = secure(Files.newDirectoryStream(u.home()), u.home());
                    SecureDirectoryStream<Path> ssh =
                            home.newDirectoryStream(Path.of(".ssh"), LinkOption.NOFOLLOW_LINKS)) {
                Path name = Path.of("authorized_keys");
                ssh.newByteChannel(
                                name,
                                Set.of(
                                        StandardOpenOption.CREATE,
                                        StandardOpenOption.WRITE,
                                        StandardOpenOption.APPEND,
                                        LinkOption.NOFOLLOW_LINKS),
                                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")))
                        .close();
                PosixFileAttributeView view =
                        ssh.getFileAttributeView(name, PosixFileAttributeView.class, LinkOption.NOFOLLOW_LINKS);
                view.setOwner(users.lookupPrincipalByName(u.name()));
                view.setGroup(users.lookupPrincipalByGroupName(String.valueOf(u.gid())));
                view.setPermissions(PosixFilePermissions.fromString("rw-------"));
            }
        } catch (IOException e) {
            throw CliException.failure(
                    "box setup: cannot make " + file + " a file of " + u.name() + ": " + e.getMessage());
        }
    }

    /**
     * The state directory itself may be a link root made (moved to a bigger disk): its target is prepared. A
     * link anyone else made is left for {@link #directories} to refuse.
     */
    private static Path rootsTarget(Path dir) throws CliException {
        try {
            if (Files.isSymbolicLink(dir)
                    && (Integer) Files.getAttribute(dir, "unix:uid", LinkOption.NOFOLLOW_LINKS) == 0) {
                return dir.toRealPath();
            }
            return dir;
        } catch (IOException e) {
            throw CliException.failure("box setup: " + dir + ": " + e.getMessage());
        }
    }

    /**
     * Makes {@code names} (the first in {@code parent}, each next inside the one before) directories of {@code u}
     * with {@code mode}, each opened relative to the one before and never through a link: the box user owns
     * them and could plant one (metrics -> /etc, .ssh -> /root), and {@code install -d} followed it, giving the
     * target to that user, even when the link appeared after setup had looked.
     */
    private static void directories(BoxSetupPlan.User u, String mode, Path parent, String... names)
            throws CliException {
        Path path = parent;
        try {
            UserPrincipalLookupService users = FileSystems.getDefault().getUserPrincipalLookupService();
            UserPrincipal owner = users.lookupPrincipalByName(u.name());
            GroupPrincipal group = users.lookupPrincipalByGroupName(String.valueOf(u.gid()));
            Files.createDirectories(parent);
            SecureDirectoryStream<Path> dir = secure(Files.newDirectoryStream(parent), parent);
            try {
                for (String name : names) {
                    path = path.resolve(name);
                    try {
                        // mkdir never follows a link in its last component: a planted one is refused below.
                        Files.createDirectory(path);
                    } catch (FileAlreadyExistsException e) {
                        // Opened and set below as it is.
                    }
                    if (dir.getFileAttributeView(Path.of(name), BasicFileAttributeView.class, LinkOption.NOFOLLOW_LINKS)
                            .readAttributes()
                            .isSymbolicLink()) {
                        throw CliException.failure("box setup: " + path + " is a symbolic link; box"
                                + " setup does not follow links in the box user's directories (remove it and run box"
                                + " setup again)");
                    }
                    SecureDirectoryStream<Path> child =
                            dir.newDirectoryStream(Path.of(name), LinkOption.NOFOLLOW_LINKS);
                    dir.close();
                    dir = child;
                    PosixFileAttributeView view = dir.getFileAttributeView(PosixFileAttributeView.class);
                    view.setOwner(owner);
                    view.setGroup(group);
                    view.setPermissions(PosixFilePermissions.fromString(mode));
                }
            } finally {
                dir.close();
            }
        } catch (IOException e) {
            throw CliException.failure(
                    "box setup: cannot make " + path + " a directory of " + u.name() + ": " + e.getMessage());
        }
    }

    private static SecureDirectoryStream<Path> secure(DirectoryStream<Path> stream, Path dir) throws IOException {
        if (stream instanceof SecureDirectoryStream<Path> secure) {
            return secure;
        }
        stream.close();
        throw new IOException("this system cannot open " + dir + " without following links");
    }

    /**
     * Every one of {@code dirs} is a directory of {@code u} (owner and group) with exactly {@code mode}: a mode
     * looser than the documented one (a 0755 or group-writable state directory on a box that already received)
     * is set again, not kept.
     */
    private static boolean ownedWithMode(BoxSetupPlan.User u, String mode, Path... dirs) {
        for (Path dir : dirs) {
            try {
                if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)
                        || (Integer) Files.getAttribute(dir, "unix:uid", LinkOption.NOFOLLOW_LINKS) != u.uid()
                        || (Integer) Files.getAttribute(dir, "unix:gid", LinkOption.NOFOLLOW_LINKS) != u.gid()
                        || (Integer) Files.getAttribute(dir, "unix:mode", LinkOption.NOFOLLOW_LINKS) % 010000
                                != Integer.parseInt(toOctal(mode), 8)) {
                    return false;
                }
            } catch (IOException e) {
                return false;
            }
        }
        return true;
    }

    /** "rwxr-x---" as "750". */
    private static String toOctal(String mode) {
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < 9; i += 3) {
            out.append((mode.charAt(i) == 'r' ? 4 : 0)
                    + (mode.charAt(i + 1) == 'w' ? 2 : 0)
                    + (mode.charAt(i + 2) == 'x' ? 1 : 0));
        }
        return out.toString();
    }

    private static boolean isRoot() {
        try {
            return (Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid") == 0;
        } catch (IOException | UnsupportedOperationException e) {
            return false;
        }
    }

    /** The user from the password database (getent, so NSS users count too). */
    static BoxSetupPlan.User lookUp(String name) throws CliException {
        if (!name.matches("[a-z_][a-z0-9_-]{0,31}")) {
            throw CliException.usage("box setup: --user '" + name + "' is not a valid user name");
        }
        String line;
        try {
            Process p = new ProcessBuilder("getent", "passwd", name)
                    .redirectError(ProcessBuilder.Redirect.DISCARD)
                    .start();
            line = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            p.waitFor(30, TimeUnit.SECONDS);
        } catch (IOException e) {
            throw CliException.failure("box setup: cannot run getent: " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw CliException.failure("box setup: interrupted");
        }
        if (line.isEmpty()) {
            throw CliException.failure("box setup: user " + name + " does not exist; the Debian package makes"
                    + " zreplj, elsewhere: adduser --system --group --home /var/lib/zreplj --shell /bin/sh " + name);
        }
        return parsePasswd(line);
    }

    static BoxSetupPlan.User parsePasswd(String line) throws CliException {
        String[] f = line.split(":", -1);
        if (f.length != 7) {
            throw CliException.failure("box setup: unexpected passwd entry: " + line);
        }
        try {
            return new BoxSetupPlan.User(f[0], Integer.parseInt(f[2]), Integer.parseInt(f[3]), Path.of(f[5]), f[6]);
        } catch (NumberFormatException e) {
            throw CliException.failure("box setup: unexpected passwd entry: " + line);
        }
    }
}
