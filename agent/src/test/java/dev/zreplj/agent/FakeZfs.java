package dev.zreplj.agent;

import dev.zreplj.zfs.Capabilities;
import dev.zreplj.zfs.DatasetName;
import dev.zreplj.zfs.RefusedName;
import dev.zreplj.zfs.SendRequest;
import dev.zreplj.zfs.SendStream;
import dev.zreplj.zfs.SourceZfs;
import dev.zreplj.zfs.VersionListing;
import dev.zreplj.zfs.VersionType;
import dev.zreplj.zfs.ZfsException;
import dev.zreplj.zfs.ZfsVersion;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * An in-memory sending machine with zfs-fuse's capabilities (cursors are holds plus a user property), or
 * with bookmarks as OpenZFS: filesystems with snapshots, holds that keep a snapshot from being destroyed,
 * and failures a test arms per operation. Sends produce a small stream naming the snapshot. Every call
 * that would run a zfs process is recorded ({@link #calls()}), so a test can count them.
 */
final class FakeZfs implements SourceZfs {
    private final boolean bookmarks;
    private boolean rawSend;
    private final List<String> calls = new ArrayList<>();
    private OptionalLong estimate = OptionalLong.empty();
    private CountDownLatch sendStarted;
    private final Map<DatasetName, List<ZfsVersion>> filesystems = new TreeMap<>();
    private final Map<DatasetName, Map<String, String>> properties = new HashMap<>();
    private final Set<String> holds = new HashSet<>();
    private final Map<String, String> failing = new HashMap<>();
    private final Map<String, Throwable> breaking = new HashMap<>();
    private final Map<String, Runnable> duringSend = new HashMap<>();
    private final List<String> sent = new ArrayList<>();
    private final List<RefusedName> refused = new ArrayList<>();
    private long guid = 1000;
    private long txg = 1;
    private Instant now = Instant.parse("2026-11-30T10:00:00Z");
    private Clock clock; // null: ten minutes after the previous snapshot

    /** zfs-fuse's capabilities: no bookmarks. */
    FakeZfs() {
        this(false);
    }

    FakeZfs(boolean bookmarks) {
        this.bookmarks = bookmarks;
    }

    /** This zfs can send raw streams (native encryption), as OpenZFS 0.8 and later. */
    synchronized FakeZfs withRawSend() {
        rawSend = true;
        return this;
    }

    /** "operation root-or-target" of every call that would run a zfs process, in order. */
    synchronized List<String> calls() {
        return List.copyOf(calls);
    }

    synchronized void clearCalls() {
        calls.clear();
    }

    /** Names of the bookmarks of {@code fs}. */
    synchronized List<String> bookmarks(String fs) {
        return filesystems.get(DatasetName.of(fs)).stream()
                .filter(v -> v.type() == VersionType.BOOKMARK)
                .map(ZfsVersion::name)
                .toList();
    }

    synchronized FakeZfs filesystem(String name, String... snapshots) {
        DatasetName fs = DatasetName.of(name);
        filesystems.put(fs, new ArrayList<>());
        for (String s : snapshots) {
            add(fs, s);
        }
        return this;
    }

    /** As zfs-fuse's zfs answers {@code zfs send -w}. */
    private void refuseRaw(SendRequest request) throws ZfsException {
        if (request.raw() && !rawSend) {
            throw new ZfsException(List.of("zfs", "send", "-w", request.to().fullName()), 2, "invalid option 'w'");
        }
    }

    /** The next {@code operation} (a method name of {@link SourceZfs}) fails with zfs's {@code stderr}. */
    synchronized void fail(String operation, String stderr) {
        failing.put(operation, stderr);
    }

    /**
     * The next snapshot fails in {@code pool} with zfs's {@code stderr}, as zfs's call for that pool does (one per
     * pool: a full one), after the other pools' calls took theirs.
     */
    synchronized void failNextSnapshotIn(String pool, String stderr) {
        failingPool = pool;
        failingPoolStderr = stderr;
    }

    private String failingPool;
    private String failingPoolStderr;

    /** The next {@code operation} throws {@code bug}, as a defect would. */
    synchronized void breakNext(String operation, RuntimeException bug) {
        breaking.put(operation, bug);
    }

    /** The next {@code operation} throws {@code error}, as the JVM would (out of memory). */
    synchronized void breakNext(String operation, Error error) {
        breaking.put(operation, error);
    }

    synchronized List<String> snapshots(String fs) {
        return filesystems.get(DatasetName.of(fs)).stream()
                .filter(v -> v.type() == VersionType.SNAPSHOT)
                .map(ZfsVersion::name)
                .toList();
    }

    /** "fs@snap" of every send, in order. */
    synchronized List<String> sent() {
        return List.copyOf(sent);
    }

    /** Snapshots taken from now on are created at this clock's time, as zfs does, not ten minutes apart. */
    synchronized void createdBy(Clock clock) {
        this.clock = clock;
    }

    private void add(DatasetName fs, String name) {
        now = clock != null ? clock.instant() : now.plusSeconds(600);
        filesystems.get(fs).add(new ZfsVersion(fs, VersionType.SNAPSHOT, name, guid++, txg++, now));
    }

    private void maybeFail(String operation, List<String> command) throws ZfsException {
        Throwable bug = breaking.remove(operation);
        if (bug instanceof RuntimeException e) {
            throw e;
        }
        if (bug instanceof Error e) {
            throw e;
        }
        String stderr = failing.remove(operation);
        if (stderr != null) {
            throw new ZfsException(command, 1, stderr);
        }
    }

    @Override
    public synchronized Capabilities capabilities() {
        return new Capabilities(
                "fake",
                bookmarks,
                false,
                false,
                true,
                true,
                rawSend,
                true,
                true,
                true,
                Capabilities.ALL_SEND_FLAGS,
                true);
    }

    @Override
    public synchronized List<DatasetName> listAllFilesystems() throws ZfsException {
        calls.add("listAllFilesystems");
        maybeFail("listAllFilesystems", List.of("zfs", "list"));
        return List.copyOf(filesystems.keySet());
    }

    @Override
    public synchronized Map<DatasetName, List<ZfsVersion>> listVersions(DatasetName root) throws ZfsException {
        calls.add("listVersions " + root);
        maybeFail("listVersions", List.of("zfs", "list", "-r", root.value()));
        Map<DatasetName, List<ZfsVersion>> out = new LinkedHashMap<>();
        filesystems.forEach((fs, versions) -> {
            if (fs.isSelfOrDescendantOf(root)) {
                out.put(fs, List.copyOf(versions));
            }
        });
        return out;
    }

    /** Versions and the property (where not null) in one call, as on zfs-fuse. */
    @Override
    public synchronized VersionListing listVersions(DatasetName root, String property) throws ZfsException {
        Map<DatasetName, List<ZfsVersion>> versions = listVersions(root);
        Map<DatasetName, String> local = new TreeMap<>();
        if (property != null) {
            calls.remove(calls.size() - 1);
            calls.add("listVersions " + root + " with " + property);
            properties.forEach((fs, props) -> {
                if (fs.isSelfOrDescendantOf(root) && props.containsKey(property)) {
                    local.put(fs, props.get(property));
                }
            });
        }
        List<RefusedName> below = refused.stream()
                .filter(r -> r.name().startsWith(root.value() + "/"))
                .toList();
        return new VersionListing(versions, local, below);
    }

    /** A filesystem below an existing one that zfs would list but whose name zreplj refuses. */
    synchronized FakeZfs refusedFilesystem(String name, String reason) {
        refused.add(new RefusedName(name, reason));
        return this;
    }

    @Override
    public synchronized Map<DatasetName, Map<String, String>> getProperties(
            DatasetName root, boolean recursive, List<String> names) throws ZfsException {
        calls.add("getProperties " + root);
        maybeFail("getProperties", List.of("zfs", "get"));
        return Map.of();
    }

    @Override
    public synchronized void snapshot(Collection<DatasetName> fss, String name) throws ZfsException {
        calls.add("snapshot " + name);
        maybeFail("snapshot", List.of("zfs", "snapshot", fss.iterator().next() + "@" + name));
        String pool = failingPool;
        failingPool = null;
        for (DatasetName fs : fss) {
            if (!fs.pool().equals(pool)) {
                add(fs, name);
            }
        }
        if (pool != null && fss.stream().anyMatch(fs -> fs.pool().equals(pool))) {
            throw new ZfsException(List.of("zfs", "snapshot", pool + "@" + name), 1, failingPoolStderr);
        }
        if (vanishing != null) {
            filesystems.remove(vanishing);
            vanishing = null;
        }
    }

    private DatasetName vanishing;

    /** {@code fs} is gone right after the next snapshot (its pool exported meanwhile). */
    synchronized void vanishAfterTheNextSnapshot(String fs) {
        vanishing = DatasetName.of(fs);
    }

    @Override
    public synchronized Map<String, Long> snapshotGuids(Collection<String> snapshots) throws ZfsException {
        calls.add("snapshotGuids " + snapshots.size());
        maybeFail("snapshotGuids", List.of("zfs", "get", "guid"));
        Map<String, Long> out = new HashMap<>();
        filesystems.forEach((fs, versions) -> versions.stream()
                .filter(v -> v.type() == VersionType.SNAPSHOT && snapshots.contains(v.fullName()))
                .forEach(v -> out.put(v.fullName(), v.guid())));
        return out;
    }

    /** Runs {@code action} (once) when {@code snapshot} (fs@name) is sent: what happens on the sender meanwhile. */
    synchronized void duringSendOf(String snapshot, Runnable action) {
        duringSend.put(snapshot, action);
    }

    /** {@code zfs destroy fs@name; zfs snapshot fs@name}, as a script rotating a fixed-name snapshot does. */
    synchronized void retake(String fs, String name) {
        DatasetName f = DatasetName.of(fs);
        filesystems
                .get(f)
                .removeIf(v -> v.type() == VersionType.SNAPSHOT && v.name().equals(name));
        add(f, name);
    }

    @Override
    public synchronized void destroySnapshots(DatasetName fs, Collection<String> names) throws ZfsException {
        calls.add("destroySnapshots " + fs);
        maybeFail("destroySnapshots", List.of("zfs", "destroy", fs + "@" + String.join(",", names)));
        for (String name : names) {
            if (holds.stream().anyMatch(h -> h.endsWith(" " + fs + "@" + name))) {
                throw new ZfsException(List.of("zfs", "destroy", fs + "@" + name), 1, "dataset is busy");
            }
        }
        filesystems.get(fs).removeIf(v -> v.type() == VersionType.SNAPSHOT && names.contains(v.name()));
    }

    @Override
    public synchronized SendStream send(SendRequest request) throws ZfsException {
        calls.add("send " + request.to().fullName());
        refuseRaw(request);
        if (sendStarted != null) sendStarted.countDown();
        Runnable during = duringSend.remove(request.to().fullName());
        if (during != null) during.run();
        maybeFail("send", List.of("zfs", "send", request.to().fullName()));
        sent.add(request.to().fullName());
        byte[] stream = ("stream of " + request.to().fullName()).repeat(100).getBytes(StandardCharsets.UTF_8);
        InputStream in = new ByteArrayInputStream(stream);
        return new SendStream() {
            @Override
            public InputStream stdout() {
                return in;
            }

            @Override
            public CompletableFuture<Integer> exited() {
                return CompletableFuture.completedFuture(0);
            }

            @Override
            public void finish() {}

            @Override
            public void kill() {}

            @Override
            public void close() {}
        };
    }

    /** A send into a channel's FIFO: its stream goes to the fake box unseen; the box ends it as ssh and zfs would. */
    @Override
    public synchronized SendStream send(SendRequest request, Path output) throws ZfsException {
        calls.add("send " + request.to().fullName() + " > " + output);
        refuseRaw(request);
        if (sendStarted != null) sendStarted.countDown();
        maybeFail("send", List.of("zfs", "send", request.to().fullName()));
        sent.add(request.to().fullName());
        return new FifoSend(List.of("zfs", "send", request.to().fullName()));
    }

    /** A {@code zfs send} writing into a FIFO: it ends when {@link #exit} says, as the stream's reader decides. */
    static final class FifoSend implements SendStream {
        private final List<String> command;
        private final CompletableFuture<Integer> exited = new CompletableFuture<>();
        private volatile String stderr = "";

        FifoSend(List<String> command) {
            this.command = command;
        }

        /** The send ends with this status and stderr (the first end counts, as a process exits once). */
        synchronized void exit(int status, String stderr) {
            if (!exited.isDone()) {
                this.stderr = stderr;
                exited.complete(status);
            }
        }

        @Override
        public InputStream stdout() {
            throw new IllegalStateException("a send into a FIFO has no stdout for the agent");
        }

        @Override
        public CompletableFuture<Integer> exited() {
            return exited;
        }

        @Override
        public void finish() throws ZfsException, InterruptedException {
            int status;
            try {
                status = exited.get(10, TimeUnit.SECONDS);
            } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
                throw new IllegalStateException("the fake send never ended", e);
            }
            if (status != 0) {
                throw new ZfsException(command, status, stderr);
            }
        }

        @Override
        public void kill() {
            exit(143, "");
        }

        @Override
        public void close() {}
    }

    @Override
    public OptionalLong estimateSendSize(SendRequest request) throws ZfsException {
        CountDownLatch gate;
        synchronized (this) {
            calls.add("estimateSendSize " + request.to().fullName());
            if (estimate.isEmpty()) return OptionalLong.empty();
            gate = sendStarted;
        }
        // Outside the lock: a send may start meanwhile.
        try {
            if (gate != null && !gate.await(5, TimeUnit.SECONDS)) {
                throw new ZfsException("the estimate was asked for and answered before any send started");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ZfsException("interrupted");
        }
        return estimate;
    }

    /**
     * zfs estimates each stream at {@code bytes}; with {@code onlyOnceSending} it answers only once a send has
     * started (and fails after 5 s without one), as a slow estimate would be.
     */
    synchronized void estimates(long bytes, boolean onlyOnceSending) {
        estimate = OptionalLong.of(bytes);
        sendStarted = onlyOnceSending ? new CountDownLatch(1) : null;
    }

    @Override
    public synchronized Map<DatasetName, String> localProperty(DatasetName root, String property) {
        calls.add("localProperty " + root);
        Map<DatasetName, String> out = new TreeMap<>();
        properties.forEach((fs, props) -> {
            if (fs.isSelfOrDescendantOf(root) && props.containsKey(property)) {
                out.put(fs, props.get(property));
            }
        });
        return out;
    }

    @Override
    public synchronized void setProperty(DatasetName dataset, String property, String value) throws ZfsException {
        calls.add("setProperty " + dataset);
        maybeFail("setProperty", List.of("zfs", "set", property + "=" + value, dataset.value()));
        properties.computeIfAbsent(dataset, k -> new HashMap<>()).put(property, value);
    }

    @Override
    public synchronized void hold(String tag, ZfsVersion snapshot) throws ZfsException {
        calls.add("hold " + snapshot.fullName());
        if (!holds.add(tag + " " + snapshot.fullName())) {
            throw new ZfsException(
                    List.of("zfs", "hold", tag, snapshot.fullName()), 1, "tag already exists on this dataset");
        }
    }

    @Override
    public synchronized boolean releaseIfHeld(String tag, ZfsVersion snapshot) {
        calls.add("release " + snapshot.fullName());
        return holds.remove(tag + " " + snapshot.fullName());
    }

    @Override
    public synchronized void bookmark(ZfsVersion snapshot, String bookmarkName) {
        if (!bookmarks) {
            throw new UnsupportedOperationException("this fake has no bookmarks, as zfs-fuse");
        }
        calls.add("bookmark " + snapshot.fullName());
        filesystems
                .get(snapshot.filesystem())
                .add(new ZfsVersion(
                        snapshot.filesystem(),
                        VersionType.BOOKMARK,
                        bookmarkName,
                        snapshot.guid(),
                        snapshot.createtxg(),
                        snapshot.creation()));
    }

    @Override
    public synchronized void destroyBookmark(ZfsVersion bookmark) {
        if (!bookmarks) {
            throw new UnsupportedOperationException("this fake has no bookmarks, as zfs-fuse");
        }
        calls.add("destroyBookmark " + bookmark.fullName());
        filesystems
                .get(bookmark.filesystem())
                .removeIf(v -> v.type() == VersionType.BOOKMARK && v.name().equals(bookmark.name()));
    }
}
