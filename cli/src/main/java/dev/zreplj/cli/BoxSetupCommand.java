package dev.zreplj.cli;

import dev.zreplj.config.Config;
import dev.zreplj.config.ConfigException;
import dev.zreplj.config.Durations;
import dev.zreplj.config.Global;
import dev.zreplj.config.ServeLimits;
import dev.zreplj.config.SinkJob;
import dev.zreplj.files.ThisProcess;
import dev.zreplj.stdinserver.CopiedMarks;
import dev.zreplj.zfs.DatasetName;
import dev.zreplj.zfs.InvalidNameException;
import dev.zreplj.zfs.Zfs;
import dev.zreplj.zfs.ZfsException;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
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
        PrintWriter out = spec.commandLine().getOut();
        // The stdinserver will run with the config's state directory and zfs, so those are what to prepare;
        // before the config is written there is only the flag and the defaults.
        Path config = box.parent.configPath().toAbsolutePath().normalize();
        Config loaded = Files.exists(config) ? box.parent.loadConfig() : null;
        // A local sink's stdinserver is the agent's own child, run as the agent's user (root, under the units):
        // no box user, grant, authorized_keys or sshd to prepare, only root_fs on the second pool or USB disk.
        // Looking up the box user there refused a laptop without one, and a grant to it would delegate for nothing.
        List<SinkJob> atRoot = loaded == null
                ? List.of()
                : loaded.sinkJobs().stream()
                        .filter(j -> j.rootFs().equals(root))
                        .toList();
        boolean localOnly = !atRoot.isEmpty() && atRoot.stream().allMatch(SinkJob::isLocal);
        if (root.depth() < 2 && !localOnly) {
            // A local sink (a USB disk's pool) is written by root and delegates nothing; a grant to the box user on a
            // pool would reach every dataset in it, the box's own too.
            throw CliException.usage("box setup: ROOT_FS " + root + " is a whole pool, over which the box user would"
                    + " be granted zfs permissions on every dataset; name a filesystem in it as the sink's root_fs,"
                    + " e.g. " + root + "/zreplj");
        }
        Global global = loaded != null ? loaded.global() : null;
        List<DatasetName> sinkRoots = loaded == null
                ? List.of()
                : loaded.sinkJobs().stream().map(SinkJob::rootFs).distinct().toList();
        if (loaded != null && sinkRoots.isEmpty()) {
            // An agent's config: the stdinserver reads this file and would refuse every client, so whatever
            // ROOT_FS this made and delegated, nothing would receive into it.
            throw CliException.usage("box setup: " + config + " has no sink job, so the box would refuse every"
                    + " client; add the sink job with root_fs " + root + " first (/etc/zreplj/sink.yml.example)");
        }
        if (loaded != null && !sinkRoots.contains(root)) {
            // A typo would create and delegate a dataset no sink job receives into, and the stdinserver would
            // then refuse every client for the root_fs that is missing.
            throw CliException.usage("box setup: " + root + " is not the root_fs of a sink job in " + config + " ("
                    + sinkRoots.stream().map(DatasetName::value).collect(Collectors.joining(", "))
                    + "); give that, or change the config first");
        }
        // After the config's refusals (exit 2), which say more than a missing user (exit 1) would.
        BoxSetupPlan.User u = BoxUserLookup.lookUp(localOnly ? "root" : user);
        Path state = BoxUserFiles.rootsTarget(
                (stateDir != null ? stateDir : global != null ? global.stateDir() : Global.DEFAULT_STATE_DIR)
                        .toAbsolutePath());
        Path ssh = u.home().resolve(".ssh");
        Path keys = ssh.resolve("authorized_keys");
        try {
            Zfs located = global != null && global.zfsBinary() != null ? new Zfs(global.zfsBinary()) : Zfs.locate();
            // Bounded as the stdinserver will bound it: setup on a suspended pool ends, naming the call that hung.
            Zfs zfs = loaded != null
                    ? LocalZfs.bounded(located, loaded)
                    : located.withCallLimit(
                            ServeLimits.defaults().streamTimeout(),
                            Durations.format(ServeLimits.defaults().streamTimeout())
                                    + " (the default serve.zreplj.stream_timeout)");
            // A whole pool (a local sink's) is its own parent here: zfs cannot create one.
            DatasetName parent = root.parent().orElse(root);
            if (!zfs.exists(parent)) {
                throw CliException.failure("box setup: " + parent + " does not exist: create"
                        + " the pool (or the parent filesystem) first");
            }
            BoxSetupPlan.Found found = new BoxSetupPlan.Found(
                    root,
                    zfs.exists(root),
                    u,
                    u.isRoot() || zfs.canDelegate(),
                    state,
                    BoxUserFiles.ownedWithMode(
                            u, "rwxr-x---", state, state.resolve("metrics"), state.resolve("metrics/clients")),
                    BoxUserFiles.ownedWithMode(u, "rwx------", ssh)
                            && (u.isRoot() || BoxUserFiles.isKeysFileOf(u, keys)),
                    zfs.binary().toString(),
                    loaded == null ? List.of() : recvProperties(loaded, root),
                    Stream.of(state, state.resolve("metrics"), state.resolve("metrics/clients"), ssh, keys)
                            .filter(p -> p != keys || !u.isRoot())
                            .filter(Files::isSymbolicLink)
                            .toList());
            BoxSetupPlan full = BoxSetupPlan.of(found);
            BoxSetupPlan plan = localOnly ? full.rootFsOnly() : full;
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
            // A history copied here from another box (zfs send -R) is protected as it was there only once its marks
            // are the box's again (CopiedMarks); root_fs created just now has none.
            List<CopiedMarks.Mark> copied = found.rootFsExists() ? CopiedMarks.find(zfs, root) : List.of();
            for (CopiedMarks.Mark mark : copied) {
                if (dryRun) {
                    out.println("would take over the copied history's mark: " + mark);
                    continue;
                }
                try {
                    CopiedMarks.adopt(zfs, state, mark);
                } catch (IOException e) {
                    throw CliException.failure(
                            "box setup: cannot lock " + mark.filesystem() + " in " + state + ": " + e.getMessage());
                }
                out.println("took over the copied history's mark: " + mark);
            }
            List<DatasetName> untimed = CopiedMarks.withoutReceiveTimes(state, copied);
            if (!untimed.isEmpty()) {
                out.println("note: " + state.resolve("received") + " has no receive times for " + untimed.size()
                        + " copied filesystem" + (untimed.size() == 1 ? "" : "s") + " (" + untimed.get(0)
                        + (untimed.size() > 1 ? ", ..." : "") + "): the keep floor times them by their creation,"
                        + " which the client chose; copy the old box's state directory here and rename its received/"
                        + " files to this root_fs (docs/box.md, \"Moving the backups to a new box\")");
            }
            if (plan.steps().isEmpty() && copied.isEmpty()) {
                out.println("nothing to change: root_fs " + root
                        + (localOnly ? " is set up" : " and user " + u.name() + " are set up"));
            }
            plan.notes().forEach(n -> out.println("note: " + n));
            BoxSetupPlan.recvPropertiesNotes(
                            found.recvProperties(), zfs.capabilities().recvProperties())
                    .forEach(n -> out.println("note: " + n));
        } catch (ZfsException e) {
            throw CliException.failure("box setup: " + e.getMessage());
        }
        if (localOnly) {
            out.println("note: sink job '" + atRoot.get(0).name() + "' serves local listener '"
                    + atRoot.get(0).listenerName() + "': the agent starts its stdinserver itself, as the agent's user,"
                    + " so it needs no box user, zfs allow, authorized_keys line or sshd block");
        } else {
            out.print(BoxSetupPlan.snippet(u, config));
        }
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
                BoxUserFiles.directories(
                        found.user(),
                        "rwxr-x---",
                        state.getParent(),
                        state.getFileName().toString(),
                        "metrics",
                        "clients");
            case SSH_DIRECTORY -> {
                BoxUserFiles.directories(found.user(), "rwx------", found.user().home(), ".ssh");
                if (!found.user().isRoot()) {
                    BoxUserFiles.authorizedKeys(found.user());
                }
            }
        }
    }

    private static boolean isRoot() {
        return ThisProcess.uid() == 0;
    }
}
