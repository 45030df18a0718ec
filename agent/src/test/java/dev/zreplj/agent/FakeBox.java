package dev.zreplj.agent;

import dev.zreplj.protocol.DestroyResult;
import dev.zreplj.protocol.DestroyTarget;
import dev.zreplj.protocol.ErrorCodes;
import dev.zreplj.protocol.ReceiveCommand;
import dev.zreplj.protocol.ReceiveResult;
import dev.zreplj.protocol.ReceiveSeries;
import dev.zreplj.protocol.RemoteException;
import dev.zreplj.protocol.RemoteFilesystem;
import dev.zreplj.protocol.RemoteVersion;
import dev.zreplj.protocol.SinkClient;
import dev.zreplj.replication.Box;
import dev.zreplj.replication.BoxChannel;
import dev.zreplj.replication.RawInput;
import dev.zreplj.replication.StalledException;
import dev.zreplj.zfs.VersionType;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.LongConsumer;

/**
 * An in-memory backup box: the client's jail (filesystems and their snapshots), channels with ids, and
 * faults a test arms for the next receives or listings: the box busy, a channel lost, a stalled request
 * (the channel is cut as the watchdog would), or the whole session dying. {@link #log()} says which
 * channel did what, in order.
 */
final class FakeBox implements Box {
    /** {@code NONE} lets a request through, to aim the next fault at a later one. */
    enum Fault {
        NONE,
        BUSY,
        CHANNEL_LOST,
        STALL,
        SESSION_DIES,
        /** The box refuses the stream and ends the channel, as it does for an unframed one (RECV_RAW). */
        REFUSED_ENDS_CHANNEL,
        /**
         * An unframed stream whose zfs send fails while the channel stands: the box waits for the rest until the
         * agent aborts the channel.
         */
        SEND_FAILS,
        /**
         * The link dies under an unframed stream: its zfs send ends on EPIPE first, the channel shows its end a
         * moment later.
         */
        LINK_LOST_UNDER_SEND,
        /** A broken box: RESULT with the requested guid, but nothing stored (a framed RECV). */
        FORGETS,
        /**
         * A hostile box under an unframed stream: once zfs send ended, PROGRESS with ever more bytes and never a
         * RESULT, until the agent aborts the channel.
         */
        PROGRESS_FOREVER,
        /** The box's zfs recv fails for lack of space: the jail's quota or the box's pool is full. */
        NO_SPACE
    }

    private final Map<String, List<RemoteVersion>> jail = new TreeMap<>();
    private final List<Channel> open = new ArrayList<>();
    private final List<String> log = new ArrayList<>();
    private final Deque<Fault> receiveFaults = new ArrayDeque<>();
    private final Deque<Fault> listFaults = new ArrayDeque<>();
    private final Deque<Fault> destroyFaults = new ArrayDeque<>();
    /** Snapshot names the box's zfs will not destroy (an admin's hold there): reported as failed. */
    private final java.util.Set<String> undestroyable = new java.util.HashSet<>();

    private boolean rawStreams;
    private int nextChannel = 1;
    private int sessions;
    private int reconnects;
    private int failingReconnects;
    private boolean sessionDead;
    private long txg = 1;

    /** Opens this box: a session and its first channel. */
    Box.Opener opener() {
        return watchdog -> {
            synchronized (this) {
                sessions++;
                log.add("session " + sessions);
                channels(1);
            }
            return this;
        };
    }

    /** An opener of a box that cannot be reached at all. */
    static Box.Opener unreachable(String why) {
        return watchdog -> {
            throw new IOException(why);
        };
    }

    synchronized void failReceives(Fault... faults) {
        receiveFaults.addAll(List.of(faults));
    }

    synchronized void undestroyable(String name) {
        undestroyable.add(name);
    }

    /** Snapshot names the box's policy.keep_floor keeps: refused with the box's reason. */
    private final java.util.Set<String> floorKeeps = new java.util.HashSet<>();

