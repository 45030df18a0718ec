package dev.zreplj.config;

import dev.zreplj.protocol.Hello;
import dev.zreplj.protocol.StreamCompression;
import dev.zreplj.pruning.GoRegex;
import dev.zreplj.pruning.GridSpec;
import dev.zreplj.pruning.KeepRule;
import dev.zreplj.zfs.CursorProperty;
import dev.zreplj.zfs.DatasetName;
import dev.zreplj.zfs.InvalidNameException;
import java.io.IOException;
import java.io.StringReader;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Function;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;
import org.jspecify.annotations.Nullable;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.error.Mark;
import org.yaml.snakeyaml.error.MarkedYAMLException;
import org.yaml.snakeyaml.error.YAMLException;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.SequenceNode;

/**
 * Reads zrepl-schema YAML (push and sink jobs) into {@link Config}. Works on the YAML node tree rather than
 * on constructed objects so that every error names FILE:LINE:COLUMN of the offending node.
 */
public final class ConfigLoader {
    /** NAME_MAX (255) less a state file temporary's additions: ".", ".json", 20 digits, ".tmp". */
    private static final int MAX_CLIENT_IDENTITY = 255 - 30;

    private static final List<String> ZREPL_ONLY_JOB_TYPES = List.of("pull", "source");
    private static final List<String> PROTECTION_LEVELS =
            List.of("guarantee_resumability", "guarantee_incremental", "guarantee_nothing");
    private static final List<String> PLACEHOLDER_ENCRYPTION = List.of("unspecified", "inherit", "off");
    private static final Pattern PROPERTY_NAME = Pattern.compile("[a-z][a-z0-9_]*|[a-z0-9_.:-]*:[a-z0-9_.:-]*");
    private static final Pattern SSH_OPTION = Pattern.compile("([A-Za-z][A-Za-z0-9]*)\\s*[= ]\\s*(\\S.*)");
    private static final Pattern HOST_OR_USER = Pattern.compile("[^\\s-][^\\s]*");

    private enum Side {
        SENDER,
        RECEIVER,
        FLOOR,
        /** A snap job's {@code keep}: this machine only, nothing replicated. */
        LOCAL
    }

    public Config load(Path file) throws ConfigException {
        YamlSource src = new YamlSource(file.toString());
        Node root = compose(src, read(file));
        if (root == null) {
            throw new ConfigException(file + ": the config is empty; it needs a 'jobs' list");
        }
        return readConfig(src, file, root);
    }

