package dev.zreplj.zfs;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one place that runs {@code zfs}: always with an argument array (never a shell), always with
 * validated names. Listing is batched: a fixed number of invocations per call, however many
 * filesystems and snapshots there are. Capabilities are probed once per instance.
 *
 * <p>Works with zfs-fuse (pool v23) and OpenZFS 2.x; where zfs-fuse lacks a feature the fallback is
 * documented on the method. Thread-safe: instances hold only the probed capabilities and a counter.
 */
public final class Zfs implements SourceZfs {
    private static final Logger log = LoggerFactory.getLogger(Zfs.class);
    private static final List<Path> SYSTEM_DIRS =
            List.of(Path.of("/sbin"), Path.of("/usr/sbin"), Path.of("/usr/local/sbin"));
    /** Far below ARG_MAX and ZFS's own limits: a long {@code fs@a,b,c} is split into several calls. */
    static final int MAX_DESTROY_ARGUMENT = 4000;
    /** Total length of snapshot names per {@code zfs holds} call, far below ARG_MAX. */
    static final int MAX_HOLDS_ARGUMENTS = 100_000;

    private static final String NO_SUCH_TAG = "no such tag on this dataset";
    /** libzfs's words for EEXIST from a hold, zfs-fuse's and OpenZFS's alike. */
    private static final String TAG_EXISTS = "tag already exists on this dataset";

    private static final Pattern PROPERTY = Pattern.compile("[a-z][a-z0-9_.:-]*");
    private static final Pattern RESUME_TOKEN = Pattern.compile("[0-9a-zA-Z-]+");

    private final Path binary;
    private final AtomicLong invocations = new AtomicLong();
    private volatile @Nullable Probe probe;

    /** @param sendEstimates whether {@code zfs send} lists {@code -n}, {@code -v} and {@code -P} (zfs-fuse: none) */
    private record Probe(Capabilities capabilities, boolean getHasTypes, boolean sendEstimates) {}

    private final @Nullable ProbeCache probeCache;
    /** How long a call that is no stream may run, and how the message names that bound; null: no bound. */
    private final @Nullable CallLimit callLimit;

    /**
     * @param text the bound as the user set it, for the message: "10m0s (the job's replication.timeout)"
     * @param hung why the first call that ran into the limit was stopped; set once, shared by the calls of this
     *     bounded zfs
     */
    private record CallLimit(Duration limit, String text, AtomicReference<String> hung) {}

    public Zfs(Path binary) {
        this(binary, null);
    }

    /**
     * @param probeCache a file (in the state directory) that keeps the capability probe's answers between runs
     *     while the zfs they came from is unchanged; null: probe every time
     */
    public Zfs(Path binary, @Nullable Path probeCache) {
        this(binary, probeCache == null ? null : new ProbeCache(probeCache), null);
    }

    private Zfs(Path binary, @Nullable ProbeCache probeCache, @Nullable CallLimit callLimit) {
        this.binary = binary;
        this.probeCache = probeCache;
        this.callLimit = callLimit;
    }

    /**
     * This zfs with every call that is not a stream ({@code list}, {@code get}, {@code snapshot}, {@code destroy},
     * {@code hold}, {@code release}, ...) stopped and failed once it ran {@code limit}: a zfs that hangs (a
     * suspended pool, a dying disk) would otherwise hold the pass for ever, and with it a timer's next pass and the
     * status's word on why. {@code send} and {@code recv} are not bounded here: the replication watchdog watches
     * their progress, not their length. Once a call was stopped, every later call of the returned zfs that is not a
     * stream fails at once, naming that call: a zfs that hung once (a suspended pool) hangs the next call too, and
     * waiting the limit for each of them would keep the process (and the locks it holds) for a multiple of it.
     *
     * @param text the bound as the message names it, e.g. "10m0s (the job's replication.timeout)"
     */
    public Zfs withCallLimit(Duration limit, String text) {
        Zfs bounded = new Zfs(binary, probeCache, new CallLimit(limit, text, new AtomicReference<>()));
        bounded.probe = probe;
        return bounded;
    }

    /** Finds {@code zfs} on PATH or in /sbin, /usr/sbin, /usr/local/sbin (sshd's forced commands get a thin PATH). */
    public static Zfs locate() throws ZfsException {
        return new Zfs(find(System.getenv("PATH")));
    }