    synchronized void floorKeeps(String name) {
        floorKeeps.add(name);
    }

    /** Channels take streams unframed, written into them by zfs send itself (RECV_RAW). */
    synchronized FakeBox rawStreams() {
        rawStreams = true;
        return this;
    }

    synchronized void failDestroys(Fault... faults) {
        destroyFaults.addAll(List.of(faults));
    }

    synchronized void failLists(Fault... faults) {
        listFaults.addAll(List.of(faults));
    }

    /** The next {@code n} reconnects fail as if the box went away. */
    synchronized void failReconnects(int n) {
        failingReconnects = n;
    }

    /** A filesystem the box already holds, with these snapshots (oldest first) and their guids. */
    private List<String> capabilities = List.of();

    synchronized void holds(String path, List<String> names, List<Long> guids) {
        List<RemoteVersion> versions = new ArrayList<>();
        for (int i = 0; i < names.size(); i++) {
            versions.add(version(names.get(i), guids.get(i)));
        }
        jail.put(path, versions);
    }

    synchronized List<String> snapshots(String path) {
        return jail.getOrDefault(path, List.of()).stream()
                .map(RemoteVersion::name)
                .toList();
    }

    synchronized List<Long> guids(String path) {
        return jail.getOrDefault(path, List.of()).stream()
                .map(RemoteVersion::guid)
                .toList();
    }

    synchronized List<String> log() {
        return List.copyOf(log);
    }

    synchronized int sessions() {
        return sessions;
    }

    synchronized int reconnects() {
        return reconnects;
    }

    private RemoteVersion version(String name, long guid) {
        long t = txg++;
        return new RemoteVersion(name, VersionType.SNAPSHOT, guid, t, 1_700_000_000L + t);
    }

    /** What the fake announces in its HELLO; nothing unless a test says so. */
    synchronized void announce(String... capabilities) {
        this.capabilities = List.of(capabilities);
    }

    @Override
    public synchronized List<String> capabilities() {
        return capabilities;
    }

    @Override
    public synchronized BoxChannel first() {
        return open.get(0);
    }

    @Override
    public synchronized List<BoxChannel> channels(int n) throws IOException {
        if (sessionDead) {
            throw new IOException("the SSH session is closed");
        }
        while (open.size() < n) {
            open.add(new Channel(nextChannel++));
        }
        return List.copyOf(open);
    }

    @Override
    public synchronized BoxChannel another() throws IOException {
        channels(open.size() + 1);
        return open.get(open.size() - 1);
    }

    @Override
    public synchronized BoxChannel healthy() throws IOException {
        for (Channel c : open) {
            if (!c.aborted) {
                return c;
            }
        }
        channels(open.size() + 1);
        return open.get(open.size() - 1);
    }

    @Override
    public synchronized void reconnect() throws IOException {
        reconnects++;
        open.clear();
        if (failingReconnects > 0) {
            failingReconnects--;
            log.add("reconnect refused");
            throw new IOException("connect to 127.0.0.1 port 22: connection refused");
        }
        if (sessionDead) {
            sessionDead = false;
            sessions++;
            log.add("session " + sessions);
        }
        channels(1);
    }

    @Override
    public void close() {}

    private final class Channel implements BoxChannel {
        private final int id;
        private volatile boolean aborted;
        private volatile boolean lost;
        /** The send writing into this channel, once a raw receive started it. */
        private volatile FakeZfs.FifoSend sending;

        Channel(int id) {
            this.id = id;
        }