    private static String read(Path file) throws ConfigException {
        try {
            return Files.readString(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            throw new ConfigException(file + ": cannot read: no such file");
        } catch (AccessDeniedException e) {
            throw new ConfigException(file + ": cannot read: permission denied");
        } catch (CharacterCodingException e) {
            throw new ConfigException(file + ": cannot read: not UTF-8 text");
        } catch (IOException e) {
            throw new ConfigException(file + ": cannot read: " + (e.getMessage() == null ? e : e.getMessage()));
        }
    }

    private static Node compose(YamlSource src, String text) throws ConfigException {
        try {
            return new Yaml(new LoaderOptions()).compose(new StringReader(text));
        } catch (MarkedYAMLException e) {
            // A key without ':' is noticed on the line after it; the context mark is where that key began.
            boolean keyWithoutColon =
                    "could not find expected ':'".equals(e.getProblem()) && e.getContextMark() != null;
            Mark mark = e.getProblemMark() != null && !keyWithoutColon ? e.getProblemMark() : e.getContextMark();
            String problem = e.getProblem() != null
                    ? e.getProblem()
                    : e.getContext() != null ? e.getContext() : String.valueOf(e.getMessage());
            String message = "YAML syntax: " + YamlSyntax.explain(problem, e.getContext());
            throw mark == null ? new ConfigException(src.file() + ": " + message) : src.error(mark, message);
        } catch (YAMLException e) {
            throw new ConfigException(
                    src.file() + ": YAML syntax: " + message(e).replace('\n', ' '));
        }
    }

    private Config readConfig(YamlSource src, Path file, Node root) throws ConfigException {
        YamlMapping top = src.mapping(root, "the config file").allowOnly("global", "jobs", "include");
        Global global = top.has("global") ? readGlobal(top.mapping("global")) : Global.defaults();
        List<JobNode> jobNodes = new ArrayList<>();
        if (top.has("jobs") || !top.has("include")) {
            for (Node n : src.sequence(top.require("jobs"), "'jobs'")) {
                jobNodes.add(new JobNode(src, n));
            }
        }
        if (top.has("include")) {
            jobNodes.addAll(ConfigInclude.jobs(top, file));
        }
        if (jobNodes.isEmpty()) {
            // zrepl loads it too, but neither side of zreplj can do anything with it: agent commands refuse to
            // run without a push job, and every client's forced command fails without a sink job.
            src.warn(
                    top.keyNode(top.has("include") ? "include" : "jobs"),
                    top.has("include")
                            ? "no jobs: 'include' gave none (it reads a directory's *.yml files, not *.yaml) and there is"
                                    + " no 'jobs' list; add a push job (agent) or a sink job (backup box)"
                            : "no jobs: the list is empty; add a push job (agent) or a sink job (backup box)");
        }
        List<Job> jobs = new ArrayList<>();
        Map<String, JobNode> names = new HashMap<>();
        Map<String, String> clientOwners = new HashMap<>();
        List<Jail> jails = new ArrayList<>();
        Map<String, String> checkOrigins = new HashMap<>();
        Map<String, String> cursorProperties = new HashMap<>();
        List<PushJob> pushJobs = new ArrayList<>();
        Map<String, LocalSink> localSinks = new HashMap<>();
        List<LocalPush> localPushes = new ArrayList<>();
        List<JobNode> pushNodes = new ArrayList<>();
        List<SnapJob> snapJobs = new ArrayList<>();
        List<JobNode> snapNodes = new ArrayList<>();
        for (JobNode jn : jobNodes) {
            YamlSource jsrc = jn.src();
            YamlMapping j = jsrc.mapping(jn.node(), "each job");
            Node nameNode = j.require("name");
            String name = jsrc.nonEmptyString(nameNode, "the job name");
            validateIdentifier(jsrc, nameNode, name, "job name");
            if (name.length() > Hello.MAX_JOB_LENGTH) {
                // Else every pass would be refused by the box (HELLO), or fail to name its state file.
                throw jsrc.error(
                        nameNode,
                        "job name '" + name.substring(0, 20) + "...' is longer than " + Hello.MAX_JOB_LENGTH
                                + " characters (the backup box takes no longer one); shorten it");
            }
            if (name.startsWith("_")) {
                throw jsrc.error(
                        nameNode,
                        "job name '" + name + "' starts with '_', which zrepl reserves for internal "
                                + "jobs; rename the job");
            }
            JobNode first = names.putIfAbsent(name, new JobNode(jsrc, nameNode));
            if (first != null) {
                throw jsrc.error(
                        nameNode, "duplicate job name '" + name + "' (first used at " + where(first, jsrc) + ")");
            }
            YamlMapping job = j.as("job '" + name + "'");
            Node typeNode = job.require("type");
            String type = jsrc.nonEmptyString(typeNode, "the job type");
            switch (type) {
                case "push" -> {
                    checkCursorProperty(jsrc, nameNode, name, cursorProperties, names);
                    PushJob push = readPush(job, name, file);
                    warnIfRarerThanStatusAges(job, push.snapshotting(), global.status(), name);
                    Connect.Local local = push.connect().local();
                    if (local != null) {
                        localPushes.add(new LocalPush(
                                name, local, push.filesystems(), job.mapping("connect"), job.keyNode("filesystems")));
                    }
                    JobNode filesystems = new JobNode(jsrc, job.keyNode("filesystems"));
                    warnIfOverlapping(push, filesystems, pushJobs, names);
                    for (int i = 0; i < snapJobs.size(); i++) {
                        warnIfBothPrune(snapJobs.get(i), snapNodes.get(i), push, filesystems, false, names);
                        warnIfPrefixesOverlap(snapJobs.get(i), push, filesystems, false, names);
                    }
                    pushJobs.add(push);
                    pushNodes.add(filesystems);
                    jobs.add(push);
                    checkOrigins.put(name, jsrc.position(job.keyNode("connect")));
                }
                case "sink" -> {
                    SinkJob sink = readSink(job, name, clientOwners, jails);
                    jobs.add(sink);
                    if (sink.isLocal()) {
                        YamlMapping serve = job.mapping("serve");
                        LocalSink other = localSinks.putIfAbsent(
                                sink.listenerName(), new LocalSink(sink, jsrc, job.require("root_fs")));
                        if (other != null) {
                            throw jsrc.error(
                                    serve.require("listener_name"),
                                    "local listener '" + sink.listenerName() + "' is already served by sink job '"
                                            + other.sink().name() + "'; give each local sink its own listener_name");
                        }
                    }
                    if (!sink.recv().overrideProperties().isEmpty()
                            || !sink.recv().inheritProperties().isEmpty()) {
                        checkOrigins.put(name, jsrc.position(job.mapping("recv").keyNode("properties")));
                    }
                }
                case "snap" -> {
                    SnapJob snap = readSnap(job, name);
                    warnIfRarerThanStatusAges(job, snap.snapshotting(), global.status(), name);
                    JobNode filesystems = new JobNode(jsrc, job.keyNode("filesystems"));
                    warnIfOverlapping(snap, filesystems, snapJobs, names);
                    for (int i = 0; i < pushJobs.size(); i++) {
                        warnIfBothPrune(snap, filesystems, pushJobs.get(i), pushNodes.get(i), true, names);
                        warnIfPrefixesOverlap(snap, pushJobs.get(i), filesystems, true, names);
                    }
                    snapJobs.add(snap);
                    snapNodes.add(filesystems);
                    jobs.add(snap);
                }
                default -> {
                    String hint = YamlMapping.nearest(type, List.of("push", "sink", "snap"))
                            .filter(n -> !ZREPL_ONLY_JOB_TYPES.contains(type))
                            .map(n -> "; did you mean '" + n + "'?")
                            .orElse("");
                    throw jsrc.error(
                            typeNode,
                            "job type '" + type + "' is not supported by zreplj (push, sink and snap are)" + hint);
                }
            }
        }
        connectLocalClients(jobs, localSinks, localPushes, clientOwners, jails);
        checkNoFilterSelectsASink(jobs, pushJobs, pushNodes, snapJobs, snapNodes);
        if (!global.monitoring().isEmpty()
                && jobs.stream().noneMatch(j -> j instanceof PushJob || j instanceof SnapJob)) {
            // zrepl's box serves metrics from its daemon; zreplj's box runs no daemon, and a config without a push
            // job is never 'agent run'. Copied over from zrepl, the endpoint would simply never listen.
            src.warn(
                    top.mapping("global").keyNode("monitoring"),
                    "'monitoring' has no effect in zreplj: only 'zreplj agent run' serves metrics, and it runs push"
                            + " and snap jobs, which this config has none of; on the box set"
                            + " global.zreplj.metrics.textfile for node_exporter instead");
        }
        return new Config(file, global, jobs, src.warnings(), checkOrigins);
    }

    /** One entry of a 'jobs' list and the file it is written in (the main config or an included one). */
    record JobNode(YamlSource src, Node node) {}

    /** A client's part of the box, {@code <root_fs>/<client>}, and the sink job that serves it. */
    private record Jail(DatasetName path, String client, String job) {}

    /** A sink of {@code serve.type: local}, where its root_fs is written. */
    private record LocalSink(SinkJob sink, YamlSource src, Node rootNode) {}

    /** A push job of {@code connect.type: local} and its connect block. */
    private record LocalPush(
            String job, Connect.Local local, FilesystemFilter filesystems, YamlMapping connect, Node filterNode) {}

    /**
     * Gives each local sink its clients: the client identities of the push jobs of this config that connect to
     * its listener (zrepl's local sink serves whoever connects; here its clients are known when the config is
     * read, so that every check a stdinserver client gets applies: a jail of its own, not inside another's).
     */
    private static void connectLocalClients(
            List<Job> jobs,
            Map<String, LocalSink> sinks,
            List<LocalPush> pushes,
            Map<String, String> clientOwners,
            List<Jail> jails)
            throws ConfigException {
        Map<String, List<String>> clients = new HashMap<>();
        for (LocalPush p : pushes) {
            Connect.Local local = p.local();
            YamlSource src = p.connect().source();
            LocalSink target = sinks.get(local.listenerName());
            if (target == null) {
                throw src.error(
                        p.connect().require("listener_name"),
                        "no sink job in this config serves local listener '" + local.listenerName()
                                + "' (the local transport reaches only a sink of the same config, with serve: {type:"
                                + " local, listener_name: " + local.listenerName() + "}); add one or fix the name");
            }
            SinkJob sink = target.sink();
            String client = local.clientIdentity();
            Node idNode = p.connect().require("client_identity");
            List<String> mine = clients.computeIfAbsent(sink.name(), k -> new ArrayList<>());
            // Two push jobs of this machine may be one client, as with SSH: their filesystems must be disjoint.
            if (!mine.contains(client)) {
                String owner = clientOwners.putIfAbsent(client, sink.name());
                if (owner != null) {
                    throw src.error(
                            idNode,
                            "client identity '" + client + "' is already served by sink job '" + owner + "'; the box"
                                    + " keeps a client's state by its name, so give this push job another"
                                    + " client_identity");
                }
                checkJail(src, idNode, idNode, sink.rootFs(), client, sink.name(), jails);
                mine.add(client);
            }
            // zrepl's rule that no filter select a sink's root_fs, checked where both are in one config: each pass
            // would otherwise send what it received back to the sink, one level deeper every time.
            DatasetName jail = sink.jail(client);
            if (p.filesystems().accepts(jail)
                    || p.filesystems().named().stream().anyMatch(d -> d.isSelfOrDescendantOf(jail))) {
                throw src.error(
                        p.filterNode(),
                        "push job '" + p.job() + "' selects " + jail + ", where sink job '" + sink.name()
                                + "' keeps its backups: each pass would back them up again; exclude the sink's"
                                + " datasets (\"" + sink.rootFs() + "<\": false)");
            }
        }
        for (LocalSink ls : sinks.values()) {
            SinkJob sink = ls.sink();
            List<String> served = clients.getOrDefault(sink.name(), List.of());
            if (served.isEmpty()) {
                ls.src()
                        .warn(
                                ls.rootNode(),
                                "sink job '" + sink.name() + "' serves local listener '" + sink.listenerName()
                                        + "', which no push job of this config connects to: it receives nothing");
            }
            jobs.set(jobs.indexOf(sink), sink.withClients(served));
        }
    }

    /**
     * zrepl's rule that no job's filter select a sink's root_fs (the sink owns what it received): a push or snap
     * job of the same machine that did would snapshot and prune the received copies, and a snapshot of its own on
     * one fails the sink's next incremental receive.
     */
    private static void checkNoFilterSelectsASink(
            List<Job> jobs,
            List<PushJob> pushJobs,
            List<JobNode> pushNodes,
            List<SnapJob> snapJobs,
            List<JobNode> snapNodes)
            throws ConfigException {
        for (Job job : jobs) {
            if (!(job instanceof SinkJob sink)) {
                continue;
            }
            for (int i = 0; i < pushJobs.size(); i++) {
                checkNotSelected(
                        sink,
                        "push job '" + pushJobs.get(i).name() + "'",
                        pushJobs.get(i).filesystems(),
                        "each pass would snapshot, prune and send the received copies",
                        pushNodes.get(i));
            }
            for (int i = 0; i < snapJobs.size(); i++) {
                checkNotSelected(
                        sink,
                        "snap job '" + snapJobs.get(i).name() + "'",
                        snapJobs.get(i).filesystems(),
                        "it would snapshot and prune the received copies",
                        snapNodes.get(i));
            }
        }
    }

    private static void checkNotSelected(
            SinkJob sink, String job, FilesystemFilter filter, String consequence, JobNode filterNode)
            throws ConfigException {
        Optional<String> selected = filter.acceptsWithin(sink.rootFs());
        if (selected.isPresent()) {
            throw filterNode
                    .src()
                    .error(
                            filterNode.node(),
                            job + " selects " + selected.get() + ", where sink job '" + sink.name()
                                    + "' keeps its backups: " + consequence + ", and a snapshot of its own there"
                                    + " fails the sink's next receive; exclude the sink's datasets (\""
                                    + sink.rootFs() + "<\": false)");
        }
    }

    /** Parses one YAML file of the config (the main one or an included one) into its node tree. */
    static Node composeFile(YamlSource src, Path file) throws ConfigException {
        return compose(src, read(file));
    }

    private static Global readGlobal(YamlMapping g) throws ConfigException {
        g.allowOnly("logging", "monitoring", "control", "serve", "zreplj");
        warnIfSet(g, "logging", "zreplj logs to stderr (the journal under systemd); -v adds detail");
        warnIfSet(g, "control", "zreplj has no daemon control socket; use 'zreplj status' and 'zreplj agent once'");
        warnIfSet(g, "serve", "sshd starts 'zreplj stdinserver' directly, so no stdinserver socket directory is used");
        List<PrometheusListener> monitoring = g.has("monitoring") ? readMonitoring(g) : List.of();
        Optional<YamlMapping> own = g.optionalMapping("zreplj");
        if (own.isEmpty()) {
            return new Global(Global.DEFAULT_STATE_DIR, null, StatusThresholds.DEFAULTS, null, monitoring);
        }
        YamlMapping z = own.get().allowOnly("state_dir", "zfs_binary", "status", "metrics");
        Path stateDir = z.has("state_dir") ? absolutePath(z, "state_dir") : Global.DEFAULT_STATE_DIR;
        Path zfs = z.has("zfs_binary") ? absolutePath(z, "zfs_binary") : null;
        Optional<YamlMapping> status = z.optionalMapping("status");
        Path textfile = null;
        Optional<YamlMapping> metrics = z.optionalMapping("metrics");
        if (metrics.isPresent()) {
            YamlMapping m = metrics.get().allowOnly("textfile");
            if (m.has("textfile")) {
                textfile = absolutePath(m, "textfile");
                if (!textfile.getFileName().toString().endsWith(".prom")) {
                    throw m.source()
                            .error(
                                    m.require("textfile"),
                                    m.label("textfile") + " must end in .prom, the"
                                            + " only files node_exporter's textfile collector reads, not '" + textfile
                                            + "'");
                }
            }
        }
        return new Global(
                stateDir,
                zfs,
                status.isEmpty() ? StatusThresholds.DEFAULTS : readStatus(status.get()),
                textfile,
                monitoring);
    }

    /** zrepl's {@code monitoring: [{type: prometheus, listen: ':9811', listen_freebind: true}]}. */
    private static List<PrometheusListener> readMonitoring(YamlMapping g) throws ConfigException {
        YamlSource src = g.source();
        List<PrometheusListener> out = new ArrayList<>();
        for (Node n : src.sequence(g.require("monitoring"), "'monitoring'")) {
            YamlMapping m = src.mapping(n, "each monitoring entry").allowOnly("type", "listen", "listen_freebind");
            String type = m.string("type");
            if (!type.equals("prometheus")) {
                throw src.error(m.require("type"), "monitoring type '" + type + "' is not supported (prometheus is)");
            }
            Node listenNode = m.require("listen");
            String listen = src.nonEmptyString(listenNode, m.label("listen"));
            int colon = listen.lastIndexOf(':');
            String host = colon < 0 ? "" : listen.substring(0, colon);
            if (host.startsWith("[") && host.endsWith("]")) {
                host = host.substring(1, host.length() - 1);
            }
            int port;
            try {
                port = colon < 0 ? -1 : Integer.parseInt(listen.substring(colon + 1));
            } catch (NumberFormatException e) {
                port = -1;
            }
            if (port < 0 || port > 65535) {
                throw src.error(
                        listenNode,
                        m.label("listen") + " must be HOST:PORT or :PORT (e.g. ':9811'," + " '127.0.0.1:9811'), not '"
                                + listen + "'");
            }
            if (m.bool("listen_freebind", false)) {
                src.warn(
                        m.keyNode("listen_freebind"),
                        "'listen_freebind' has no effect in zreplj: the JDK cannot set"
                                + " IP_FREEBIND; start 'agent run' after the address exists (systemd: After=network-online.target)");
            }
            out.add(new PrometheusListener(host.isEmpty() ? null : host, port, listen));
        }
        return out;
    }

    private static StatusThresholds readStatus(YamlMapping s) throws ConfigException {
        s.allowOnly("warn", "crit");
        Duration warn = s.has("warn") ? duration(s, "warn", true) : StatusThresholds.DEFAULTS.warn();
        Duration crit = s.has("crit") ? duration(s, "crit", true) : StatusThresholds.DEFAULTS.crit();
        try {
            return new StatusThresholds(warn, crit);
        } catch (IllegalArgumentException e) {
            String key = s.has("crit") ? "crit" : "warn";
            throw s.source().error(s.require(key), "global.zreplj.status." + key + ": " + e.getMessage());
        }
    }

    // ---- push ----

    private PushJob readPush(YamlMapping j, String name, Path file) throws ConfigException {
        j.allowOnly(
                "name",
                "type",
                "connect",
                "filesystems",
                "snapshotting",
                "send",
                "replication",
                "conflict_resolution",
                "pruning",
                "debug");
        warnIfSet(j, "debug", "zreplj ignores it; use -v for detail");
        Connect connect = readConnect(j.mapping("connect"), file);
        FilesystemFilter filesystems = readFilter(j.source(), j.require("filesystems"));
        Snapshotting snapshotting = readSnapshotting(j.mapping("snapshotting"));
        SendOptions send = j.has("send") ? readSend(j.mapping("send")) : SendOptions.defaults();
        ReplicationOptions replication =
                j.has("replication") ? readReplication(j.mapping("replication")) : ReplicationOptions.defaults();
        ConflictResolution conflict = j.has("conflict_resolution")
                ? readConflict(j.mapping("conflict_resolution"))
                : ConflictResolution.defaults();
        YamlMapping p = j.mapping("pruning").allowOnly("keep_sender", "keep_receiver");
        Pruning pruning =
                new Pruning(readRules(p, "keep_sender", Side.SENDER), readRules(p, "keep_receiver", Side.RECEIVER));
        if (!j.mapping("connect").has("channels")) {
            // zrepl's parallel steps: each step runs on its own channel, which is one stdinserver JVM on the box.
            connect = connect.withChannels(replication.concurrencySteps());
        }
        return new PushJob(name, connect, filesystems, snapshotting, send, replication, conflict, pruning);
    }

    // ---- snap ----

    /** zrepl's push-job keys that a snap job has not got, which zrepl refuses as unknown. */
    private static final List<String> PUSH_ONLY_KEYS = List.of("connect", "send", "replication", "conflict_resolution");

    private SnapJob readSnap(YamlMapping j, String name) throws ConfigException {
        for (String key : PUSH_ONLY_KEYS) {
            if (j.has(key)) {
                // zrepl's strict parser refuses the key too; say why rather than only list the allowed keys.
                throw j.source()
                        .error(
                                j.keyNode(key),
                                "'" + key + "' is a push job's key: a snap job only snapshots and prunes this machine"
                                        + " (zrepl refuses it too); remove it, or make the job type: push");
            }
        }
        j.allowOnly("name", "type", "filesystems", "snapshotting", "pruning");
        FilesystemFilter filesystems = readFilter(j.source(), j.require("filesystems"));
        YamlMapping s = j.mapping("snapshotting");
        if (s.has("max_unreplicated")) {
            throw s.source()
                    .error(
                            s.keyNode("max_unreplicated"),
                            "'max_unreplicated' has no meaning in a snap job: it caps the snapshots a push job has"
                                    + " not replicated yet, and a snap job replicates nothing; remove it");
        }
        Snapshotting snapshotting = readSnapshotting(s);
        YamlMapping p = j.mapping("pruning");
        for (String key : List.of("keep_sender", "keep_receiver")) {
            if (p.has(key)) {
                throw p.source()
                        .error(
                                p.keyNode(key),
                                "'" + key + "' is a push job's: a snap job prunes only this machine, by the rules"
                                        + " under 'pruning.keep' (as in zrepl); rename it to 'keep'");
            }
        }
        p.allowOnly("keep");
        return new SnapJob(name, filesystems, snapshotting, readRules(p, "keep", Side.LOCAL));
    }

    private static Connect readConnect(YamlMapping c, Path file) throws ConfigException {
        YamlSource src = c.source();
        Node typeNode = c.require("type");
        String type = src.nonEmptyString(typeNode, "the connect type");
        if (type.equals("local")) {
            return readLocalConnect(c, file);
        }
        if (!type.equals("ssh+stdinserver")) {
            throw src.error(
                    typeNode, "connect type '" + type + "' is not supported by zreplj (ssh+stdinserver and local are)");
        }
        c.allowOnly(
                "type",
                "host",
                "user",
                "port",
                "identity_file",
                "options",
                "dial_timeout",
                "transport_open_command",
                "ssh_command",
                "known_hosts",
                "host_key_policy",
                "channels",
                "stream_compression",
                "ssh_client");
        for (String unused : List.of("transport_open_command", "ssh_command")) {
            warnIfSet(c, unused, "zrepl ignores it too; zreplj connects with the client 'ssh_client' names");
        }
        Connect.SshClient client = Connect.SshClient.BUILTIN;
        if (c.has("ssh_client")) {
            String v = c.string("ssh_client");
            client = switch (v) {
                case "builtin" -> Connect.SshClient.BUILTIN;
                case "openssh" -> Connect.SshClient.OPENSSH;
                default ->
                    throw src.error(
                            c.require("ssh_client"), "'ssh_client' must be builtin or openssh, not '" + v + "'");
            };
        }
        String host = hostOrUser(c, "host");
        String user = hostOrUser(c, "user");
        int port = c.has("port") ? (int) ranged(c, "port", 1, 65535) : 22;
        Path identity = absolutePath(c, "identity_file");
        List<String> options = new ArrayList<>();
        List<Node> optionNodes = new ArrayList<>();
        List<String> asGiven = new ArrayList<>();
        if (c.has("options")) {
            for (Node o : src.sequence(c.require("options"), "'options'")) {
                var m = SSH_OPTION.matcher(
                        src.nonEmptyString(o, "each ssh option").strip());
                if (!m.matches()) {
                    throw src.error(o, "ssh option '" + src.string(o, "") + "' is not of the form Key=Value");
                }
                options.add(m.group(1) + "=" + m.group(2));
                optionNodes.add(o);
                asGiven.add(src.string(o, "").strip());
            }
        }
        Duration dialTimeout = c.has("dial_timeout") ? duration(c, "dial_timeout", false) : Duration.ofSeconds(10);
        for (int i = 0; i < options.size(); i++) {
            int at = i;
            String key = options.get(i).substring(0, options.get(i).indexOf('='));
            String option = asGiven.get(i);
            Optional<SshOptions.Problem> problem = client == Connect.SshClient.OPENSSH
                    ? SshOptions.openSshProblem(option)
                    : SshOptions.problem(option).or(() -> SshOptions.repeatProblem(asGiven, at));
            if (problem.isPresent() && problem.get().error()) {
                throw src.error(optionNodes.get(i), problem.get().message());
            } else if (problem.isPresent()) {
                src.warn(optionNodes.get(i), problem.get().message());
            } else if (key.toLowerCase(Locale.ROOT).equals("connecttimeout") && !dialTimeout.isZero()) {
                src.warn(
                        optionNodes.get(i),
                        "'" + key + "' in 'options' has no effect in zreplj: dial_timeout (default 10s) is the"
                                + " connect timeout; set that instead");
            }
        }
        Path knownHosts = c.has("known_hosts")
                ? absolutePath(c, "known_hosts")
                : Path.of(System.getProperty("user.home"), ".ssh", "known_hosts");
        Connect.HostKeyPolicy policy = Connect.HostKeyPolicy.STRICT;
        if (c.has("host_key_policy")) {
            String v = c.string("host_key_policy");
            policy = switch (v) {
                case "strict" -> Connect.HostKeyPolicy.STRICT;
                case "accept-new" -> Connect.HostKeyPolicy.ACCEPT_NEW;
                default ->
                    throw src.error(
                            c.require("host_key_policy"),
                            "'host_key_policy' must be strict or accept-new, not '" + v + "'");
            };
        }
        int channels = c.has("channels")
                ? (int) ranged(c, "channels", 1, Integer.MAX_VALUE)
                : ReplicationOptions.defaults().concurrencySteps();
        StreamCompression compression = StreamCompression.AUTO;
        if (c.has("stream_compression")) {
            String v = c.string("stream_compression");
            compression = switch (v) {
                case "auto" -> StreamCompression.AUTO;
                case "on" -> StreamCompression.ON;
                case "off" -> StreamCompression.OFF;
                default ->
                    throw src.error(
                            c.require("stream_compression"),
                            "'stream_compression' must be auto, on or off, not '" + v + "'");
            };
        }
        return new Connect(
                host, user, port, identity, options, dialTimeout, knownHosts, policy, channels, compression, client);
    }

    /** The keys of {@code connect: {type: local}}: zrepl's and zreplj's {@code channels}. */
    private static final List<String> LOCAL_CONNECT_KEYS =
            List.of("type", "listener_name", "client_identity", "dial_timeout", "channels");

    /** zrepl's {@code connect: {type: local}}: a sink job of the same config, found by its listener_name. */
    private static Connect readLocalConnect(YamlMapping c, Path file) throws ConfigException {
        YamlSource src = c.source();
        for (var e : c.entries().entrySet()) {
            if (!LOCAL_CONNECT_KEYS.contains(e.getKey())) {
                // zrepl refuses unknown keys too; an SSH key here most likely means the type is wrong.
                throw src.error(
                        e.getValue().getKeyNode(),
                        "'" + e.getKey() + "' is not a key of connect type local (it takes "
                                + String.join(", ", LOCAL_CONNECT_KEYS.subList(1, LOCAL_CONNECT_KEYS.size()))
                                + "); remove it, or use type ssh+stdinserver to reach another machine");
            }
        }
        Node listenerNode = c.require("listener_name");
        String listener = src.nonEmptyString(listenerNode, "'listener_name'");
        validateIdentifier(src, listenerNode, listener, "listener_name");
        Node idNode = c.require("client_identity");
        String client = src.nonEmptyString(idNode, "'client_identity'");
        validateIdentifier(src, idNode, client, "client identity");
        if (c.has("dial_timeout")) {
            duration(c, "dial_timeout", false);
            warnIfSet(
                    c,
                    "dial_timeout",
                    "the local transport starts the sink's stdinserver here, bounded by replication.timeout");
        }
        int channels = c.has("channels")
                ? (int) ranged(c, "channels", 1, Integer.MAX_VALUE)
                : ReplicationOptions.defaults().concurrencySteps();
        return Connect.local(listener, client, file.toAbsolutePath().normalize(), channels);
    }

    private static String hostOrUser(YamlMapping c, String key) throws ConfigException {
        String v = c.string(key);
        if (!HOST_OR_USER.matcher(v).matches()) {
            throw c.source()
                    .error(c.require(key), c.label(key) + " '" + v + "' must not contain spaces or start with '-'");
        }
        return v;
    }

    private static FilesystemFilter readFilter(YamlSource src, Node node) throws ConfigException {
        YamlMapping f = src.mapping(node, "'filesystems'");
        if (f.entries().isEmpty()) {
            throw src.error(node, "'filesystems' is empty, so the job would select nothing");
        }
        Map<String, Boolean> rules = new LinkedHashMap<>();
        for (Map.Entry<String, NodeTuple> e : f.entries().entrySet()) {
            String key = e.getKey();
            Node keyNode = e.getValue().getKeyNode();
            if (!key.equals(FilesystemFilter.SUBTREE)) {
                String base = key.endsWith(FilesystemFilter.SUBTREE) ? key.substring(0, key.length() - 1) : key;
                if (base.contains(FilesystemFilter.SUBTREE)) {
                    throw src.error(keyNode, "filesystems key '" + key + "': '<' is allowed only once, at the end");
                }
                try {
                    DatasetName.of(base);
                } catch (InvalidNameException ex) {
                    throw src.error(keyNode, "filesystems key '" + key + "': " + ex.getMessage());
                }
            }
            rules.put(key, src.bool(e.getValue().getValueNode(), "the value of filesystems key '" + key + "'"));
        }
        return new FilesystemFilter(rules);
    }

    private static Snapshotting readSnapshotting(YamlMapping s) throws ConfigException {
        YamlSource src = s.source();
        Node typeNode = s.require("type");
        String type = src.nonEmptyString(typeNode, "the snapshotting type");
        switch (type) {
            case "manual" -> {
                s.allowOnly("type");
                return new Snapshotting(
                        Snapshotting.Type.MANUAL, null, null, null, null, Snapshotting.DEFAULT_MAX_UNREPLICATED);
            }
            case "periodic" ->
                s.allowOnly(
                        "type",
                        "prefix",
                        "interval",
                        "timestamp_format",
                        "utc_timestamp_format",
                        "timestamp_location",
                        "hooks",
                        "max_unreplicated");
            case "cron" ->
                s.allowOnly(
                        "type",
                        "prefix",
                        "cron",
                        "timestamp_format",
                        "utc_timestamp_format",
                        "timestamp_location",
                        "hooks",
                        "max_unreplicated");
            default ->
                throw src.error(
                        typeNode, "snapshotting type '" + type + "' is not known (periodic, cron and manual are)");
        }
        List<SnapshotHook> hooks = s.has("hooks") ? readHooks(src, s.require("hooks")) : List.of();
        Node prefixNode = s.require("prefix");
        String prefix = src.nonEmptyString(prefixNode, "'prefix'");
        validateName(src, prefixNode, prefix, "snapshot prefix");
        if (s.has("timestamp_format") && s.has("utc_timestamp_format")) {
            throw src.error(
                    s.keyNode("utc_timestamp_format"),
                    "give either 'timestamp_format' or 'utc_timestamp_format', not both");
        }
        String noTimestamp = "no timestamp (every snapshot named its prefix alone), not as the default "
                + SnapshotNaming.DEFAULT_FORMAT + "; write a format";
        Optional<String> utcFormat = s.optionalStringNotEmpty("utc_timestamp_format", noTimestamp);
        Optional<String> plainFormat = s.optionalStringNotEmpty("timestamp_format", noTimestamp);
        String formatKey = utcFormat.isPresent() ? "utc_timestamp_format" : "timestamp_format";
        String format = utcFormat.or(() -> plainFormat).orElse(SnapshotNaming.DEFAULT_FORMAT);
        String location = s.optionalString("timestamp_location").orElse(SnapshotNaming.DEFAULT_LOCATION);
        try {
            SnapshotNaming.of(prefix, format);
        } catch (IllegalArgumentException e) {
            throw src.error(s.get(formatKey).orElse(prefixNode), message(e));
        }
        if (s.has("timestamp_location")) {
            try {
                SnapshotNaming.of(prefix, format, location);
            } catch (IllegalArgumentException e) {
                throw src.error(s.require("timestamp_location"), message(e));
            }
        }
        int maxUnreplicated = s.has("max_unreplicated")
                ? (int) ranged(s, "max_unreplicated", 1, Integer.MAX_VALUE)
                : Snapshotting.DEFAULT_MAX_UNREPLICATED;
        if (type.equals("periodic")) {
            return new Snapshotting(
                    Snapshotting.Type.PERIODIC,
                    prefix,
                    duration(s, "interval", true),
                    null,
                    format,
                    location,
                    maxUnreplicated,
                    hooks);
        }
        String cron = s.string("cron");
        try {
            CronSchedule.parse(cron);
        } catch (IllegalArgumentException e) {
            throw src.error(s.require("cron"), message(e));
        }
        return new Snapshotting(Snapshotting.Type.CRON, prefix, null, cron, format, location, maxUnreplicated, hooks);
    }

    private static List<SnapshotHook> readHooks(YamlSource src, Node node) throws ConfigException {
        List<SnapshotHook> hooks = new ArrayList<>();
        for (Node n : src.sequence(node, "'hooks'")) {
            YamlMapping h = src.mapping(n, "each hook");
            Node typeNode = h.require("type");
            String type = src.nonEmptyString(typeNode, "the hook type");
            switch (type) {
                case "command" -> h.allowOnly("type", "path", "timeout", "err_is_fatal", "filesystems");
                case "postgres-checkpoint" ->
                    throw src.error(
                            typeNode,
                            "hook type 'postgres-checkpoint' is not "
                                    + "supported by zreplj; use a 'command' hook whose script runs CHECKPOINT (e.g. with psql)");
                case "mysql-lock-tables" ->
                    throw src.error(
                            typeNode,
                            "hook type 'mysql-lock-tables' is not supported "
                                    + "by zreplj: it must hold a connection open across the snapshot; stop writes or use a "
                                    + "'command' hook pair (pre: lock via a helper that keeps its session, post: release it)");
                default ->
                    throw src.error(
                            typeNode,
                            "unknown hook type '" + type + "'"
                                    + YamlMapping.suggestion(
                                            type, List.of("command", "postgres-checkpoint", "mysql-lock-tables")));
            }
            Path path = absolutePath(h, "path");
            Duration timeout = h.has("timeout") ? duration(h, "timeout", true) : SnapshotHook.DEFAULT_TIMEOUT;
            FilesystemFilter filter;
            if (!h.entries().containsKey("filesystems")) {
                filter = new FilesystemFilter(Map.of(FilesystemFilter.SUBTREE, true));
            } else if (YamlMapping.isNull(h.require("filesystems"))
                    || (h.require("filesystems") instanceof MappingNode m
                            && m.getValue().isEmpty())) {
                // zrepl reads an empty filter (null too: a nil map) as matching nothing, so the hook never runs;
                // the default, all filesystems, applies only where the key is left out.
                throw src.error(
                        h.keyNode("filesystems"),
                        "the hook's 'filesystems' is empty, so it would run for no filesystem (zrepl never runs"
                                + " it); name the filesystems it is for, or remove the key to run it for all");
            } else {
                filter = readFilter(src, h.require("filesystems"));
            }
            hooks.add(new SnapshotHook(path, timeout, h.bool("err_is_fatal", false), filter));
        }
        return hooks;
    }

    private static SendOptions readSend(YamlMapping s) throws ConfigException {
        s.allowOnly(
                "encrypted",
                "raw",
                "send_properties",
                "backup_properties",
                "large_blocks",
                "compressed",
                "embedded_data",
                "saved",
                "bandwidth_limit",
                "decrypt");
        BandwidthLimit limit = s.has("bandwidth_limit")
                ? readBandwidthLimit(s.mapping("bandwidth_limit"))
                : BandwidthLimit.unlimited();
        boolean decrypt = s.bool("decrypt", false);
        for (String rawKey : List.of("encrypted", "raw")) {
            if (decrypt && s.bool(rawKey, false)) {
                throw s.source()
                        .error(
                                s.keyNode("decrypt"),
                                "'decrypt: true' sends decrypted, '" + rawKey
                                        + ": true' sends raw; set only one of them");
            }
        }
        if (s.bool("saved", false)) {
            throw s.source()
                    .error(
                            s.keyNode("saved"),
                            "'saved: true' sends the saved state of a partially received filesystem (zfs send -S);"
                                    + " zreplj's push sends only a source's own snapshots and cannot send it (a box"
                                    + " that pushes on what it received waits for the receive to complete); remove"
                                    + " it");
        }
        if (s.bool("raw", false) && !s.bool("encrypted", false)) {
            // zrepl refuses an encrypted filesystem then ("policy mandates raw+unencrypted sends"); zreplj
            // sends it raw, which keeps it encrypted: deliberate, but a zrepl user should hear of it.
            s.source()
                    .warn(
                            s.keyNode("raw"),
                            "'raw: true' without 'encrypted: true' sends encrypted filesystems too in zreplj (raw, so"
                                    + " the box never sees their key or plaintext), where zrepl refuses them; remove"
                                    + " them from 'filesystems' if they must not reach the box");
        }
        return new SendOptions(
                s.bool("encrypted", false),
                s.bool("raw", false),
                s.bool("send_properties", false),
                s.bool("backup_properties", false),
                s.bool("large_blocks", false),
                s.bool("compressed", false),
                s.bool("embedded_data", false),
                decrypt,
                limit);
    }

    private static BandwidthLimit readBandwidthLimit(YamlMapping b) throws ConfigException {
        b.allowOnly("max", "bucket_capacity");
        long max = -1;
        if (b.has("max")) {
            double bytes = dataSize(b, "max");
            if (bytes >= 0 && bytes < 1) {
                throw b.source()
                        .error(
                                b.require("max"),
                                "'max' is less than one byte per second; give at least 1 B "
                                        + "(or -1 B for no limit)");
            }
            max = bytes < 0 ? -1 : (long) bytes;
        }
        long capacity = BandwidthLimit.DEFAULT_BUCKET_CAPACITY;
        if (b.has("bucket_capacity")) {
            double bytes = dataSize(b, "bucket_capacity");
            if (bytes < 1) {
                throw b.source().error(b.require("bucket_capacity"), "'bucket_capacity' must be at least 1 B");
            }
            capacity = (long) bytes;
        }
        return new BandwidthLimit(max, capacity);
    }

    private static double dataSize(YamlMapping m, String key) throws ConfigException {
        Node n = m.require(key);
        try {
            return BandwidthLimit.parseBytes(m.source().nonEmptyString(n, m.label(key)));
        } catch (IllegalArgumentException e) {
            throw m.source().error(n, m.label(key) + ": " + e.getMessage());
        }
    }

    private static ReplicationOptions readReplication(YamlMapping r) throws ConfigException {
        r.allowOnly("protection", "concurrency", "timeout", "attempts", "retry_backoff");
        if (r.has("protection")) {
            warnIfSet(
                    r,
                    "protection",
                    "zreplj always protects the incremental base (its replication cursor, a bookmark or hold) and"
                            + " resumes a cut step from the box's resume token where zfs can, but takes no step holds:"
                            + " a partial receive is kept from its own pruning only (another tool that destroys the"
                            + " step's snapshot restarts it); guarantee_incremental does not let it prune unreplicated"
                            + " snapshots, and guarantee_nothing still leaves cursors and the box's last-received"
                            + " holds; remove it");
            YamlMapping p = r.mapping("protection").allowOnly("initial", "incremental");
            for (String key : List.of("initial", "incremental")) {
                if (p.has(key)) {
                    oneOf(p, key, PROTECTION_LEVELS);
                }
            }
        }
        int steps = ReplicationOptions.defaults().concurrencySteps();
        if (r.has("concurrency")) {
            YamlMapping c = r.mapping("concurrency").allowOnly("steps", "size_estimates");
            if (c.has("steps")) {
                steps = (int) ranged(c, "steps", 1, 1024);
            }
            if (c.has("size_estimates")) {
                ranged(c, "size_estimates", 1, 1024);
                warnIfSet(c, "size_estimates", "zreplj estimates each step's size just before sending it; remove it");
            }
        }
        ReplicationOptions defaults = ReplicationOptions.defaults();
        Duration timeout = r.has("timeout") ? duration(r, "timeout", true) : defaults.timeout();
        int attempts = r.has("attempts") ? (int) ranged(r, "attempts", 1, 100) : defaults.attempts();
        Duration backoff = r.has("retry_backoff") ? duration(r, "retry_backoff", false) : defaults.retryBackoff();
        return new ReplicationOptions(steps, timeout, attempts, backoff);
    }

    private static ConflictResolution readConflict(YamlMapping c) throws ConfigException {
        c.allowOnly("initial_replication", "allow_rollback");
        ConflictResolution.InitialReplication initial =
                ConflictResolution.defaults().initialReplication();
        if (c.has("initial_replication")) {
            String v = oneOf(c, "initial_replication", List.of("most_recent", "all", "fail"));
            initial = ConflictResolution.InitialReplication.valueOf(v.toUpperCase(Locale.ROOT));
        }
        return new ConflictResolution(initial, c.bool("allow_rollback", false));
    }

    // ---- keep rules ----

    /**
     * A YAML list of keep rules on its own ({@code test prune --rules}), read exactly as {@code keep_sender}
     * is in a config; errors are {@code FILE:LINE:COLUMN: message} as configcheck's.
     *
     * @param file the name errors show
     */
    public List<KeepRule> loadKeepRules(String file, String text) throws ConfigException {
        YamlSource src = new YamlSource(file);
        Node root = compose(src, text);
        if (root == null) {
            throw new ConfigException(file + ":1:1: the rules file is empty; expected a YAML list of keep rules");
        }
        if (!(root instanceof SequenceNode)) {
            throw src.error(
                    root,
                    "expected a YAML list of keep rules (keep_sender/keep_receiver syntax), e.g. '- type: last_n'");
        }
        return readRules(src, root, "the rules file", Side.SENDER);
    }

    private List<KeepRule> readRules(YamlMapping parent, String key, Side side) throws ConfigException {
        return readRules(parent.source(), parent.require(key), parent.label(key), side);
    }

    private List<KeepRule> readRules(YamlSource src, Node list, String what, Side side) throws ConfigException {
        List<KeepRule> rules = new ArrayList<>();
        for (Node n : src.sequence(list, what)) {
            YamlMapping r = src.mapping(n, "each keep rule");
            Node typeNode = r.require("type");
            String type = src.nonEmptyString(typeNode, "the keep rule type");
            rules.add(
                    switch (type) {
                        case "not_replicated" -> {
                            r.allowOnly("type", "keep_snapshot_at_cursor");
                            if (side == Side.LOCAL) {
                                // zrepl's snap job refuses it when it builds the job (configcheck too): "single-site
                                // pruner cannot support `not_replicated` keep rule".
                                throw src.error(
                                        typeNode,
                                        "keep rule 'not_replicated' is not allowed in a snap job: it replicates"
                                                + " nothing, so no snapshot is ever replicated (zrepl refuses it too);"
                                                + " remove it, or prune in the push job's keep_sender instead");
                            }
                            if (side != Side.SENDER) {
                                throw src.error(typeNode, "keep rule 'not_replicated' is allowed only in keep_sender");
                            }
                            yield new KeepRule.NotReplicated(r.bool("keep_snapshot_at_cursor", true));
                        }
                        case "last_n" -> {
                            if (side == Side.FLOOR) {
                                // The client chooses what it sends: N junk snapshots would be the N a count keeps.
                                throw src.error(
                                        typeNode,
                                        "keep rule 'last_n' is not allowed in keep_floor: a client can send"
                                                + " junk snapshots that a count keeps instead of the real ones; use a grid rule (the box"
                                                + " times it by its own receive clock)");
                            }
                            r.allowOnly("type", "count", "regex");
                            int count = (int) ranged(r, "count", 1, Integer.MAX_VALUE);
                            // zrepl: the regex is optional, and an empty one (keep_last_n_test.go) matches every name.
                            boolean filtered = r.has("regex")
                                    && !src.string(r.require("regex"), r.label("regex"))
                                            .isEmpty();
                            yield new KeepRule.LastN(count, filtered ? regex(r, true) : null);
                        }
                        case "grid" -> {
                            r.allowOnly("type", "grid", "regex");
                            // zrepl's keep_grid.go refuses only the empty string: a grid over every snapshot says '.*'.
                            Pattern regex = regex(r, false);
                            String spec = r.string("grid");
                            try {
                                yield new KeepRule.Grid(regex, GridSpec.parse(spec));
                            } catch (IllegalArgumentException e) {
                                throw src.error(r.require("grid"), "invalid grid '" + spec + "': " + e.getMessage());
                            }
                        }
                        case "regex" -> {
                            r.allowOnly("type", "regex", "negate");
                            // zrepl compiles whatever it is given: "" matches every name, " " those with a space.
                            yield new KeepRule.Regex(regex(r, true), r.bool("negate", false));
                        }
                        default ->
                            throw src.error(
                                    typeNode,
                                    "unknown keep rule type '" + type + "'"
                                            + YamlMapping.suggestion(
                                                    type, List.of("not_replicated", "last_n", "grid", "regex")));
                    });
        }
        return rules;
    }

    /** The rule's {@code regex} as Go compiles it; blank ones are patterns too, the empty one only if allowed. */
    private static Pattern regex(YamlMapping r, boolean emptyAllowed) throws ConfigException {
        Node node = r.require("regex");
        String text = r.source().string(node, r.label("regex"));
        if (text.isEmpty() && !emptyAllowed) {
            throw r.source().error(node, r.label("regex") + " must not be empty; use '.*' for all snapshots");
        }
        try {
            return GoRegex.compile(text);
        } catch (PatternSyntaxException e) {
            throw r.source().error(r.require("regex"), "invalid regex '" + text + "': " + e.getDescription());
        }
    }

    // ---- sink ----

    private SinkJob readSink(YamlMapping j, String name, Map<String, String> clientOwners, List<Jail> jails)
            throws ConfigException {
        YamlSource src = j.source();
        j.allowOnly("name", "type", "serve", "root_fs", "recv", "policy", "debug");
        warnIfSet(j, "debug", "zreplj ignores it; use -v for detail");
        YamlMapping serve = j.mapping("serve");
        Node typeNode = serve.require("type");
        String type = src.nonEmptyString(typeNode, "the serve type");
        if (type.equals("local")) {
            return readLocalSink(j, name, serve);
        }
        if (!type.equals("stdinserver")) {
            throw src.error(
                    typeNode, "serve type '" + type + "' is not supported by zreplj (stdinserver and local are)");
        }
        serve.allowOnly("type", "client_identities", "restore", "zreplj");
        List<Node> idNodes = src.sequence(serve.require("client_identities"), "'client_identities'");
        if (idNodes.isEmpty()) {
            throw src.error(
                    serve.require("client_identities"),
                    "'client_identities' is empty; list the clients " + "this sink serves");
        }
        List<String> clients = new ArrayList<>();
        for (Node idNode : idNodes) {
            String id = src.nonEmptyString(idNode, "each client identity");
            validateIdentifier(src, idNode, id, "client identity");
            String owner = clientOwners.putIfAbsent(id, name);
            if (owner != null) {
                throw src.error(
                        idNode,
                        "client identity '" + id + "' is already served by "
                                + (owner.equals(name) ? "this job" : "sink job '" + owner + "'"));
            }
            clients.add(id);
        }
        Node rootNode = j.require("root_fs");
        DatasetName root;
        try {
            root = DatasetName.of(src.nonEmptyString(rootNode, "'root_fs'"));
        } catch (InvalidNameException e) {
            throw src.error(rootNode, "'root_fs': " + e.getMessage());
        }
        for (int i = 0; i < clients.size(); i++) {
            checkJail(src, idNodes.get(i), rootNode, root, clients.get(i), name, jails);
        }
        return readSinkRest(j, name, serve, root, clients, null);
    }

    /**
     * zrepl's {@code serve: {type: local}}: a sink for the push jobs of this config that connect to its
     * listener_name; its clients are filled in once every job is read.
     */
    private SinkJob readLocalSink(YamlMapping j, String name, YamlMapping serve) throws ConfigException {
        YamlSource src = j.source();
        serve.allowOnly("type", "listener_name", "restore", "zreplj");
        Node listenerNode = serve.require("listener_name");
        String listener = src.nonEmptyString(listenerNode, "'listener_name'");
        validateIdentifier(src, listenerNode, listener, "listener_name");
        Node rootNode = j.require("root_fs");
        DatasetName root;
        try {
            root = DatasetName.of(src.nonEmptyString(rootNode, "'root_fs'"));
        } catch (InvalidNameException e) {
            throw src.error(rootNode, "'root_fs': " + e.getMessage());
        }
        return readSinkRest(j, name, serve, root, List.of(), listener);
    }

    /**
     * Checks client {@code client}'s jail {@code <root>/<client>} against zfs's limits and every jail before it,
     * and adds it to {@code jails}. A client's jail is all the box checks its requests against: one that holds
     * another client's jail would let that client list, restore and destroy the other's backups as its own.
     */
    private static void checkJail(
            YamlSource src, Node idNode, Node rootNode, DatasetName root, String client, String name, List<Jail> jails)
            throws ConfigException {
        DatasetName jail;
        try {
            jail = root.child(client);
        } catch (InvalidNameException e) {
            // A name zfs cannot take (too long with root_fs before it): one the box could never create.
            throw src.error(idNode, "client identity too long: its jail " + message(e) + "; use a shorter one");
        }
        // A jail with no room for "/x" below it receives nothing: every client filesystem would be refused.
        if (jail.toString().length() > 255 - 2) {
            throw src.error(
                    idNode,
                    "client identity too long: its jail '" + jail + "' leaves no room below it for a received"
                            + " filesystem within zfs's 255 characters; use a shorter one");
        }
        // The box names per-client state files after the identity; the longest is a state file's temporary
        // (StateFiles: "." + ID + ".json" + up to 20 random digits + ".tmp"), which must fit NAME_MAX (255).
        if (client.length() > MAX_CLIENT_IDENTITY) {
            throw src.error(
                    idNode,
                    "client identity too long: " + client.length() + " characters, the box's state files named"
                            + " after it allow " + MAX_CLIENT_IDENTITY + "; use a shorter one");
        }
        Jail mine = new Jail(jail, client, name);
        for (Jail other : jails) {
            boolean mineInside = mine.path().isSelfOrDescendantOf(other.path());
            if (mineInside || other.path().isSelfOrDescendantOf(mine.path())) {
                Jail inner = mineInside ? mine : other;
                Jail outer = mineInside ? other : mine;
                throw src.error(
                        rootNode,
                        "client '" + inner.client() + "' of sink job '" + inner.job() + "' would keep its backups"
                                + " in " + inner.path() + ", inside client '" + outer.client() + "''s part "
                                + outer.path() + " (sink job '" + outer.job() + "'), which could then read and"
                                + " destroy them; give the sink jobs root_fs datasets outside each other's client"
                                + " datasets");
            }
        }
        jails.add(mine);
    }

    /** What a sink job has whatever its serve type: recv, policy, limits. */
    private SinkJob readSinkRest(
            YamlMapping j,
            String name,
            YamlMapping serve,
            DatasetName root,
            List<String> clients,
            @Nullable String listener)
            throws ConfigException {
        RecvOptions recv = j.has("recv") ? readRecv(j.mapping("recv")) : RecvOptions.defaults();
        List<KeepRule> floor = List.of();
        if (j.has("policy")) {
            YamlMapping policy = j.mapping("policy").allowOnly("keep_floor");
            if (policy.has("keep_floor")) {
                floor = readRules(policy, "keep_floor", Side.FLOOR);
                if (floor.isEmpty()) {
                    // An empty keep list keeps everything (zrepl's meaning); SinkJob's empty floor means none.
                    floor = List.of(new KeepRule.Regex(Pattern.compile(".*"), false));
                }
            }
        }
        ServeLimits limits = serve.has("zreplj") ? readServeLimits(serve.mapping("zreplj")) : ServeLimits.defaults();
        return new SinkJob(name, root, clients, recv, floor, limits, serve.bool("restore", true), listener);
    }

    private static ServeLimits readServeLimits(YamlMapping z) throws ConfigException {
        z.allowOnly("idle_timeout", "stream_timeout", "max_channels", "max_receives");
        ServeLimits d = ServeLimits.defaults();
        return new ServeLimits(
                z.has("idle_timeout") ? duration(z, "idle_timeout", true) : d.idleTimeout(),
                z.has("stream_timeout") ? duration(z, "stream_timeout", true) : d.streamTimeout(),
                z.has("max_channels") ? (int) ranged(z, "max_channels", 1, 1000) : d.maxChannels(),
                z.has("max_receives") ? (int) ranged(z, "max_receives", 1, ServeLimits.BOX_RECEIVES) : d.maxReceives());
    }

    private static RecvOptions readRecv(YamlMapping r) throws ConfigException {
        YamlSource src = r.source();
        r.allowOnly("properties", "placeholder", "bandwidth_limit");
        BandwidthLimit limit = r.has("bandwidth_limit")
                ? readBandwidthLimit(r.mapping("bandwidth_limit"))
                : BandwidthLimit.unlimited();
        Map<String, String> override = new LinkedHashMap<>();
        List<String> inherit = new ArrayList<>();
        if (r.has("properties")) {
            YamlMapping p = r.mapping("properties").allowOnly("inherit", "override");
            Map<String, Node> seen = new HashMap<>();
            if (p.has("inherit")) {
                for (Node n : src.sequence(p.require("inherit"), "'inherit'")) {
                    String prop = propertyName(src, n);
                    if (seen.putIfAbsent(prop, n) != null) {
                        throw src.error(n, "property '" + prop + "' is listed twice");
                    }
                    inherit.add(prop);
                }
            }
            if (p.has("override")) {
                for (NodeTuple t : p.mapping("override").entries().values()) {
                    String prop = propertyName(src, t.getKeyNode());
                    Node other = seen.get(prop);
                    if (other != null) {
                        throw src.error(
                                t.getKeyNode(),
                                "property '" + prop + "' is both inherited (line " + YamlSource.line(other)
                                        + ") and overridden");
                    }
                    String value = src.string(t.getValueNode(), "the value of property '" + prop + "'");
                    if (prop.equals("mountpoint") && !value.equals("none") && !value.equals("legacy")) {
                        // zfs recv -u mounts nothing now, but zfs mount -a at the next boot mounts every received
                        // filesystem there: a client's files over the box's own (docs/box.md, "Nothing mounts").
                        throw src.error(
                                t.getValueNode(),
                                "recv.properties.override mountpoint=" + value + " would mount every filesystem this"
                                        + " sink receives at " + value + " at the box's next 'zfs mount -a' (a"
                                        + " reboot), the client's files over the box's; override it with none or"
                                        + " legacy, or inherit it (the jail's none)");
                    }
                    override.put(prop, value);
                }
            }
        }
        String encryption = RecvOptions.defaults().placeholderEncryption();
        if (r.has("placeholder")) {
            YamlMapping ph = r.mapping("placeholder").allowOnly("encryption");
            if (ph.has("encryption")) {
                encryption = oneOf(ph, "encryption", PLACEHOLDER_ENCRYPTION);
            }
        }
        return new RecvOptions(override, inherit, encryption, limit);
    }

    private static String propertyName(YamlSource src, Node n) throws ConfigException {
        String prop = src.nonEmptyString(n, "a property name");
        if (!PROPERTY_NAME.matcher(prop).matches()) {
            throw src.error(n, "'" + prop + "' is not a ZFS property name");
        }
        // The box's own bookkeeping on what it receives: overridden, zrepl:placeholder=on would mark every received
        // filesystem a placeholder, which a full stream may replace (recv -F) once it holds no snapshot, and the
        // last-received marks decide which snapshots stay held.
        if (prop.equals("zrepl:placeholder")) {
            throw src.error(
                    n,
                    "recv.properties cannot decide " + prop + ": the box keeps it itself (it marks the empty"
                            + " placeholders a full stream may replace); remove it from the sink's recv.properties");
        }
        if (prop.startsWith("zreplj:")) {
            throw src.error(
                    n,
                    "recv.properties cannot decide " + prop + ": the box keeps it itself (its holds and"
                            + " cursors); remove it from the sink's recv.properties");
        }
        return prop;
    }

    // ---- scalars ----

    /** zrepl's key is read (its value still validated where it has one) but zreplj does not act on it. */
    private static void warnIfSet(YamlMapping m, String key, String instead) {
        if (m.has(key)) {
            m.source().warn(m.keyNode(key), "'" + key + "' has no effect in zreplj: " + instead);
        }
    }

    private static void validateName(YamlSource src, Node node, String value, String what) throws ConfigException {
        try {
            DatasetName.validateComponent(value, what);
        } catch (InvalidNameException e) {
            throw src.error(node, message(e));
        }
    }

    /** A fixed year to measure a cron schedule's gaps in, so that configcheck says the same on every day. */
    private static final LocalDate GAP_YEAR = LocalDate.of(2026, 1, 1);

    /**
     * {@code zreplj status} judges a push or snap job by the age of its newest snapshot: with snapshots rarer than
     * the warning age (a weekly schedule under the daily defaults, an hourly one on weekdays only), a healthy job
     * reads WARNING, then CRITICAL, between its snapshots, and nothing said why.
     */
    private static void warnIfRarerThanStatusAges(
            YamlMapping job, Snapshotting snapshotting, StatusThresholds ages, String name) throws ConfigException {
        // Not a switch on the type: that would be one more class (its switch map) for every start to load.
        Duration gap;
        String key;
        if (snapshotting.type() == Snapshotting.Type.PERIODIC) {
            gap = Objects.requireNonNull(snapshotting.interval(), "a periodic schedule has an interval");
            key = "interval";
        } else if (snapshotting.type() == Snapshotting.Type.CRON) {
            gap = CronSchedule.parse(Objects.requireNonNull(snapshotting.cron(), "a cron schedule has a spec"))
                    .longestGap(GAP_YEAR);
            key = "cron";
        } else {
            return;
        }
        if (gap.compareTo(ages.warn()) < 0) {
            return;
        }
        boolean critical = gap.compareTo(ages.crit()) >= 0;
        job.source()
                .warn(
                        job.mapping("snapshotting").keyNode(key),
                        "job '" + name + "' goes up to " + Durations.format(gap) + " without a new snapshot, but"
                                + " 'zreplj status' says WARNING when the newest is " + Durations.format(ages.warn())
                                + " old and CRITICAL at " + Durations.format(ages.crit())
                                + " (global.zreplj.status): between snapshots a healthy job would read "
                                + (critical ? "WARNING, then CRITICAL" : "WARNING")
                                + "; set global.zreplj.status.warn above " + Durations.format(gap)
                                + " (and crit above warn)");
    }

    /**
     * Two push jobs on one machine must not share the zfs user property that tracks their cursor holds
     * (zfs-fuse): its spelling of a name that is not lowercase is hex after an 'x', which a plain name can
     * also be, and one job would then overwrite the other's guids and lose track of its holds.
     */
    private static void checkCursorProperty(
            YamlSource src,
            Node nameNode,
            String name,
            Map<String, String> cursorProperties,
            Map<String, JobNode> names)
            throws ConfigException {
        String property = CursorProperty.of(name);
        String other = cursorProperties.putIfAbsent(property, name);
        if (other != null) {
            JobNode first = Objects.requireNonNull(names.get(other), "every job name is in names");
            String hexSpelled = property.endsWith(":" + name) ? other : name;
            throw src.error(
                    nameNode,
                    "push jobs '" + name + "' and '" + other + "' (" + where(first, src)
                            + ") would share the cursor property " + property
                            + " (property names are lowercase, so '" + hexSpelled
                            + "' is spelled in hex); rename one of them");
        }
    }

    /**
     * zrepl requires the filesystems of a machine's jobs to be disjoint and does not check it; two push jobs that
     * select one filesystem each replicate the other's snapshots and prune them by their own rules, so one job's
     * pruning destroys what the other's box has not got yet. A zrepl config with such jobs still loads (a
     * warning, not an error): the cursors' holds keep each job's incremental base, so no backup breaks.
     */
    private static void warnIfOverlapping(
            PushJob job, JobNode filesystems, List<PushJob> earlier, Map<String, JobNode> names) {
        warnIfOverlapping(
                job,
                filesystems,
                earlier,
                names,
                PushJob::filesystems,
                "push jobs",
                "each replicates the other's snapshots and prunes them by its own rules, destroying what the other's"
                        + " box has not got yet");
    }

    /** Two snap jobs on one filesystem: each prunes the other's snapshots by its own rules (zrepl: disjoint). */
    private static void warnIfOverlapping(
            SnapJob job, JobNode filesystems, List<SnapJob> earlier, Map<String, JobNode> names) {
        warnIfOverlapping(
                job,
                filesystems,
                earlier,
                names,
                SnapJob::filesystems,
                "snap jobs",
                "each prunes the other's snapshots by its own rules");
    }

    private static <J extends Job> void warnIfOverlapping(
            J job,
            JobNode filesystems,
            List<J> earlier,
            Map<String, JobNode> names,
            Function<J, FilesystemFilter> filter,
            String kind,
            String consequence) {
        for (J other : earlier) {
            Optional<String> shared = filter.apply(job).sharedWith(filter.apply(other));
            if (shared.isPresent()) {
                JobNode first = Objects.requireNonNull(names.get(other.name()), "every job name is in names");
                filesystems
                        .src()
                        .warn(
                                filesystems.node(),
                                kind + " '" + job.name() + "' and '" + other.name() + "' ("
                                        + where(first, filesystems.src()) + ") both select " + shared.get() + ": "
                                        + consequence + " (zrepl, too, requires the jobs' filesystems to be"
                                        + " disjoint); exclude it from one of them");
                return;
            }
        }
    }

    /**
     * zrepl allows a snap and a push job on one filesystem (its fan-out and external-disk setups) on the condition
     * that only one of them prunes it, the other keeping everything; it does not check that. Both pruning, each
     * destroys by its own rules what the other keeps. Keeping everything: {@code []}, or a plain regex rule that
     * matches every name ({@code .*}, as zrepl's guides write it).
     */
    private static void warnIfBothPrune(
            SnapJob snap,
            JobNode snapNode,
            PushJob push,
            JobNode pushNode,
            boolean snapLater,
            Map<String, JobNode> names) {
        if (keepsEverything(snap.keep()) || keepsEverything(push.pruning().keepSender())) {
            return;
        }
        Optional<String> shared = snap.filesystems().sharedWith(push.filesystems());
        if (shared.isEmpty()) {
            return;
        }
        JobNode later = snapLater ? snapNode : pushNode;
        String other = snapLater ? push.name() : snap.name();
        JobNode first = Objects.requireNonNull(names.get(other), "every job name is in names");
        later.src()
                .warn(
                        later.node(),
                        "snap job '" + snap.name() + "' and push job '" + push.name() + "' ("
                                + where(first, later.src()) + ") both prune " + shared.get()
                                + " on this machine, each destroying by its own rules what the other keeps; as"
                                + " zrepl requires, let one of them keep everything (the push job's keep_sender:"
                                + " [{type: regex, regex: '.*'}])");
    }

    /**
     * A job's next snapshot is due from the newest snapshot on its filesystems whose name starts with its prefix,
     * read from zfs at every check. A snap and a push job on one filesystem where one's prefix starts the other's
     * ({@code zrepl_} and {@code zrepl_snap_}) thus count the other's snapshots as their own: the job with the
     * shorter prefix takes none while the other's are newer than its interval, silently. zrepl's snapshotters look
     * at the newest snapshot only when they start, so there both go on snapshotting.
     */
    private static void warnIfPrefixesOverlap(
            SnapJob snap, PushJob push, JobNode laterNode, boolean snapLater, Map<String, JobNode> names) {
        String snapPrefix = snap.snapshotting().prefix();
        String pushPrefix = push.snapshotting().prefix();
        if (snapPrefix == null
                || pushPrefix == null
                || !(snapPrefix.startsWith(pushPrefix) || pushPrefix.startsWith(snapPrefix))) {
            return;
        }
        Optional<String> shared = snap.filesystems().sharedWith(push.filesystems());
        if (shared.isEmpty()) {
            return;
        }
        boolean snapShorter = snapPrefix.length() <= pushPrefix.length();
        String shorter = snapShorter ? "snap job '" + snap.name() + "'" : "push job '" + push.name() + "'";
        String longer = snapShorter ? "push job '" + push.name() + "'" : "snap job '" + snap.name() + "'";
        JobNode first = Objects.requireNonNull(names.get(snapLater ? push.name() : snap.name()), "in names");
        laterNode
                .src()
                .warn(
                        laterNode.node(),
                        "snap job '" + snap.name() + "' (prefix '" + snapPrefix + "') and push job '" + push.name()
                                + "' (prefix '" + pushPrefix + "', " + where(first, laterNode.src())
                                + ") both snapshot " + shared.get() + ": the " + shorter + " counts the " + longer
                                + "'s snapshots as its own when it decides whether one is due, and takes none"
                                + " while they are newer than its schedule; give them prefixes neither of which"
                                + " begins the other");
    }

    private static boolean keepsEverything(List<KeepRule> rules) {
        return rules.isEmpty()
                || rules.stream()
                        .anyMatch(r -> r instanceof KeepRule.Regex x
                                && !x.negate()
                                && List.of("", ".*", "^.*", ".*$", "^.*$")
                                        .contains(x.regex().pattern()));
    }

    /** Where an earlier job name stands, as an error found in {@code current} names it: its line, and its file if another. */
    private static String where(JobNode first, YamlSource current) {
        return (first.src() == current ? "" : first.src().file() + " ") + "line " + YamlSource.line(first.node());
    }

    /** Job names and client identities end up in hold tags, bookmarks and the forced command: no spaces. */
    private static void validateIdentifier(YamlSource src, Node node, String value, String what)
            throws ConfigException {
        try {
            DatasetName.validateIdentifier(value, what);
        } catch (InvalidNameException e) {
            throw src.error(node, message(e));
        }
    }

    private static long ranged(YamlMapping m, String key, long min, long max) throws ConfigException {
        Node n = m.require(key);
        long v = m.source().integer(n, m.label(key));
        if (v < min || v > max) {
            throw m.source()
                    .error(
                            n,
                            m.label(key) + " must be "
                                    + (max == Integer.MAX_VALUE ? "at least " + min : "between " + min + " and " + max)
                                    + ", not " + v);
        }
        return v;
    }

    private static Duration duration(YamlMapping m, String key, boolean positive) throws ConfigException {
        Node n = m.require(key);
        String text = m.source().nonEmptyString(n, m.label(key));
        try {
            return positive ? Durations.parsePositive(text) : Durations.parse(text);
        } catch (IllegalArgumentException e) {
            throw m.source().error(n, m.label(key) + ": " + e.getMessage());
        }
    }

    private static String oneOf(YamlMapping m, String key, List<String> allowed) throws ConfigException {
        String v = m.string(key);
        if (!allowed.contains(v)) {
            throw m.source()
                    .error(
                            m.require(key),
                            m.label(key) + " must be one of " + String.join(", ", allowed) + ", not '" + v + "'");
        }
        return v;
    }

    private static Path absolutePath(YamlMapping m, String key) throws ConfigException {
        String text = m.string(key);
        try {
            Path p = Path.of(text);
            if (p.isAbsolute()) {
                return p;
            }
        } catch (InvalidPathException e) {
            // reported below like any other unusable path
        }
        throw m.source().error(m.require(key), m.label(key) + " must be an absolute path, not '" + text + "'");
    }

    /** The exception's message for a config error; a library's exception may carry none. */
    private static String message(Exception e) {
        String m = e.getMessage();
        return m != null ? m : e.getClass().getSimpleName();
    }
}