    static Path find(String pathVariable) throws ZfsException {
        List<Path> dirs = new ArrayList<>();
        if (pathVariable != null) {
            for (String dir : pathVariable.split(":")) {
                if (!dir.isEmpty()) dirs.add(Path.of(dir));
            }
        }
        dirs.addAll(SYSTEM_DIRS);
        for (Path dir : dirs) {
            Path candidate = dir.resolve("zfs");
            if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
                return candidate;
            }
        }
        throw new ZfsException(
                "zfs not found on PATH nor in /sbin, /usr/sbin, /usr/local/sbin:" + " install OpenZFS (or zfs-fuse)");
    }

    public Path binary() {
        return binary;
    }

    /** How many times this instance has started {@code zfs}: lets tests prove listing is batched. */
    public long invocations() {
        return invocations.get();
    }

    /**
     * Probed on first use with three side-effect-free calls ({@code zfs}, {@code zfs holds}, {@code zfs version}),
     * or read from the probe cache when it holds their answers for this very zfs ({@link ProbeCache}).
     */
    @Override
    public Capabilities capabilities() throws ZfsException {
        return probe().capabilities();
    }

    private Probe probe() throws ZfsException {
        Probe p = probe;
        if (p == null) {
            synchronized (this) {
                p = probe;
                if (p == null) {
                    ProbeCache cache = probeCache;
                    String key = cache == null ? null : ProbeCache.key(binary);
                    ProbeCache.Answers cached = cache == null || key == null
                            ? null
                            : cache.read(key, Instant.now()).orElse(null);
                    ProbeCache.Answers answers = cached != null ? cached : askProbe();
                    ZfsUsage usage = ZfsUsage.parse(answers.usage());
                    String fallback = Files.isExecutable(binary.resolveSibling("zfs-fuse")) ? "zfs-fuse" : "unknown";
                    p = new Probe(
                            usage.capabilities(
                                    answers.holds(),
                                    answers.versionExit() == 0 ? answers.versionStdout() : null,
                                    fallback),
                            usage.getHasTypes(),
                            usage.flags("send").containsAll(Set.of('n', 'v', 'P')));
                    if (cached == null && cache != null && key != null) {
                        cache.write(key, answers);
                    }
                    probe = p;
                    log.debug(
                            "zfs {} capabilities{}: {}",
                            binary,
                            cached != null && cache != null ? " (as probed before, " + cache.file() + ")" : "",
                            p.capabilities());
                }
            }
        }
        return p;
    }

    /** The three calls run at once: on the box they are on the way to the first LIST answer. */
    private ProbeCache.Answers askProbe() throws ZfsException {
        try (ZfsProcess usageCall = start(List.of());
                ZfsProcess holdsCall = start(List.of("holds"));
                ZfsProcess versionCall = start(List.of("version"))) {
            String usage = collect(usageCall).output();
            String holds = collect(holdsCall).output();
            Result version = collect(versionCall);
            return new ProbeCache.Answers(usage, holds, version.exit(), version.stdout());
        }
    }

    /** {@code root} and every filesystem/volume below it, sorted by name; empty when root does not exist. */
    public List<DatasetName> listFilesystems(DatasetName root) throws ZfsException {
        return listFilesystems(root, refusedLogger());
    }

    /** As {@link #listFilesystems(DatasetName)}, the names zreplj refuses handed to {@code refused}, not logged. */
    public List<DatasetName> listFilesystems(DatasetName root, Consumer<RefusedName> refused) throws ZfsException {
        String out = runOrMissing(List.of("list", "-H", "-r", "-t", "filesystem,volume", "-o", "name", root.value()));
        return out == null ? List.of() : ZfsOutput.names(out, refused);
    }

    /** Every filesystem/volume of every imported pool, sorted by name. */
    @Override
    public List<DatasetName> listAllFilesystems() throws ZfsException {
        return listAllFilesystems(refusedLogger());
    }

    /** As {@link #listAllFilesystems()}, the names zreplj refuses handed to {@code refused} rather than logged. */
    public List<DatasetName> listAllFilesystems(Consumer<RefusedName> refused) throws ZfsException {
        return ZfsOutput.names(run(List.of("list", "-H", "-t", "filesystem,volume", "-o", "name")), refused);
    }

    public boolean exists(DatasetName dataset) throws ZfsException {
        return runOrMissing(List.of("list", "-H", "-o", "name", dataset.value())) != null;
    }

    /**
     * Snapshots (and bookmarks, where supported) of {@code root} and everything below it. Every
     * filesystem under root is a key, with an empty list when it has no versions; each list is sorted
     * by createtxg, then snapshots before bookmarks. Empty map when root does not exist.
     * One {@code zfs} invocation (after the capability probe), however many datasets there are.
     */
    @Override
    public Map<DatasetName, List<ZfsVersion>> listVersions(DatasetName root) throws ZfsException {
        return listVersions(root, List.of("-r"), refusedLogger());
    }

    /**
     * {@link #listVersions(DatasetName)} and {@link #localProperty} of one root (no property when it is null),
     * with the filesystems left out for their names. Where zfs lists with {@code zfs get} anyway (zfs-fuse, no
     * {@code list -p}) both come from one call: there a recursive listing of 1000 filesystems takes seconds.
     */
    @Override
    public VersionListing listVersions(DatasetName root, @Nullable String property) throws ZfsException {
        return listVersions(root, property, true);
    }

    /**
     * As {@link #listVersions(DatasetName, String)}, with the property's value on every filesystem (as
     * {@link #getProperties} gives it) unless {@code localOnly}.
     */
    public VersionListing listVersions(DatasetName root, @Nullable String property, boolean localOnly)
            throws ZfsException {
        if (property != null) {
            validateProperty(property);
        }
        if (property == null || capabilities().parsableList()) {
            List<RefusedName> refused = new ArrayList<>();
            Map<DatasetName, List<ZfsVersion>> versions =
                    listVersions(root, List.of("-r"), refusedVersionLogger().andThen(refused::add));
            Map<DatasetName, String> values = new java.util.TreeMap<>();
            if (property != null && localOnly) {
                values.putAll(localProperty(root, property));
            } else if (property != null) {
                getProperties(root, true, List.of(property)).forEach((fs, p) -> values.put(fs, p.get(property)));
            }
            return new VersionListing(versions, values, refused);
        }
        String out = runOrMissing(List.of(
                "get",
                "-Hp",
                "-r",
                "-o",
                "name,property,value,source",
                "guid,createtxg,creation," + property,
                root.value()));
        return out == null
                ? new VersionListing(Map.of(), Map.of(), List.of())
                : ZfsOutput.versionsWithProperty(out, property, localOnly, refusedVersionLogger());
    }

    /**
     * The versions of {@code filesystem} alone, sorted as {@link #listVersions}; empty when it does not
     * exist. Depth 1 (its snapshots and bookmarks, its children without theirs), so a filesystem with many
     * children costs what one without does.
     */
    public List<ZfsVersion> listOwnVersions(DatasetName filesystem) throws ZfsException {
        return listVersions(filesystem, List.of("-d", "1"), refusedLogger()).getOrDefault(filesystem, List.of());
    }

    private Map<DatasetName, List<ZfsVersion>> listVersions(
            DatasetName root, List<String> depth, Consumer<RefusedName> refused) throws ZfsException {
        Capabilities caps = capabilities();
        if (caps.parsableList()) {
            String types = caps.bookmarks() ? "filesystem,volume,snapshot,bookmark" : "filesystem,volume,snapshot";
            List<String> args = new ArrayList<>(List.of("list", "-Hp"));
            args.addAll(depth);
            args.addAll(List.of("-t", types, "-o", "name,guid,createtxg,creation", root.value()));
            String out = runOrMissing(args);
            return out == null ? Map.of() : ZfsOutput.versionsFromList(out, refused);
        }
        // zfs-fuse: no 'list -p' and no 'get -t', but 'get -r' covers filesystems and snapshots at once.
        List<String> args = new ArrayList<>(List.of("get", "-Hp"));
        args.addAll(depth);
        args.addAll(List.of("-o", "name,property,value", "guid,createtxg,creation", root.value()));
        String out = runOrMissing(args);
        return out == null ? Map.of() : ZfsOutput.versionsFromGet(out, refused);
    }

    /** Parsable values ({@code zfs get -Hp}) of the given properties; "-" for unset. Empty when root does not exist. */
    @Override
    public Map<DatasetName, Map<String, String>> getProperties(
            DatasetName root, boolean recursive, List<String> properties) throws ZfsException {
        if (properties.isEmpty()) {
            throw new IllegalArgumentException("no properties requested");
        }
        properties.forEach(Zfs::validateProperty);
        List<String> args = new ArrayList<>(List.of("get", "-Hp"));
        if (recursive) {
            args.add("-r");
            if (probe().getHasTypes()) {
                args.addAll(List.of("-t", "filesystem,volume"));
            }
        }
        args.addAll(List.of("-o", "name,property,value", String.join(",", properties), root.value()));
        String out = runOrMissing(args);
        return out == null ? Map.of() : ZfsOutput.properties(out, refusedLogger());
    }

    /**
     * Parsable values ({@code zfs get -Hp -r}) of the given properties of {@code root}, every filesystem below
     * it and their snapshots, keyed by the name as zfs printed it ({@code pool/fs}, {@code pool/fs@snap}), for
     * callers that look up names they already hold; "-" where zfs has no value. Empty when root does not exist.
     * One call however many datasets there are.
     */
    public Map<String, Map<String, String>> getPropertiesWithSnapshots(DatasetName root, List<String> properties)
            throws ZfsException {
        if (properties.isEmpty()) {
            throw new IllegalArgumentException("no properties requested");
        }
        properties.forEach(Zfs::validateProperty);
        List<String> args = new ArrayList<>(List.of("get", "-Hp", "-r"));
        if (probe().getHasTypes()) {
            // OpenZFS lists bookmarks too by default; they have no space of their own.
            args.addAll(List.of("-t", "filesystem,volume,snapshot"));
        }
        args.addAll(List.of("-o", "name,property,value", String.join(",", properties), root.value()));
        String out = runOrMissing(args);
        return out == null ? Map.of() : ZfsOutput.propertiesByName(out);
    }

    /**
     * One atomic {@code zfs snapshot fs1@name fs2@name ...} per pool. zfs-fuse takes one snapshot argument only:
     * there, a set that is exactly a whole subtree becomes one atomic {@code zfs snapshot -r}; any other
     * set is snapshotted one filesystem at a time (not atomic; logged).
     */
    @Override
    public void snapshot(Collection<DatasetName> filesystems, String snapshotName) throws ZfsException {
        DatasetName.validateComponent(snapshotName, "snapshot name");
        TreeSet<DatasetName> set = new TreeSet<>(filesystems);
        for (DatasetName fs : set) {
            checkFullLength(fs, snapshotName);
        }
        if (set.isEmpty()) {
            return;
        }
        if (capabilities().multiSnapshot()) {
            // One kernel call takes snapshots of one pool only (EXDEV for another's): atomic per pool, and a pool
            // that fails leaves the others their snapshots.
            Map<String, List<String>> byPool = new TreeMap<>();
            set.forEach(fs -> byPool.computeIfAbsent(fs.pool(), p -> new ArrayList<>(List.of("snapshot")))
                    .add(fs.value() + "@" + snapshotName));
            ZfsException failed = null;
            for (List<String> args : byPool.values()) {
                try {
                    run(args);
                } catch (ZfsException e) {
                    if (failed == null) {
                        failed = e;
                    } else {
                        failed.addSuppressed(e);
                    }
                }
            }
            if (failed != null) {
                throw failed;
            }
            return;
        }
        // Without multi-snapshot, `snapshot -r` is the only atomic form: one call per maximal subtree
        // that is selected as a whole, single calls for the rest. Only the selection's subtrees are listed:
        // the whole machine's listing warned on every pass about odd names in pools no job selects. A name
        // zreplj refuses below a selected filesystem is still there for `-r`, so it keeps that one out of -r.
        List<DatasetName> below = new ArrayList<>();
        List<String> unnamed = new ArrayList<>();
        for (DatasetName top : topmost(set)) {
            below.addAll(listFilesystems(top, r -> unnamed.add(r.name())));
        }
        for (Map.Entry<DatasetName, Boolean> group :
                snapshotGroups(set, below, unnamed).entrySet()) {
            run(
                    group.getValue()
                            ? List.of("snapshot", "-r", group.getKey().value() + "@" + snapshotName)
                            : List.of("snapshot", group.getKey().value() + "@" + snapshotName));
        }
    }

    /**
     * Splits a selection into calls for a zfs without multi-snapshot: each key is snapshotted with
     * {@code -r} (value true) when its whole subtree is selected, else alone.
     */
    static Map<DatasetName, Boolean> snapshotGroups(
            SortedSet<DatasetName> selected, List<DatasetName> all, List<String> unnamed) {
        Map<DatasetName, Boolean> groups = new LinkedHashMap<>();
        DatasetName covering = null;
        for (DatasetName fs : selected) {
            if (covering != null && fs.isSelfOrDescendantOf(covering)) {
                continue;
            }
            String prefix = fs.value() + "/";
            boolean wholeSubtree =
                    all.stream().filter(d -> d.isSelfOrDescendantOf(fs)).allMatch(selected::contains)
                            && unnamed.stream().noneMatch(n -> n.startsWith(prefix));
            boolean hasChildren = all.stream().anyMatch(d -> !d.equals(fs) && d.isSelfOrDescendantOf(fs));
            groups.put(fs, wholeSubtree && hasChildren);
            covering = wholeSubtree ? fs : null;
        }
        return groups;
    }

    /** The filesystems of {@code selected} that lie below no other of them. */
    static SortedSet<DatasetName> topmost(SortedSet<DatasetName> selected) {
        SortedSet<DatasetName> tops = new TreeSet<>();
        for (DatasetName fs : selected) {
            if (tops.stream().noneMatch(fs::isSelfOrDescendantOf)) {
                tops.add(fs);
            }
        }
        return tops;
    }

    /** {@code zfs destroy fs@a,b,c} in one call per filesystem (batched when the argument gets long); one call per snapshot where zfs lacks the list form. */
    @Override
    public void destroySnapshots(DatasetName filesystem, Collection<String> snapshotNames) throws ZfsException {
        List<String> names = new ArrayList<>(new TreeSet<>(snapshotNames));
        for (String name : names) {
            DatasetName.validateComponent(name, "snapshot name");
            checkFullLength(filesystem, name);
        }
        if (names.isEmpty()) {
            return;
        }
        if (!capabilities().destroyList()) {
            for (String name : names) {
                run(List.of("destroy", filesystem.value() + "@" + name));
            }
            return;
        }
        for (String argument : destroyArguments(filesystem, names, MAX_DESTROY_ARGUMENT)) {
            run(List.of("destroy", argument));
        }
    }

    /**
     * {@code zfs get -Hp -o name,value guid} with the snapshots as arguments, one call per
     * {@value #MAX_HOLDS_ARGUMENTS} characters of names. zfs names each one that does not exist on stderr
     * and goes on: those are absent from the answer; any other complaint fails it.
     */
    @Override
    public Map<String, Long> snapshotGuids(Collection<String> snapshots) throws ZfsException {
        List<String> names = new ArrayList<>();
        for (String snapshot : new TreeSet<>(snapshots)) {
            int at = snapshot.indexOf('@');
            if (at < 0) {
                throw new IllegalArgumentException("not a snapshot name: " + snapshot);
            }
            DatasetName.of(snapshot.substring(0, at));
            DatasetName.validateComponent(snapshot.substring(at + 1), "snapshot name");
            names.add(snapshot);
        }
        Map<String, Long> out = new HashMap<>();
        for (List<String> args : calls(List.of("get", "-Hp", "-o", "name,value", "guid"), names)) {
            guids(args, out);
        }
        return out;
    }

    /**
     * {@code prefix} followed by the names, as few calls as keep each call's names within
     * {@value #MAX_HOLDS_ARGUMENTS} characters (at least one name each): for commands that take
     * snapshots as arguments rather than a filesystem to recurse into.
     */
    static List<List<String>> calls(List<String> prefix, List<String> names) {
        List<List<String>> out = new ArrayList<>();
        List<String> args = null;
        int length = 0;
        for (String name : names) {
            if (args != null && length + name.length() + 1 > MAX_HOLDS_ARGUMENTS) {
                out.add(args);
                args = null;
            }
            if (args == null) {
                args = new ArrayList<>(prefix);
                length = 0;
            }
            args.add(name);
            length += name.length() + 1;
        }
        if (args != null) {
            out.add(args);
        }
        return out;
    }

    private void guids(List<String> args, Map<String, Long> out) throws ZfsException {
        Result r = runAny(args);
        if (r.exit() != 0) {
            for (String line : r.stderr().split("\n")) {
                if (!line.isBlank() && !ZfsOutput.isMissingDataset(line)) {
                    throw new ZfsException(command(args), r.exit(), r.stderr());
                }
            }
        }
        for (String line : r.stdout().split("\n")) {
            int tab = line.lastIndexOf('\t');
            if (tab > 0) {
                try {
                    out.put(
                            line.substring(0, tab),
                            Long.parseUnsignedLong(line.substring(tab + 1).strip()));
                } catch (NumberFormatException e) {
                    throw new ZfsException(command(args), r.exit(), "unexpected guid in: " + line);
                }
            }
        }
    }

    /** Splits {@code fs@a,b,c} into arguments of at most {@code limit} characters (at least one name each). */
    static List<String> destroyArguments(DatasetName filesystem, List<String> names, int limit) {
        List<String> out = new ArrayList<>();
        StringBuilder arg = null;
        for (String name : names) {
            if (arg != null && arg.length() + 1 + name.length() > limit) {
                out.add(arg.toString());
                arg = null;
            }
            if (arg == null) {
                arg = new StringBuilder(filesystem.value()).append('@').append(name);
            } else {
                arg.append(',').append(name);
            }
        }
        if (arg != null) out.add(arg.toString());
        return out;
    }

    /** {@code zfs create [-o k=v]... name}; parents must exist. */
    public void create(DatasetName dataset, Map<String, String> properties) throws ZfsException {
        List<String> args = new ArrayList<>(List.of("create"));
        properties.forEach((k, v) -> args.addAll(List.of("-o", propertyAssignment(k, v))));
        args.add(dataset.value());
        Result r = runAny(args);
        // OpenZFS run by a delegated (non-root) user, the backup box's: the filesystem exists, and only the
        // mount we never wanted (placeholders and jails have mountpoint=none) is refused, with exit 1.
        if (r.exit() != 0 && !r.stderr().strip().equals(CREATED_NOT_MOUNTED)) {
            throw new ZfsException(command(args), r.exit(), r.stderr());
        }
    }

    static final String CREATED_NOT_MOUNTED = "filesystem successfully created, but it may only be mounted by root";

    /**
     * {@code zfs allow -u user perm,... dataset}: delegates to a user (here the box's) what it may do on
     * the dataset and below. zfs-fuse cannot: its {@code zfs allow} needs a Python helper it does not ship.
     */
    public void allow(String user, List<String> permissions, DatasetName dataset) throws ZfsException {
        if (!user.matches("[a-z_][a-z0-9_-]{0,31}") || permissions.stream().anyMatch(p -> !p.matches("[a-z_:]+"))) {
            throw new ZfsException("refusing zfs allow for user '" + user + "' with " + permissions);
        }
        run(List.of("allow", "-u", user, String.join(",", permissions), dataset.value()));
    }

    /** Whether this zfs has {@code zfs allow}: zfs-fuse's fails with an internal error (no pyzfs.py). */
    public boolean canDelegate() throws ZfsException {
        Result r = runAny(List.of("allow"));
        return !r.stderr().contains("pyzfs") && !r.stdout().contains("pyzfs");
    }

    @Override
    public void setProperty(DatasetName dataset, String property, String value) throws ZfsException {
        run(List.of("set", propertyAssignment(property, value), dataset.value()));
    }

    /** {@code zfs inherit property dataset}: removes a locally set (user) property. */
    public void inheritProperty(DatasetName dataset, String property) throws ZfsException {
        validateProperty(property);
        run(List.of("inherit", property, dataset.value()));
    }

    /**
     * Every property set locally on {@code root} or a filesystem below it, with its value, by filesystem;
     * one invocation. Empty when root does not exist.
     */
    public Map<DatasetName, Map<String, String>> localPropertiesBelow(DatasetName root) throws ZfsException {
        String out = runOrMissing(
                List.of("get", "-Hp", "-r", "-s", "local", "-o", "name,property,value", "all", root.value()));
        return out == null ? Map.of() : ZfsOutput.properties(out, refusedLogger());
    }

    /**
     * Every property {@code root} or a filesystem below it has as a received value (a {@code zfs send -R}, {@code -p}
     * or {@code -b} stream set it), with that value, by filesystem; one invocation. Empty when root does not exist.
     */
    public Map<DatasetName, Map<String, String>> receivedPropertiesBelow(DatasetName root) throws ZfsException {
        String out = runOrMissing(
                List.of("get", "-Hp", "-r", "-s", "received", "-o", "name,property,value", "all", root.value()));
        return out == null ? Map.of() : ZfsOutput.properties(out, refusedLogger());
    }

    /**
     * {@code zfs hold}, where a hold of that tag the snapshot already carries counts as done: false then, true when
     * this call put it there.
     */
    public boolean holdIfNotHeld(String tag, ZfsVersion snapshot) throws ZfsException {
        Result r = runAny(List.of("hold", validTag(tag), snapshotArgument(snapshot)));
        if (r.exit() == 0) return true;
        if (r.stderr().contains(TAG_EXISTS)) return false;
        throw new ZfsException(command(List.of("hold", tag, snapshot.fullName())), r.exit(), r.stderr());
    }

    @Override
    public void hold(String tag, ZfsVersion snapshot) throws ZfsException {
        run(List.of("hold", validTag(tag), snapshotArgument(snapshot)));
    }

    public void release(String tag, ZfsVersion snapshot) throws ZfsException {
        run(List.of("release", validTag(tag), snapshotArgument(snapshot)));
    }

    // --- replication cursors: bookmarks where zfs has them, else a hold plus a user property ---------

    /** {@code zfs bookmark fs@snap fs#name}; only where {@link Capabilities#bookmarks()} (not zfs-fuse). */
    @Override
    public void bookmark(ZfsVersion snapshot, String bookmarkName) throws ZfsException {
        DatasetName.validateComponent(bookmarkName, "bookmark name");
        checkFullLength(snapshot.filesystem(), bookmarkName);
        run(List.of(
                "bookmark", snapshotArgument(snapshot), snapshot.filesystem().value() + "#" + bookmarkName));
    }

    /** {@code zfs destroy fs#name}. */
    @Override
    public void destroyBookmark(ZfsVersion bookmark) throws ZfsException {
        if (bookmark.type() != VersionType.BOOKMARK) {
            throw new IllegalArgumentException("not a bookmark: " + bookmark);
        }
        run(List.of("destroy", bookmark.fullName()));
    }

    /**
     * The filesystems at or below {@code root} on which {@code property} is set locally, with its value:
     * inherited and default values are left out (a user property is inherited by children and
     * snapshots, which must not look as if they carried it). One invocation. Empty when root does not exist.
     */
    @Override
    public Map<DatasetName, String> localProperty(DatasetName root, String property) throws ZfsException {
        validateProperty(property);
        String out = runOrMissing(
                List.of("get", "-Hp", "-r", "-s", "local", "-o", "name,property,value", property, root.value()));
        Map<DatasetName, String> values = new java.util.TreeMap<>();
        if (out != null) {
            ZfsOutput.properties(out, refusedLogger()).forEach((fs, props) -> {
                String value = props.get(property);
                if (value != null) {
                    values.put(fs, value);
                }
            });
        }
        return values;
    }

    /**
     * Releases {@code tag} from the snapshot; false (and nothing changed) when the snapshot does not carry
     * it, or no longer exists: a release that is already done is no failure for a caller cleaning up.
     */
    @Override
    public boolean releaseIfHeld(String tag, ZfsVersion snapshot) throws ZfsException {
        Result r = runAny(List.of("release", validTag(tag), snapshotArgument(snapshot)));
        if (r.exit() == 0) return true;
        if (r.stderr().contains(NO_SUCH_TAG) || ZfsOutput.isMissingDataset(r.stderr())) return false;
        throw new ZfsException(command(List.of("release", tag, snapshot.fullName())), r.exit(), r.stderr());
    }

    /**
     * The user holds on the given snapshots: {@code zfs holds -H} with the snapshots as arguments, one
     * call per {@value #MAX_HOLDS_ARGUMENTS} characters of names (it takes snapshots, not a filesystem to
     * recurse into). Needs {@link Capabilities#holdsListing()}: zfs-fuse has none.
     */
    public List<Hold> listHolds(Collection<ZfsVersion> snapshots) throws ZfsException {
        if (!capabilities().holdsListing()) {
            throw new ZfsException("this zfs (" + capabilities().version() + ") cannot list holds (no 'zfs holds')");
        }
        List<Hold> out = new ArrayList<>();
        List<String> names = snapshots.stream().map(Zfs::snapshotArgument).toList();
        for (List<String> args : calls(List.of("holds", "-H"), names)) {
            out.addAll(ZfsOutput.holds(run(args), refusedLogger()));
        }
        return out;
    }

    /**
     * Properties set locally on {@code dataset} (not inherited, not defaults), property to value; empty
     * when it does not exist. Lets a user property mark one filesystem without its children inheriting it.
     */
    public Map<String, String> localProperties(DatasetName dataset) throws ZfsException {
        String out = runOrMissing(List.of("get", "-H", "-s", "local", "-o", "property,value", "all", dataset.value()));
        return out == null ? Map.of() : ZfsOutput.localProperties(out);
    }

    /**
     * Starts {@code zfs send}; the stream is the process's stdout. {@code raw} becomes {@code -w} where
     * zfs has it; a zfs without {@code -w} has no native encryption, so a plain stream is the same data.
     */
    @Override
    public ZfsProcess send(SendRequest request) throws ZfsException {
        return startSend(request, null);
    }

    @Override
    public ZfsProcess send(SendRequest request, Path output) throws ZfsException {
        return startSend(request, output);
    }

    private ZfsProcess startSend(SendRequest request, @Nullable Path output) throws ZfsException {
        List<String> args = new ArrayList<>(List.of("send"));
        args.addAll(sendArguments(request));
        List<String> command = command(args);
        log.debug("zfs: {}{}", String.join(" ", command), output == null ? "" : " > " + output);
        invocations.incrementAndGet();
        return ZfsProcess.startSend(command, output);
    }

    /**
     * The stream size {@code zfs send -nvP} predicts for {@code request}, for progress display only. Empty
     * where zfs has no dry run (zfs-fuse: "invalid option 'n'") or prints no {@code size} line; never fails
     * because of the estimate itself.
     */
    @Override
    public OptionalLong estimateSendSize(SendRequest request) throws ZfsException {
        if (!probe().sendEstimates()) {
            // Asking would only start a zfs that refuses the option, beside the step's own send.
            return OptionalLong.empty();
        }
        List<String> args = new ArrayList<>(List.of("send", "-nvP"));
        args.addAll(sendArguments(request));
        Result r = runAny(args);
        if (r.exit() != 0) {
            log.debug(
                    "zfs send -nvP gives no estimate (exit {}): {}",
                    r.exit(),
                    r.stderr().strip());
            return OptionalLong.empty();
        }
        // OpenZFS prints the estimate on stdout (2.x) or stderr (0.7/0.8).
        return ZfsOutput.sendSize(r.output());
    }

    private List<String> sendArguments(SendRequest request) throws ZfsException {
        Capabilities caps = capabilities();
        List<String> args = new ArrayList<>();
        if (request.resumeToken() != null) {
            if (!caps.resumableReceive()) {
                throw new ZfsException("this zfs (" + caps.version() + ") cannot resume a send (no 'zfs send -t')");
            }
            if (!RESUME_TOKEN.matcher(request.resumeToken()).matches()) {
                throw new InvalidNameException("resume token contains characters other than letters, digits and '-'");
            }
            args.addAll(List.of("-t", request.resumeToken()));
            return args;
        }
        if (request.to() == null || request.to().type() != VersionType.SNAPSHOT) {
            throw new IllegalArgumentException("zfs send needs a snapshot to send, got " + request.to());
        }
        if (request.raw()) {
            if (caps.rawSend()) {
                args.add("-w");
            } else {
                log.debug("this zfs ({}) has no raw send; sending {} as a plain stream", caps.version(), request.to());
            }
        }
        for (SendFlag flag : SendFlag.values()) {
            if (request.flags().contains(flag)) {
                if (!caps.sendFlags().contains(flag.option())) {
                    throw new ZfsException(
                            "this zfs (" + caps.version() + ") has no 'zfs send " + flag.argument() + "'");
                }
                args.add(flag.argument());
            }
        }
        if (request.from() != null) {
            if (!request.from().filesystem().equals(request.to().filesystem())) {
                throw new IllegalArgumentException("incremental send from " + request.from() + " to " + request.to()
                        + ": both must be of the same filesystem");
            }
            if (request.intermediates() && !caps.sendIntermediates()) {
                throw new ZfsException("this zfs (" + caps.version() + ") has no 'zfs send -I'");
            }
            args.addAll(List.of(
                    request.intermediates() ? "-I" : "-i", request.from().fullName()));
        }
        args.add(request.to().fullName());
        return args;
    }

    /**
     * Starts {@code zfs recv}; the caller writes the stream to the process's stdin. Never mounts: with
     * {@code -u} where zfs has it. zfs-fuse has no {@code -u}: there the caller must receive only below
     * a dataset whose {@code mountpoint=none} the received filesystems inherit (the sink's jail root),
     * and must not let a client set {@code mountpoint}; a full stream without properties (we never send
     * with {@code -p}/{@code -R}) then arrives unmounted. {@code -s} is added only where supported and
     * {@code -o}/{@code -x} are dropped with a warning where zfs lacks them.
     */
    public ZfsProcess receive(ReceiveRequest request) throws ZfsException {
        Capabilities caps = capabilities();
        List<String> args = new ArrayList<>(List.of("recv"));
        if (caps.recvNoMount()) args.add("-u");
        if (request.rollback()) args.add("-F");
        if (request.resumable()) {
            if (caps.resumableReceive()) {
                args.add("-s");
            } else {
                log.debug(
                        "this zfs ({}) has no resumable receive; receiving {} without -s",
                        caps.version(),
                        request.target());
            }
        }
        if (!request.overrideProperties().isEmpty()
                || !request.excludeProperties().isEmpty()) {
            if (caps.recvProperties()) {
                request.overrideProperties().forEach((k, v) -> args.addAll(List.of("-o", propertyAssignment(k, v))));
                for (String p : request.excludeProperties()) {
                    validateProperty(p);
                    args.addAll(List.of("-x", p));
                }
            } else {
                log.warn(
                        "this zfs ({}) has no 'zfs recv -o/-x': ignoring property overrides {} and excludes {} for {}",
                        caps.version(),
                        request.overrideProperties(),
                        request.excludeProperties(),
                        request.target());
            }
        }
        args.add(request.target().value());
        return start(args);
    }

    /**
     * {@code zfs rollback fs@snapshot}: discards what changed in the filesystem since that snapshot. Without
     * {@code destroyingLater} zfs refuses it (and changes nothing) unless the snapshot is the newest; with it
     * ({@code -r}) zfs destroys the later snapshots, and refuses when one of them is held.
     */
    public void rollback(DatasetName filesystem, String snapshot, boolean destroyingLater) throws ZfsException {
        DatasetName.validateComponent(snapshot, "snapshot name");
        List<String> args = new ArrayList<>(List.of("rollback"));
        if (destroyingLater) {
            args.add("-r");
        }
        args.add(filesystem.value() + "@" + snapshot);
        run(args);
    }

    /**
     * {@code zfs recv -A}: discards the partial receive state of {@code target} (a partially received new
     * filesystem disappears with it). Needs resumable receive; a zfs without it keeps no partial state.
     */
    public void abortPartialReceive(DatasetName target) throws ZfsException {
        Capabilities caps = capabilities();
        if (!caps.resumableReceive()) {
            throw new ZfsException(
                    "this zfs (" + caps.version() + ") keeps no partial receives to discard (no 'zfs recv -A')");
        }
        run(List.of("recv", "-A", target.value()));
    }

    /**
     * The {@code receive_resume_token} of {@code target}: empty when it has no partial receive, does not
     * exist, or zfs has no resumable receive.
     */
    public Optional<String> resumeToken(DatasetName target) throws ZfsException {
        if (!capabilities().resumableReceive()) {
            return Optional.empty();
        }
        String out = runOrMissing(List.of("get", "-H", "-o", "value", "receive_resume_token", target.value()));
        String token = out == null ? "" : out.strip();
        return token.isEmpty() || token.equals("-") ? Optional.empty() : Optional.of(token);
    }

    // --- running zfs ---------------------------------------------------------------------------------

    private record Result(int exit, String stdout, String stderr) {
        String output() {
            return stdout + stderr;
        }
    }

    private ZfsProcess start(List<String> args) throws ZfsException {
        List<String> command = command(args);
        log.debug("zfs: {}", String.join(" ", command));
        invocations.incrementAndGet();
        return ZfsProcess.start(command);
    }

    private Result runAny(List<String> args) throws ZfsException {
        refuseIfHung(command(args));
        return collect(start(args));
    }

    /**
     * Waits for a {@code zfs recv} whose stream has all been written to it: from then on it only commits what it
     * read, so under a {@link #withCallLimit call limit} it is bounded like a call that is no stream, and stopped
     * past it. Unbounded, a receive that never ended there (a suspended pool, a hung zfs-fuse) kept the box's
     * process and its lock on the filesystem for ever: every later pass into it was refused busy.
     */
    public void finishReceive(ZfsProcess recv) throws ZfsException, InterruptedException {
        CallLimit bound = callLimit;
        if (bound != null && !recv.exitsWithin(bound.limit())) {
            recv.terminate();
            throw stopped(bound, recv.command(), " after its stream");
        }
        recv.finish();
    }

    /** The failure of a call stopped at the limit, which every later call of this zfs then names. */
    private static ZfsException stopped(CallLimit bound, List<String> command, String when) {
        String message = "'" + String.join(" ", command) + "' did not end within " + bound.text() + when
                + "; zreplj stopped it. A zfs command that hangs usually waits on a suspended pool or a failing"
                + " disk: see 'zpool status -x' and dmesg";
        bound.hung().compareAndSet(null, message);
        return new ZfsException(message);
    }

    /** Fails a call once an earlier one ran into the {@link #withCallLimit call limit}: zfs hangs, see there. */
    private void refuseIfHung(List<String> command) throws ZfsException {
        String hung = callLimit == null ? null : callLimit.hung().get();
        if (hung != null) {
            throw new ZfsException("'" + String.join(" ", command) + "' not run: " + hung);
        }
    }

    /**
     * Its output and exit status once it ended; its stdout must fit a pipe while another call is read first. Under
     * a {@link #withCallLimit call limit} the output is read on a thread of its own, so that the wait ends at the
     * limit even when zfs cannot be made to end (a process stuck in the kernel survives SIGKILL): the thread is
     * then left to end with it.
     */
    private Result collect(ZfsProcess p) throws ZfsException {
        CallLimit bound = callLimit;
        if (bound == null) {
            return collectUnbounded(p);
        }
        try {
            refuseIfHung(p.command());
        } catch (ZfsException e) {
            // The probe's calls start together, before the first of them is read.
            p.terminate();
            throw e;
        }
        CompletableFuture<Result> done = new CompletableFuture<>();
        Thread reader = new Thread(
                () -> {
                    try {
                        done.complete(collectUnbounded(p));
                    } catch (ZfsException | RuntimeException | Error e) {
                        // An Error too (a heap run out while reading a huge listing): else the caller would wait for
                        // the limit and blame zfs for not ending.
                        done.completeExceptionally(e);
                    }
                },
                "zfs-call");
        reader.setDaemon(true);
        reader.start();
        try {
            return done.get(bound.limit().toNanos(), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            p.terminate();
            throw stopped(bound, p.command(), "");
        } catch (ExecutionException e) {
            if (e.getCause() instanceof ZfsException z) {
                throw z;
            }
            if (e.getCause() instanceof Error error) {
                throw error;
            }
            throw (RuntimeException) e.getCause();
        } catch (InterruptedException e) {
            p.terminate();
            Thread.currentThread().interrupt();
            throw new ZfsException("interrupted while running '" + String.join(" ", p.command()) + "'");
        }
    }

    private Result collectUnbounded(ZfsProcess p) throws ZfsException {
        try (p) {
            p.stdin().close();
            String stdout = readAll(p.stdout());
            int exit;
            try {
                p.finish();
                exit = 0;
            } catch (ZfsException e) {
                exit = e.exitCode();
            }
            return new Result(exit, stdout, p.stderr());
        } catch (IOException e) {
            throw new ZfsException("reading the output of '" + String.join(" ", p.command()) + "': " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ZfsException("interrupted while running '" + String.join(" ", p.command()) + "'");
        }
    }

    private String run(List<String> args) throws ZfsException {
        Result r = runAny(args);
        if (r.exit() != 0) {
            throw new ZfsException(command(args), r.exit(), r.stderr());
        }
        return r.stdout();
    }

    /** stdout, or null when zfs says the dataset does not exist. */
    private @Nullable String runOrMissing(List<String> args) throws ZfsException {
        Result r = runAny(args);
        if (r.exit() == 0) return r.stdout();
        if (ZfsOutput.isMissingDataset(r.stderr())) return null;
        throw new ZfsException(command(args), r.exit(), r.stderr());
    }

    private List<String> command(List<String> args) {
        List<String> command = new ArrayList<>(args.size() + 1);
        command.add(binary.toString());
        command.addAll(args);
        return command;
    }

    private static String readAll(InputStream in) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        in.transferTo(out);
        return out.toString(StandardCharsets.UTF_8);
    }

    // --- argument validation ---------------------------------------------------------------------------

    static void validateProperty(String property) {
        if (property == null || !PROPERTY.matcher(property).matches()) {
            throw new InvalidNameException("property name '" + property
                    + "' must start with a lowercase letter and contain only a-z 0-9 _ . : -");
        }
    }

    static String propertyAssignment(String property, String value) {
        validateProperty(property);
        if (value == null || value.chars().anyMatch(c -> c < 0x20 || c == 0x7f)) {
            throw new InvalidNameException(
                    "value of property '" + property + "' is missing or contains control characters");
        }
        return property + "=" + value;
    }

    private static String validTag(String tag) {
        DatasetName.validateIdentifier(tag, "hold tag");
        return tag;
    }

    private static String snapshotArgument(ZfsVersion snapshot) {
        if (snapshot.type() != VersionType.SNAPSHOT) {
            throw new IllegalArgumentException("holds apply to snapshots, not to " + snapshot);
        }
        return snapshot.fullName();
    }

    private static void checkFullLength(DatasetName fs, String snapshotName) {
        if (fs.value().length() + 1 + snapshotName.length() > DatasetName.MAX_LENGTH) {
            throw new InvalidNameException("snapshot name '" + fs + "@" + snapshotName + "' is longer than "
                    + DatasetName.MAX_LENGTH + " characters");
        }
    }

    /** For listings that return the refused filesystems to their caller, who reports them where they matter. */
    private static Consumer<RefusedName> refusedVersionLogger() {
        Consumer<RefusedName> log = refusedLogger();
        return r -> {
            if (!r.isFilesystem()) {
                log.accept(r);
            }
        };
    }

    private static Consumer<RefusedName> refusedLogger() {
        return r -> log.warn("skipping a dataset zreplj does not handle: {}: {}", r.name(), r.reason());
    }
}