        /** Throws what an armed fault (or an earlier one) makes this request fail with. */
        private void check(Deque<Fault> faults, String what) throws IOException {
            synchronized (FakeBox.this) {
                if (aborted || lost || sessionDead) {
                    throw new IOException("channel " + id + " is closed");
                }
                Fault fault = faults.poll();
                if (fault == null || fault == Fault.NONE) {
                    return;
                }
                log.add(fault + " #" + id + " " + what);
                switch (fault) {
                    case BUSY ->
                        throw new RemoteException(ErrorCodes.BUSY, "another receive into " + what + " is running", "");
                    case CHANNEL_LOST -> {
                        lost = true;
                        throw new IOException("channel " + id + " closed by the box");
                    }
                    case STALL -> {
                        aborted = true;
                        throw new StalledException("stalled: no progress for 10m0s at 0 B; cancelled", null);
                    }
                    case REFUSED_ENDS_CHANNEL -> {
                        aborted = true;
                        throw new RemoteException(ErrorCodes.STREAM, "the stream names another snapshot", "");
                    }
                    case NO_SPACE ->
                        throw new RemoteException(
                                ErrorCodes.ZFS,
                                "'/usr/sbin/zfs recv box/laptop/" + what.substring(0, what.indexOf('@'))
                                        + "' failed (exit 1): cannot receive incremental stream: out of space",
                                "cannot receive incremental stream: out of space\n");
                    case SESSION_DIES -> {
                        sessionDead = true;
                        throw new IOException("the SSH session is closed");
                    }
                    default -> throw new IllegalStateException(fault.name());
                }
            }
        }

        @Override
        public List<RemoteFilesystem> list() throws IOException {
            check(listFaults, "LIST");
            synchronized (FakeBox.this) {
                log.add("list #" + id);
                List<RemoteFilesystem> out = new ArrayList<>();
                jail.forEach((path, versions) -> out.add(new RemoteFilesystem(path, false, versions, null)));
                return out;
            }
        }

        @Override
        public Optional<RawInput> rawInput() {
            if (!rawStreams) {
                return Optional.empty();
            }
            return Optional.of((zfs, request) -> {
                FakeZfs.FifoSend send = (FakeZfs.FifoSend) zfs.send(request, Path.of("c" + id));
                sending = send;
                return send;
            });
        }

        @Override
        public ReceiveResult receiveRaw(Record request, SinkClient.RawSender sender, LongConsumer progress)
                throws IOException {
            ReceiveCommand command =
                    request instanceof ReceiveSeries series ? series.command() : (ReceiveCommand) request;
            String what = command.path() + "@" + command.snapshot();
            Fault after;
            synchronized (FakeBox.this) {
                Fault next = receiveFaults.peek();
                after = next == Fault.SEND_FAILS || next == Fault.LINK_LOST_UNDER_SEND || next == Fault.PROGRESS_FOREVER
                        ? receiveFaults.poll()
                        : null;
                if (after != null) {
                    log.add(after + " #" + id + " " + what);
                }
            }
            if (after == null) {
                check(receiveFaults, what);
            }
            sender.start();
            FakeZfs.FifoSend send = sending;
            if (after == Fault.SEND_FAILS) {
                send.exit(1, "cannot send " + what + ": I/O error");
                long deadline = System.nanoTime() + 10_000_000_000L;
                while (!aborted && System.nanoTime() < deadline) {
                    sleep(10);
                }
                throw new IOException("channel " + id + " aborted");
            }
            if (after == Fault.LINK_LOST_UNDER_SEND) {
                send.exit(1, "warning: cannot send '" + what + "': Broken pipe");
                sleep(200);
                lost = true;
                throw new IOException("the server closed the connection while RESULT was expected");
            }
            send.exit(0, "");
            if (after == Fault.PROGRESS_FOREVER) {
                long deadline = System.nanoTime() + 20_000_000_000L;
                for (long n = 1000; !aborted && System.nanoTime() < deadline; n += 1000) {
                    progress.accept(n);
                    sleep(50);
                }
                throw new IOException("channel " + id + " aborted");
            }
            progress.accept(1000);
            return request instanceof ReceiveSeries series ? land(series, 1000) : land(command, 1000);
        }

        private void sleep(long millis) throws IOException {
            try {
                Thread.sleep(millis);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new java.io.InterruptedIOException("interrupted");
            }
        }

        @Override
        public ReceiveResult receive(ReceiveCommand command, InputStream stream) throws IOException {
            byte[] data = stream.readAllBytes();
            synchronized (FakeBox.this) {
                if (receiveFaults.peek() == Fault.FORGETS) {
                    receiveFaults.poll();
                    log.add("FORGETS #" + id + " " + command.path() + "@" + command.snapshot());
                    return new ReceiveResult(data.length, command.toGuid());
                }
            }
            check(receiveFaults, command.path() + "@" + command.snapshot());
            return land(command, data.length);
        }

        private ReceiveResult land(ReceiveCommand command, long bytes) throws RemoteException {
            synchronized (FakeBox.this) {
                List<RemoteVersion> versions = jail.computeIfAbsent(command.path(), k -> new ArrayList<>());
                long base = command.fromGuid() == null ? -1 : command.fromGuid();
                if (command.fromGuid() == null
                        ? !versions.isEmpty()
                        : versions.isEmpty()
                                || versions.get(versions.size() - 1).guid() != base) {
                    throw new RemoteException(ErrorCodes.ZFS, "the stream does not apply to " + command.path(), "");
                }
                versions.add(version(command.snapshot(), command.toGuid()));
                log.add("recv #" + id + " " + command.path() + "@" + command.snapshot());
                return new ReceiveResult(bytes, command.toGuid());
            }
        }

        @Override
        public ReceiveResult receiveSeries(ReceiveSeries series, InputStream stream) throws IOException {
            ReceiveCommand command = series.command();
            byte[] data = stream.readAllBytes();
            check(receiveFaults, command.path() + "@" + command.snapshot());
            return land(series, data.length);
        }

        private ReceiveResult land(ReceiveSeries series, long bytes) throws RemoteException {
            ReceiveCommand command = series.command();
            synchronized (FakeBox.this) {
                List<RemoteVersion> versions = jail.computeIfAbsent(command.path(), k -> new ArrayList<>());
                if (versions.isEmpty() || versions.get(versions.size() - 1).guid() != command.fromGuid()) {
                    throw new RemoteException(ErrorCodes.ZFS, "the stream does not apply to " + command.path(), "");
                }
                for (ReceiveSeries.Snapshot s : series.snapshots()) {
                    versions.add(version(s.name(), s.guid()));
                }
                log.add("recv -I #" + id + " " + command.path() + "@"
                        + series.snapshots().stream()
                                .map(ReceiveSeries.Snapshot::name)
                                .collect(java.util.stream.Collectors.joining(",")));
                return new ReceiveResult(bytes, command.toGuid());
            }
        }

        @Override
        public DestroyResult destroy(String path, List<DestroyTarget> snapshots) throws IOException {
            check(destroyFaults, "DESTROY");
            synchronized (FakeBox.this) {
                List<String> names = snapshots.stream()
                        .map(DestroyTarget::name)
                        .filter(n -> !undestroyable.contains(n) && !floorKeeps.contains(n))
                        .toList();
                List<DestroyResult.Refusal> refused = snapshots.stream()
                        .map(DestroyTarget::name)
                        .filter(floorKeeps::contains)
                        .map(n -> new DestroyResult.Refusal(n, DestroyResult.Refusal.KEPT_BY_FLOOR))
                        .toList();
                List<DestroyResult.Refusal> failed = snapshots.stream()
                        .map(DestroyTarget::name)
                        .filter(undestroyable::contains)
                        .map(n -> new DestroyResult.Refusal(
                                n, "'zfs destroy " + path + "@" + n + "' failed (exit 1): dataset is busy"))
                        .toList();
                jail.get(path).removeIf(v -> names.contains(v.name()));
                log.add("destroy #" + id + " " + path + "@" + String.join(",", names));
                return new DestroyResult(names, refused, failed);
            }
        }

        @Override
        public void abort() {
            aborted = true;
        }

        @Override
        public boolean aborted() {
            return aborted || lost;
        }
    }
}
