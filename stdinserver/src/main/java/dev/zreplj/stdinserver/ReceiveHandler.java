package dev.zreplj.stdinserver;

import dev.zreplj.config.RecvOptions;
import dev.zreplj.config.ServeLimits;
import dev.zreplj.config.SinkJob;
import dev.zreplj.files.StateFiles;
import dev.zreplj.protocol.ErrorCodes;
import dev.zreplj.protocol.ErrorReply;
import dev.zreplj.protocol.FrameType;
import dev.zreplj.protocol.Printable;
import dev.zreplj.protocol.ReceiveCommand;
import dev.zreplj.protocol.ReceiveResult;
import dev.zreplj.protocol.ReceiveSeries;
import dev.zreplj.protocol.RemoteException;
import dev.zreplj.protocol.StreamHeader;
import dev.zreplj.zfs.Capabilities;
import dev.zreplj.zfs.DatasetName;
import dev.zreplj.zfs.InvalidResumeTokenException;
import dev.zreplj.zfs.ReceiveRequest;
import dev.zreplj.zfs.ResumeToken;
import dev.zreplj.zfs.VersionType;
import dev.zreplj.zfs.Zfs;
import dev.zreplj.zfs.ZfsException;
import dev.zreplj.zfs.ZfsProcess;
import dev.zreplj.zfs.ZfsVersion;
import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.FutureTask;
import java.util.stream.Collectors;

/**
 * RECV: checks the request and the stream's header, receives under the dataset's lock and a global
 * receive slot, then moves the last-received hold forward and records the client's status. RECV_RAW and
 * RECV_SERIES_RAW are the same with the stream unframed: their {@link StreamPump#raw} pump decides how a
 * refusal is answered.
 */
final class ReceiveHandler {
    /** Excluded from a stream that carries properties, so a client cannot mount over the box's paths. */
    static final List<String> MOUNT_PROPERTIES = List.of("mountpoint", "canmount", "sharenfs", "sharesmb");
    /**
     * A received volume with {@code volmode=none} has no block device on the box: otherwise the client's bytes
     * reach udev, the kernel's partition scanner and LVM/mdadm auto-activation as {@code /dev/zvol/...}.
     */
    static final String VOLMODE = "volmode";

    private final Zfs zfs;
    private final Conversation conversation;
    /** Every framed RECV's: it keeps its zstd inflater from one to the next. */
    private final StreamPump framed;

    private final Placeholders placeholders;
    private final ReceiverHolds holds;
    private final BoxLog log;
    private final Runnable received;
    /** Whether this process has logged that zfs cannot apply the sink's recv.properties (once is enough). */
    private boolean recvPropertiesNoted;

    /**
     * @param received called after the client's status file changed: a receive recorded, or one that had no space
     *     (the box's metrics textfile)
     */
    ReceiveHandler(
            Zfs zfs,
            Conversation conversation,
            Placeholders placeholders,
            ReceiverHolds holds,
            BoxLog log,
            Runnable received) {
        this.received = received;
        this.zfs = zfs;
        this.conversation = conversation;
        this.framed = new StreamPump(conversation, log);
        this.placeholders = placeholders;
        this.holds = holds;
        this.log = log;
    }

    void handle(Session session, ReceiveCommand cmd) throws IOException {
        handle(session, cmd, null, framed);
    }

    /** RECV_RAW: as RECV, its stream unframed after READY. */
    void handleRaw(Session session, ReceiveCommand cmd) throws IOException {
        handle(session, cmd, null, StreamPump.raw(conversation, log));
    }

    void handleSeries(Session session, ReceiveSeries series) throws IOException {
        handleSeries(session, series, framed);
    }

    /** RECV_SERIES_RAW: as RECV_SERIES, its stream unframed after READY. */
    void handleSeriesRaw(Session session, ReceiveSeries series) throws IOException {
        handleSeries(session, series, StreamPump.raw(conversation, log));
    }

    /**
     * RECV_SERIES: a {@code zfs send -I} stream. Its request is checked whole before a byte is read, every
     * substream's BEGIN while zfs recv reads (see {@link CompoundTail}); the snapshots that arrived before a
     * refusal or failure count as received.
     */
    private void handleSeries(Session session, ReceiveSeries series, StreamPump pump) throws IOException {
        ReceiveCommand cmd = series.command();
        try {
            SeriesStream.checkRequest(series);
        } catch (RemoteException e) {
            log.refused("refused RECV_SERIES: " + e.getMessage());
            pump.refuseRequest(e);
            return;
        }
        handle(session, cmd, series, pump);
    }

    private void handle(Session session, ReceiveCommand cmd, ReceiveSeries series, StreamPump pump) throws IOException {
        DatasetName target;
        try {
            List<String> names = series == null
                    ? List.of(cmd.snapshot() == null ? "" : cmd.snapshot())
                    : series.snapshots().stream()
                            .map(ReceiveSeries.Snapshot::name)
                            .toList();
            target = session.jail().resolve(cmd.path(), names);
        } catch (RemoteException e) {
            log.refused("refused RECV: " + e.getMessage());
            pump.refuseRequest(e);
            return;
        }
        try (DatasetLock lock = DatasetLock.acquire(session.stateDir(), target, DatasetLock.WAIT)) {
            if (lock == null) {
                refuse(
                        pump,
                        new RemoteException(
                                ErrorCodes.BUSY, busy(target, session.job().limits()), ""));
                return;
            }
            // The client's own cap first: its waiting receives must not sit on the box's slots meanwhile.
            int mine = session.job().limits().maxReceives();
            try (ReceiveSlot own = ReceiveSlot.acquire(
                    ReceiveSlot.clientReceives(session.stateDir(), session.clientId()),
                    mine,
                    ReceiveSlot.DEFAULT_WAIT)) {
                if (own == null) {
                    refuse(
                            pump,
                            new RemoteException(
                                    ErrorCodes.BUSY,
                                    "this client has been running its maximum of " + mine
                                            + " concurrent receives (serve.zreplj.max_receives) for "
                                            + ReceiveSlot.DEFAULT_WAIT.toMinutes() + " minutes; try again later",
                                    ""));
                    return;
                }
                try (ReceiveSlot slot = ReceiveSlot.acquire(
                        ReceiveSlot.boxReceives(session.stateDir()),
                        ServeLimits.BOX_RECEIVES,
                        ReceiveSlot.DEFAULT_WAIT)) {
                    if (slot == null) {
                        refuse(
                                pump,
                                new RemoteException(
                                        ErrorCodes.BUSY,
                                        "the box has been running its maximum of "
                                                + ServeLimits.BOX_RECEIVES + " concurrent receives for "
                                                + ReceiveSlot.DEFAULT_WAIT.toMinutes() + " minutes; try again later",
                                        ""));
                        return;
                    }
                    receiveLocked(session, cmd, series, target, pump);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while receiving into " + target);
        }
    }

    private void refuse(StreamPump pump, RemoteException e) throws IOException {
        log.refused("refused RECV: " + e.getMessage());
        pump.refuseRequest(e);
    }

    private void receiveLocked(
            Session session, ReceiveCommand cmd, ReceiveSeries series, DatasetName target, StreamPump pump)
            throws IOException, InterruptedException {
        // What the checks below ask zfs about the target runs while the stream's first bytes are on their way:
        // the dataset lock is held, so nothing changes it meanwhile (a sibling receive may create a common
        // parent, which createMissingParents tolerates).
        DatasetName jail = session.jail().root();
        boolean fullOverPlaceholder = cmd.fromGuid() == null && cmd.resumeToken() == null;
        Future<List<ZfsVersion>> listing = ahead("zreplj-versions", () -> zfs.listOwnVersions(target));
        // A full stream's target is asked beside its parents, not before them: for a new filesystem (the
        // usual full send) both calls are needed, and one after the other they stood before zfs recv.
        Future<Boolean> targetExists = fullOverPlaceholder ? ahead("zreplj-target", () -> zfs.exists(target)) : null;
        // An incremental's target holds its base, so its parents exist: asking zfs was one more process per step
        // (on a busy box, starting processes is most of a small step's CPU). Should the target have no snapshot
        // (the stream will fail), they are asked after all, below.
        Future<Set<DatasetName>> onPath = cmd.fromGuid() != null
                ? null
                : ahead("zreplj-parents", () -> placeholders.existingAncestors(jail, target));
        // The last-received record, which afterReceive moves: an incremental's target exists already, and
        // what sets the record (a receive, DESTROY, the stale-mark cleanup) takes the dataset lock held here.
        Future<Map<String, String>> localProperties =
                cmd.fromGuid() == null ? null : ahead("zreplj-properties", () -> zfs.localProperties(target));
        StreamPump.HeaderBytes first = pump.readHeader();
        if (first == null) {
            conversation.reply(new ErrorReply(ErrorCodes.ABORTED, "the client aborted the stream into " + target, ""));
            return;
        }
        ReceiveRequest request;
        List<ZfsVersion> before;
        StreamHeader received;
        // The box's records on an incremental's target, to put back should zfs recv clear them (restoreOwnRecords).
        Future<Map<String, String>> ownBefore = null;
        CompoundTail tail = null;
        int checked = first.length();
        try {
            StreamHeader header = StreamHeader.parse(first.bytes(), first.length());
            CompoundHeader properties = null;
            if (series != null) {
                StreamPump.HeaderBytes more = pump.readMore(first, SeriesStream.PREFIX);
                if (more == null) {
                    conversation.reply(
                            new ErrorReply(ErrorCodes.ABORTED, "the client aborted the stream into " + target, ""));
                    return;
                }
                first = more;
                header = SeriesStream.firstSubstream(series, header, first.bytes(), first.length());
                tail = new CompoundTail(
                        header.order(),
                        CompoundTail.Layout.of(zfs.capabilities()),
                        new CompoundTail.Series(
                                cmd.path(),
                                cmd.fromGuid(),
                                series.snapshots(),
                                zfs.capabilities().recvProperties()));
                // Only the first substream's BEGIN before zfs recv starts: the pump checks the rest of these
                // bytes as it passes them, so what arrives does not depend on how the client framed the stream.
                tail.accept(first.bytes(), 2 * StreamHeader.LENGTH, StreamHeader.LENGTH);
                checked = SeriesStream.PREFIX;
            } else if (header.compound()) {
                StreamPump.HeaderBytes more = pump.readMore(first, CompoundStream.prefixLength(header));
                if (more == null) {
                    conversation.reply(
                            new ErrorReply(ErrorCodes.ABORTED, "the client aborted the stream into " + target, ""));
                    return;
                }
                first = more;
                CompoundStream compound = CompoundStream.check(
                        header,
                        first.bytes(),
                        first.length(),
                        cmd.snapshot(),
                        cmd.toGuid(),
                        CompoundTail.Layout.of(zfs.capabilities()));
                properties = compound.properties();
                tail = compound.tail();
                header = compound.substream();
            } else if (pump.raw()) {
                // Unframed, a plain stream's records are all that says where it ends: it is walked too.
                tail = CompoundTail.plain(header.order(), CompoundTail.Layout.of(zfs.capabilities()));
                tail.accept(first.bytes(), 0, first.length());
            }
            if (series == null) {
                checkHeader(cmd, header);
            }
            // What the target holds before zfs recv: a snapshot this receive creates is one not among these.
            before = result(listing);
            checkNewGuids(cmd, series, before, session.clientId());
            checkBase(cmd, target, before);
            checkListedSnapshots(cmd, properties, before);
            if (cmd.rollback()) {
                checkRollback(session, target, newerThanBase(before, cmd.fromGuid()), before);
            }
            checkPartialState(cmd, header, target);
            checkProperties(session.job(), header, properties);
            Set<DatasetName> existing = new HashSet<>(
                    onPath != null
                            ? result(onPath)
                            : hasSnapshot(before)
                                    ? Placeholders.ancestorsBelow(jail, target)
                                    : placeholders.existingAncestors(jail, target));
            if (targetExists != null && result(targetExists)) {
                existing.add(target);
            }
            placeholders.createMissingParents(jail, target, existing);
            // A partially received new filesystem looks like an empty placeholder; -F must not touch it.
            boolean overwritePlaceholder = fullOverPlaceholder && placeholders.isEmptyPlaceholder(target, existing);
            request = receiveRequest(session.job(), cmd, header, properties, target, overwritePlaceholder);
            received = header;
            if (properties != null
                    || header.payloadLength() > 0
                    || (series != null && zfs.capabilities().recvProperties())) {
                ownBefore = localProperties;
            }
            recvPropertiesNotApplied(session.job(), target);
        } catch (RemoteException e) {
            log.refused("refused RECV into " + target + ": " + e.getMessage());
            pump.refuseStream(e, first.ended());
            return;
        } catch (ZfsException e) {
            pump.refuseStream(zfsFailed(session, cmd, target, e), first.ended());
            return;
        } catch (PlaceholderEncryption.Refused e) {
            log.refused("refused RECV into " + target + ": " + e.getMessage());
            pump.refuseStream(new RemoteException(ErrorCodes.ZFS, e.getMessage(), ""), first.ended());
            return;
        }
        List<Long> pending = guids(cmd, series);
        try {
            ReceiveTimes.reserve(session.stateDir(), target, before, pending, Instant.now());
        } catch (IOException e) {
            RemoteException refused = new RemoteException(
                    ErrorCodes.INTERNAL,
                    "cannot record the receive time of " + target + "@" + cmd.snapshot() + " on the box ("
                            + e.getMessage() + "); refused: the box receives no snapshot it cannot time",
                    "");
            log.refused("refused RECV into " + target + ": " + refused.getMessage());
            pump.refuseStream(refused, first.ended());
            return;
        }
        ZfsProcess recv;
        try {
            // A resume continues the partial receive the box holds; rolling the target back would discard it.
            if (cmd.rollback() && cmd.resumeToken() == null) {
                rollBackToBase(session, target, cmd.fromGuid(), before);
            }
            recv = zfs.receive(request);
        } catch (ZfsException e) {
            try {
                pump.refuseStream(zfsFailed(session, cmd, target, e), first.ended());
            } finally {
                // Also when a raw stream's refusal ends the conversation.
                forgetIfAbsent(session, target, before);
            }
            return;
        }
        boolean done = false;
        try {
            long bytes;
            try {
                bytes = pump.pump(
                        recv,
                        first,
                        series == null ? first.length() : checked,
                        target,
                        tail,
                        ReceiveBandwidth.of(session.job(), session.stateDir()),
                        e -> failureReply(session, cmd, target, e));
            } catch (IOException gone) {
                // The client went away inside the stream (killed, its link cut, stalled): what zfs recv completed
                // before that is on the box (a series' first substreams, a whole stream without its END frame).
                StreamPump.stopAndWait(recv);
                recordArrived(session, cmd, series, target, before, ownBefore, pump.read(), gone.getMessage());
                throw gone;
            }
            if (bytes < 0) {
                recordArrived(session, cmd, series, target, before, ownBefore, pump.read(), pump.stopped());
                return;
            }
            try {
                zfs.finishReceive(recv);
            } catch (ZfsException e) {
                // zfs recv can fail after it committed the snapshot (a property it could not set).
                recordArrived(
                        session, cmd, series, target, before, ownBefore, bytes, "zfs recv failed: " + e.getMessage());
                throw e;
            }
            if (cmd.fromGuid() == null) {
                // The flag is a user property and so inherited from the jail: a real filesystem says "off".
                try {
                    zfs.setProperty(target, Placeholders.PLACEHOLDER_PROPERTY, "off");
                } catch (ZfsException e) {
                    // The snapshot is committed all the same: logged, timed and held as received.
                    recordArrived(
                            session,
                            cmd,
                            series,
                            target,
                            before,
                            ownBefore,
                            bytes,
                            "zfs recv committed it, but clearing " + Placeholders.PLACEHOLDER_PROPERTY + " failed: "
                                    + e.getMessage());
                    throw e;
                }
            }
            try {
                checkVolumeHidden(session, received, target);
            } catch (ZfsException e) {
                recordArrived(session, cmd, series, target, before, ownBefore, bytes, e.getMessage());
                throw e;
            }
            // zfs recv succeeded, so the target has the stream's last snapshot, whose guid the header check found
            // to be the command's. The reply goes now: the agent moves its cursor while the box records the
            // receive below, under the dataset lock and before it reads the next request.
            done = true;
            IOException unsent = null;
            try {
                conversation.send(FrameType.RESULT, new ReceiveResult(bytes, cmd.toGuid()));
            } catch (IOException e) {
                // The snapshot is on the box whether or not the client hears of it: its receive time (which the
                // floor trusts over its creation) and the last-received hold must be recorded all the same.
                unsent = e;
            }
            recordReceived(session, cmd, series, target, bytes, localProperties, ownBefore);
            if (unsent != null) {
                throw unsent;
            }
        } catch (ZfsException e) {
            pump.failed(failureReply(session, cmd, target, e));
        } finally {
            recv.kill();
            if (!done) {
                forgetIfAbsent(session, target, before);
            }
        }
    }

    private static boolean hasSnapshot(List<ZfsVersion> versions) {
        for (ZfsVersion v : versions) {
            if (v.type() == VersionType.SNAPSHOT) {
                return true;
            }
        }
        return false;
    }

    /** Runs a query (zfs's, or the box's zstd check) on its own thread; {@link #result} waits for a zfs one. */
    static <T> Future<T> ahead(String name, Callable<T> query) {
        FutureTask<T> task = new FutureTask<>(query);
        Thread t = new Thread(task, name);
        t.setDaemon(true);
        t.start();
        return task;
    }

    private static <T> T result(Future<T> query) throws ZfsException, InterruptedException {
        try {
            return query.get();
        } catch (ExecutionException e) {
            if (e.getCause() instanceof ZfsException z) throw z;
            if (e.getCause() instanceof RuntimeException r) throw r;
            if (e.getCause() instanceof Error r) throw r;
            throw new IllegalStateException(e.getCause());
        }
    }

    /**
     * A receive into a new filesystem that created nothing leaves no receive-time file for the name: a client
     * could otherwise make names up until the state directory runs out of inodes.
     */
    private void forgetIfAbsent(Session session, DatasetName target, List<ZfsVersion> before)
            throws InterruptedException {
        if (!before.isEmpty()) {
            return;
        }
        try {
            if (!zfs.exists(target)) {
                StateFiles.delete(ReceiveTimes.path(session.stateDir(), target));
            }
        } catch (ZfsException | IOException e) {
            log.refused("cannot remove the receive times of " + target + ", which was not created: " + e.getMessage());
        }
    }

    /**
     * A rollback the client asked for and the floor allowed (checked above): the box rolls the target back to
     * the stream's base itself, destroying the later snapshots, rather than leave it to {@code zfs recv -F}.
     * zfs-fuse's -F does not roll an incremental target back past its newest snapshot, and no zfs rolls back
     * past a held snapshot, and the newest received one carries the box's own last-received hold: the client's
     * allowed rollback failed on every box. Those holds are released first; anyone else's still stops it.
     */
    private void rollBackToBase(Session session, DatasetName target, Long fromGuid, List<ZfsVersion> versions)
            throws ZfsException {
        Optional<ZfsVersion> base = base(versions, fromGuid);
        List<ZfsVersion> doomed = newerThanBase(versions, fromGuid);
        if (base.isEmpty() || doomed.isEmpty()) {
            return;
        }
        holds.releaseAll(session.pushJob(), doomed);
        zfs.rollback(target, base.get().name(), true);
        log.info("rolled " + target + " back to @" + base.get().name() + " as the client asked, destroying @"
                + String.join(", @", doomed.stream().map(ZfsVersion::name).toList()));
    }

    private ErrorReply failureReply(Session session, ReceiveCommand cmd, DatasetName target, ZfsException e)
            throws InterruptedException {
        Optional<String> retry = rollBackModifiedCopy(cmd, target, e);
        if (retry.isPresent()) {
            return new ErrorReply(ErrorCodes.RETRY, retry.get(), "");
        }
        RemoteException failed = zfsFailed(session, cmd, target, e);
        return new ErrorReply(failed.code(), failed.getMessage(), failed.detail());
    }

    /**
     * A receive's zfs failed, before or within the stream. The box's admin is the one who can act on most of
     * these, so the box's log names each; lack of space (a jail at its quota, a full pool) also goes into the
     * client's status file, so that the box's own {@code status} says so rather than OK.
     */
    private RemoteException zfsFailed(Session session, ReceiveCommand cmd, DatasetName target, ZfsException e)
            throws InterruptedException {
        log.record("zfs recv into " + target + " failed: " + e.getMessage());
        if (e.noSpace()) {
            try {
                ClientStatusFile.recordNoSpace(
                        session.stateDir(), session.clientId(), cmd.path(), e.getMessage(), Instant.now());
            } catch (IOException io) {
                log.refused(
                        "cannot record in the client's status that " + target + " had no space: " + io.getMessage());
            }
            try {
                received.run();
            } catch (RuntimeException metrics) {
                log.refused("cannot write the metrics after the failed receive into " + target + ": "
                        + metrics.getMessage());
            }
        }
        return new RemoteException(ErrorCodes.ZFS, e.getMessage(), e.stderr());
    }

    /**
     * zfs refuses every incremental stream into a copy that changed since its newest snapshot ("has been
     * modified since most recent snapshot"): a mounted copy someone browsed (atime) or wrote into, or a receive
     * cut after its data (zfs-fuse after a crash, OpenZFS after a dropped link). Nothing the client sends can
     * get past that, so the box rolls the head back to that snapshot, which is the stream's base: no snapshot
     * or bookmark is destroyed, only what was written into the copy since. Returns the line for the client,
     * which sends the stream again; empty when this is not that case or the rollback failed.
     */
    private Optional<String> rollBackModifiedCopy(ReceiveCommand cmd, DatasetName target, ZfsException e)
            throws InterruptedException {
        if (cmd.fromGuid() == null
                || !e.stderr().replaceAll("\\s+", " ").contains("has been modified since most recent snapshot")) {
            return Optional.empty();
        }
        try {
            Optional<ZfsVersion> newest = zfs.listOwnVersions(target).stream()
                    .filter(v -> v.type() == VersionType.SNAPSHOT)
                    .max(Comparator.comparingLong(ZfsVersion::createtxg));
            if (newest.isEmpty() || newest.get().guid() != cmd.fromGuid()) {
                return Optional.empty();
            }
            zfs.rollback(target, newest.get().name(), false);
            String line = target + " had changed since its newest snapshot @"
                    + newest.get().name()
                    + " (zfs: has been modified since most recent snapshot); the box rolled it back to"
                    + " that snapshot, destroying none, and takes the stream again";
            log.refused(line);
            return Optional.of(line);
        } catch (ZfsException r) {
            log.refused("cannot roll back " + target + ", which zfs says was modified since its newest snapshot: "
                    + r.getMessage());
            return Optional.empty();
        }
    }

    /**
     * Times, holds and records a receive that has succeeded and been answered: a failure here is logged, and
     * the next receive repairs what it left.
     */
    private void recordReceived(
            Session session,
            ReceiveCommand cmd,
            ReceiveSeries series,
            DatasetName target,
            long bytes,
            Future<Map<String, String>> localProperties,
            Future<Map<String, String>> ownBefore)
            throws InterruptedException {
        restoreOwnRecords(target, ownBefore);
        List<ZfsVersion> versions;
        ZfsVersion received;
        try {
            versions = zfs.listOwnVersions(target);
            received = find(versions, target, cmd.snapshot());
        } catch (ZfsException e) {
            log.refused("received into " + target + ", but cannot list it to record the receive: " + e.getMessage());
            return;
        }
        try {
            // First: the floor times these snapshots by this, not by the creation their stream claims.
            ReceiveTimes.updateAll(session.stateDir(), target, versions, guids(cmd, series), Instant.now());
        } catch (IOException e) {
            log.refused("cannot record the receive time of " + received + ": " + e.getMessage()
                    + " (the floor times it by its creation, never later than the box's clock)");
        }
        log.info("received " + (series == null ? "" : series.snapshots().size() + " snapshots up to ") + received + " ("
                + bytes + " bytes)");
        afterReceive(session, cmd.path(), received, versions, bytes, localProperties);
    }

    /**
     * zfs clears a dataset's local properties the first time it receives a stream with properties into it (the
     * received ones take over): with them went the box's own records on the copy, its placeholder flag (the copy then
     * inherits "on" from the jail) and every push job's last-received record (the only memory of a hold where zfs
     * cannot list holds: held for ever, every prune of it refused). A client's {@code zfs send -p -i} could wipe them
     * on purpose. They are put back from {@code before} (null: the stream carried no properties).
     */
    private void restoreOwnRecords(DatasetName target, Future<Map<String, String>> before) throws InterruptedException {
        if (before == null) {
            return;
        }
        try {
            Map<String, String> now = zfs.localProperties(target);
            for (Map.Entry<String, String> p : result(before).entrySet()) {
                boolean own = p.getKey().equals(Placeholders.PLACEHOLDER_PROPERTY)
                        || p.getKey().startsWith(LastReceived.PROPERTY_PREFIX);
                if (own && !p.getValue().equals(now.get(p.getKey()))) {
                    zfs.setProperty(target, p.getKey(), p.getValue());
                    log.info("set " + p.getKey() + " on " + target + " again, which zfs recv cleared: the first"
                            + " stream with properties into it");
                }
            }
        } catch (ZfsException e) {
            log.refused("cannot put back the box's records on " + target + " (" + Placeholders.PLACEHOLDER_PROPERTY
                    + ", " + LastReceived.PROPERTY_PREFIX + "*), which zfs recv may have cleared: " + e.getMessage());
        }
    }

    /** The guids a receive brings: the command's, or each of a series' (its last is the command's). */
    private static List<Long> guids(ReceiveCommand cmd, ReceiveSeries series) {
        return series == null
                ? List.of(cmd.toGuid())
                : series.snapshots().stream().map(ReceiveSeries.Snapshot::guid).toList();
    }

    /**
     * After a receive that ended without RESULT (refused or failed part way, aborted, the client gone): what zfs
     * recv completed all the same is received like any other snapshot (the floor's time, the last-received hold,
     * the placeholder flag, the status, the log). zfs commits a stream once it has read its END record, whatever
     * the client sends after it (ABORT, bytes past the end) or whether it stays; a series commits substream by
     * substream.
     *
     * @param why how the receive ended, for the log
     */
    private void recordArrived(
            Session session,
            ReceiveCommand cmd,
            ReceiveSeries series,
            DatasetName target,
            List<ZfsVersion> before,
            Future<Map<String, String>> ownBefore,
            long bytes,
            String why)
            throws InterruptedException {
        restoreOwnRecords(target, ownBefore);
        List<ReceiveSeries.Snapshot> expected =
                series != null ? series.snapshots() : List.of(new ReceiveSeries.Snapshot(cmd.snapshot(), cmd.toGuid()));
        try {
            List<ZfsVersion> versions = zfs.listOwnVersions(target);
            Set<String> present = new HashSet<>();
            versions.stream()
                    .filter(v -> v.type() == VersionType.SNAPSHOT)
                    .forEach(v -> present.add(v.name() + "@" + v.guid()));
            Set<String> old = new HashSet<>();
            before.stream().filter(v -> v.type() == VersionType.SNAPSHOT).forEach(v -> {
                old.add(v.name());
                old.add("@" + v.guid());
            });
            List<Long> arrived = new ArrayList<>();
            for (ReceiveSeries.Snapshot s : expected) {
                // Only a snapshot this receive created: its name and guid, neither there before.
                if (!present.contains(s.name() + "@" + s.guid())
                        || old.contains(s.name())
                        || old.contains("@" + s.guid())) {
                    break;
                }
                arrived.add(s.guid());
            }
            if (arrived.isEmpty()) {
                return;
            }
            ReceiveTimes.updateAll(session.stateDir(), target, versions, arrived, Instant.now());
            ZfsVersion newest = versions.stream()
                    .filter(v -> v.type() == VersionType.SNAPSHOT && v.guid() == arrived.get(arrived.size() - 1))
                    .findFirst()
                    .orElseThrow();
            if (cmd.fromGuid() == null) {
                try {
                    zfs.setProperty(target, Placeholders.PLACEHOLDER_PROPERTY, "off");
                } catch (ZfsException e) {
                    // Still a placeholder by its flag; what arrived is recorded all the same.
                    log.refused("cannot clear " + Placeholders.PLACEHOLDER_PROPERTY + " on " + target + ": "
                            + e.getMessage());
                }
            }
            log.info("received "
                    + (series == null
                            ? ""
                            : arrived.size() + " of the " + expected.size() + " snapshots of the series," + " up to ")
                    + newest + " (" + bytes + " bytes read), though the receive did not end normally: " + why);
            afterReceive(session, cmd.path(), newest, versions, bytes, null);
        } catch (ZfsException | IOException e) {
            log.refused("cannot record what arrived of the stream into " + target + ": " + e.getMessage()
                    + " (the next receive repairs it)");
        }
    }

    /**
     * The snapshot is safely received whatever happens here; a failure to protect or record it is logged,
     * and the next receive repairs both.
     *
     * @param properties the target's local properties as asked before the receive; null: ask now
     */
    private void afterReceive(
            Session session,
            String path,
            ZfsVersion received,
            List<ZfsVersion> versions,
            long bytes,
            Future<Map<String, String>> properties)
            throws InterruptedException {
        if (session.pushJob() == null) {
            log.info("the agent named no job, so " + received + " gets no last-received hold");
        } else {
            try {
                holds.moveTo(
                        session.pushJob(),
                        session.job().name(),
                        received,
                        versions,
                        properties == null ? zfs.localProperties(received.filesystem()) : result(properties));
            } catch (ZfsException e) {
                log.refused("cannot move the last-received hold to " + received + ": " + e.getMessage());
            }
        }
        try {
            ClientStatusFile.record(
                    session.stateDir(), session.clientId(), path, received.name(), received.guid(), Instant.now());
        } catch (IOException e) {
            log.refused("cannot record the status of " + received + ": " + e.getMessage());
        }
        try {
            ReceiveTotals.add(session.stateDir(), session.clientId(), path, bytes);
        } catch (IOException e) {
            log.refused("cannot count the receive of " + received + " for the metrics: " + e.getMessage());
        }
        try {
            this.received.run();
        } catch (RuntimeException e) {
            log.refused("cannot write the metrics after receiving " + received + ": " + e.getMessage());
        }
    }

    /**
     * A resume must continue exactly the partial receive the box holds (its own token, decoded here, names
     * the same snapshot and base as the command, and the stream says it resumes); a discard removes the
     * target's partial state ({@code zfs recv -A}, on the jailed target only) before the stream is received.
     */
    private void checkPartialState(ReceiveCommand cmd, StreamHeader header, DatasetName target)
            throws RemoteException, ZfsException {
        if (cmd.resumeToken() == null) {
            if (header.resuming()) {
                throw new RemoteException(
                        ErrorCodes.STREAM,
                        "the stream resumes a partial receive (zfs send -t),"
                                + " but the command does not name the resume token",
                        "");
            }
            if (cmd.discardPartial() && zfs.resumeToken(target).isPresent()) {
                zfs.abortPartialReceive(target);
                log.info("discarded the partial receive of " + target + " (zfs recv -A)");
            }
            return;
        }
        if (cmd.discardPartial()) {
            throw new RemoteException(
                    ErrorCodes.STREAM,
                    "the command both resumes and discards the partial receive" + " of " + target,
                    "");
        }
        if (!header.resuming()) {
            throw new RemoteException(
                    ErrorCodes.STREAM,
                    "the command resumes a partial receive, but the stream is" + " not a resumed one (zfs send -t)",
                    "");
        }
        Optional<String> own = zfs.resumeToken(target);
        if (own.isEmpty()) {
            throw new RemoteException(
                    ErrorCodes.STREAM, "nothing to resume: " + target + " has no partial receive", "");
        }
        if (!own.get().equals(cmd.resumeToken())) {
            throw new RemoteException(
                    ErrorCodes.STREAM,
                    "the resume token is not the one of the partial receive of " + target
                            + " (it changed since LIST); list again",
                    "");
        }
        ResumeToken token;
        try {
            token = ResumeToken.decode(own.get());
        } catch (InvalidResumeTokenException e) {
            throw new RemoteException(ErrorCodes.STREAM, target + ": " + e.getMessage(), "");
        }
        long from = cmd.fromGuid() == null ? 0 : cmd.fromGuid();
        if (token.toGuid() != cmd.toGuid() || token.fromGuid() != from) {
            throw new RemoteException(
                    ErrorCodes.STREAM,
                    "the partial receive of " + target + " is of guid "
                            + Long.toUnsignedString(token.toGuid())
                            + (token.fromGuid() == 0
                                    ? " (full)"
                                    : " from guid " + Long.toUnsignedString(token.fromGuid()))
                            + ", the command resumes guid "
                            + Long.toUnsignedString(cmd.toGuid())
                            + (from == 0 ? " (full)" : " from guid " + Long.toUnsignedString(from)),
                    "");
        }
    }

    /** The snapshots a rollback to the stream's base destroys: all of them for a full stream or an unknown base. */
    private static List<ZfsVersion> newerThanBase(List<ZfsVersion> versions, Long fromGuid) {
        List<ZfsVersion> snapshots =
                versions.stream().filter(v -> v.type() == VersionType.SNAPSHOT).toList();
        long baseTxg = base(versions, fromGuid).map(ZfsVersion::createtxg).orElse(-1L);
        return snapshots.stream().filter(v -> v.createtxg() > baseTxg).toList();
    }

    private static Optional<ZfsVersion> base(List<ZfsVersion> versions, Long fromGuid) {
        return versions.stream()
                .filter(v -> v.type() == VersionType.SNAPSHOT && fromGuid != null && v.guid() == fromGuid)
                .findFirst();
    }

    /**
     * {@code zfs recv -F} destroys the target's snapshots newer than the stream's base (OpenZFS), or all of
     * them for a full stream over an existing filesystem: refused when the floor keeps any of them.
     */
    private void checkRollback(Session session, DatasetName target, List<ZfsVersion> doomed, List<ZfsVersion> versions)
            throws RemoteException {
        if (session.job().keepFloor().isEmpty() || doomed.isEmpty()) {
            return;
        }
        Instant now = Instant.now();
        BoxFloor floor = new BoxFloor(
                session.job().keepFloor(), ReceiveTimes.forFloor(session.stateDir(), target, versions, now), now);
        Set<String> kept = floor.keeps(versions);
        List<String> hit =
                doomed.stream().map(ZfsVersion::name).filter(kept::contains).toList();
        if (!hit.isEmpty()) {
            throw new RemoteException(
                    ErrorCodes.STREAM,
                    "the rollback (zfs recv -F) would destroy " + target + "@" + String.join(", @", hit) + ", "
                            + DestroyPlan.KEPT_BY_FLOOR + "; refused",
                    "");
        }
    }

    /**
     * zfs recv does not stop a snapshot from taking the guid of another snapshot of the same filesystem, and
     * the box keys its receive times (the floor's) by guid: a new snapshot with an old one's guid would give the
     * old one today's time, or share its time. Refused before zfs recv runs.
     */
    static void checkNewGuids(ReceiveCommand cmd, ReceiveSeries series, List<ZfsVersion> existing, String clientId)
            throws RemoteException {
        // A set: a hostile series of 1 MiB (tens of thousands of guids) against thousands of snapshots was 10^8
        // comparisons inside a receive slot.
        Set<Long> guids = series == null
                ? Set.of(cmd.toGuid())
                : series.snapshots().stream().map(ReceiveSeries.Snapshot::guid).collect(Collectors.toSet());
        // A snapshot of the request already on the box and newer than the request's base arrived after the client
        // listed the box: two passes of one client (a timer's and one by hand, or two machines given one key)
        // planned the same steps. Nothing is wrong with the copy, and a retry that lists the box again sends only
        // the rest, so the loser is told busy (which the agent retries) rather than refused for good. A guid of a
        // snapshot at or below the base stays refused: no race makes an older snapshot reappear in a new stream.
        long baseTxg = cmd.fromGuid() == null
                ? 0
                : base(existing, cmd.fromGuid()).map(ZfsVersion::createtxg).orElse(Long.MAX_VALUE);
        for (ZfsVersion v : existing) {
            if (v.type() == VersionType.SNAPSHOT && guids.contains(v.guid()) && v.createtxg() > baseTxg) {
                throw new RemoteException(
                        ErrorCodes.BUSY,
                        v.fullName() + " is already on the box: another pass of client '" + clientId
                                + "' sent it after this one listed the box (two agents with this client's key at"
                                + " once?); list the box again and send the rest",
                        "");
            }
        }
        for (ZfsVersion v : existing) {
            if (v.type() == VersionType.SNAPSHOT && guids.contains(v.guid())) {
                throw new RemoteException(
                        ErrorCodes.STREAM,
                        "the stream's snapshot guid " + Long.toUnsignedString(v.guid()) + " is already the guid of "
                                + v.fullName() + "; refused",
                        "");
            }
        }
    }

    /**
     * An incremental's base must be a snapshot of the target: zfs-fuse's zfs recv of an incremental into a
     * filesystem that does not exist looks the base up by guid across the whole pool and receives into whichever
     * filesystem holds it, another client's or the box's own, outside the jail the target names.
     */
    private static void checkBase(ReceiveCommand cmd, DatasetName target, List<ZfsVersion> existing)
            throws RemoteException {
        if (cmd.fromGuid() == null || base(existing, cmd.fromGuid()).isPresent()) {
            return;
        }
        throw new RemoteException(
                ErrorCodes.STREAM,
                "the stream is an incremental from guid " + Long.toUnsignedString(cmd.fromGuid()) + ", which is not a"
                        + " snapshot of " + target + " on the box; an incremental is received only onto the box's copy"
                        + " of its base",
                "");
    }

    /**
     * An incremental property stream (zfs send -p/-b -i) makes zfs-fuse's zfs recv reconcile the target with the
     * stream's snapshot list before it receives, as OpenZFS does only for -R: it renames every target snapshot
     * the list names by its guid under another name, and with -F destroys every one the list leaves out (and the
     * target itself when the list shares no guid with it). A renamed snapshot no longer matches the floor's
     * regex; a destroyed one is gone whatever the floor said. So the list must name each of the target's
     * snapshots it lists by guid as the target does, its fromsnap must be the command's base, and such a stream
     * goes without -F ({@link #receiveRequest}): the box rolls back to the base itself where asked.
     */
    static void checkListedSnapshots(ReceiveCommand cmd, CompoundHeader properties, List<ZfsVersion> existing)
            throws RemoteException {
        if (properties == null) {
            return;
        }
        // By guid, once: the client's list may hold tens of thousands of names, the target as many snapshots.
        Map<Long, ZfsVersion> byGuid = new HashMap<>();
        for (ZfsVersion v : existing) {
            if (v.type() == VersionType.SNAPSHOT) {
                byGuid.put(v.guid(), v);
            }
        }
        for (Map.Entry<String, Long> listed : properties.snapshots().entrySet()) {
            ZfsVersion v = byGuid.get(listed.getValue());
            if (v != null && !v.name().equals(listed.getKey())) {
                throw CompoundHeader.refused("its snapshot list names the box's " + v.fullName() + " (guid "
                        + Long.toUnsignedString(v.guid()) + ") '" + Printable.of(listed.getKey())
                        + "', and zfs recv would rename it so");
            }
        }
        if (properties.fromSnap() != null) {
            Optional<ZfsVersion> base = base(existing, cmd.fromGuid());
            if (base.isEmpty() || !base.get().name().equals(properties.fromSnap())) {
                throw CompoundHeader.refused("its properties name '" + Printable.of(properties.fromSnap())
                        + "' as the base, which is not the snapshot the command's base guid names on the box");
            }
        }
    }

    private static void checkHeader(ReceiveCommand cmd, StreamHeader header) throws RemoteException {
        if (header.toGuid() != cmd.toGuid()) {
            throw new RemoteException(
                    ErrorCodes.STREAM,
                    "the stream is of the snapshot with guid "
                            + Long.toUnsignedString(header.toGuid()) + ", the command names guid "
                            + Long.toUnsignedString(cmd.toGuid()),
                    "");
        }
        long from = cmd.fromGuid() == null ? 0 : cmd.fromGuid();
        if (header.fromGuid() != from) {
            throw new RemoteException(
                    ErrorCodes.STREAM,
                    "the stream is "
                            + (header.fromGuid() == 0
                                    ? "a full stream"
                                    : "incremental from guid " + Long.toUnsignedString(header.fromGuid()))
                            + ", the command asks for "
                            + (from == 0 ? "a full stream" : "an incremental from guid " + Long.toUnsignedString(from)),
                    "");
        }
        String snapshot = header.snapshotName();
        if (!snapshot.equals(cmd.snapshot())) {
            throw new RemoteException(
                    ErrorCodes.STREAM,
                    "the stream carries snapshot '" + snapshot + "', the command names '" + cmd.snapshot() + "'",
                    "");
        }
    }

    /**
     * A payload can set any property, a mountpoint over the box's own paths included: received only where
     * zfs recv -x excludes the mount properties, or, without it, when the box read every property the stream
     * sets and none of them mounts. Checked before anything is created for the receive.
     */
    private void checkProperties(SinkJob job, StreamHeader header, CompoundHeader properties)
            throws RemoteException, ZfsException {
        if (zfs.capabilities().recvProperties() || (header.payloadLength() == 0 && properties == null)) {
            return;
        }
        if (header.payloadLength() > 0) {
            throw new RemoteException(
                    ErrorCodes.STREAM,
                    "the stream carries properties (zfs send -R, -p or a"
                            + " resume); this box's zfs cannot exclude mount properties on receive (no 'zfs recv -x'),"
                            + " so it is refused: send without -R/-p",
                    "");
        }
        List<String> mount = properties.properties().stream()
                .filter(MOUNT_PROPERTIES::contains)
                .toList();
        if (!mount.isEmpty()) {
            throw CompoundHeader.refused("it sets " + String.join(", ", mount) + ", and this box's zfs"
                    + " cannot exclude them on receive (no 'zfs recv -x'); inherit "
                    + (mount.size() == 1 ? "it" : "them") + " on the source or send without"
                    + " send_properties/backup_properties");
        }
        // The sink's recv.properties are the box's policy over the client's values; without recv -o/-x zfs would
        // receive the client's instead (a readonly=off under an override readonly=on), so the stream is refused.
        List<String> decided = properties.properties().stream()
                .filter(p -> job.recv().overrideProperties().containsKey(p)
                        || job.recv().inheritProperties().contains(p))
                .sorted()
                .toList();
        if (!decided.isEmpty()) {
            throw CompoundHeader.refused("it sets " + String.join(", ", decided) + ", which the sink's"
                    + " recv.properties decides, and this box's zfs cannot override them on receive (no 'zfs recv"
                    + " -o/-x'); inherit " + (decided.size() == 1 ? "it" : "them") + " on the source or send"
                    + " without send_properties/backup_properties");
        }
    }

    /**
     * zfs without recv -o/-x receives without the sink's recv.properties (Zfs#receive drops them): the admin
     * configured them and reads the box's log, not the client's stderr, so the process's first such receive says
     * so there (one line per channel, not one per receive: the shipped sink.yml overrides canmount).
     */
    private void recvPropertiesNotApplied(SinkJob job, DatasetName target) throws ZfsException {
        RecvOptions recv = job.recv();
        if (recvPropertiesNoted
                || zfs.capabilities().recvProperties()
                || (recv.overrideProperties().isEmpty()
                        && recv.inheritProperties().isEmpty())) {
            return;
        }
        recvPropertiesNoted = true;
        List<String> named = new ArrayList<>();
        recv.overrideProperties().forEach((k, v) -> named.add("override " + k + "=" + v));
        recv.inheritProperties().forEach(p -> named.add("inherit " + p));
        log.record("recv.properties of sink job '" + job.name() + "' not applied to " + target + ": this box's zfs"
                + " has no 'zfs recv -o/-x' (" + String.join(", ", named) + "); a property stream that sets one of"
                + " them is refused");
    }

    private ReceiveRequest receiveRequest(
            SinkJob job,
            ReceiveCommand cmd,
            StreamHeader header,
            CompoundHeader properties,
            DatasetName target,
            boolean overwritePlaceholder)
            throws ZfsException {
        Capabilities c = zfs.capabilities();
        List<String> excludes = new ArrayList<>(job.recv().inheritProperties());
        if (c.recvProperties() && (header.payloadLength() > 0 || properties != null)) {
            for (String p : MOUNT_PROPERTIES) {
                // An override already decides the property, and zfs recv refuses a name given to both -o and
                // -x ("specified multiple times"): every receive that carries properties would fail.
                if (!excludes.contains(p) && !job.recv().overrideProperties().containsKey(p)) {
                    excludes.add(p);
                }
            }
        }
        // Never -F for an incremental property stream: zfs-fuse's -F would destroy every target snapshot its list
        // leaves out (checkListedSnapshots). The box has already rolled back to the base itself where asked.
        boolean incrementalProperties = properties != null && properties.fromSnap() != null;
        return new ReceiveRequest(
                target,
                (cmd.rollback() && !incrementalProperties) || overwritePlaceholder,
                cmd.resumable() && c.resumableReceive(),
                overrides(job, header, c),
                excludes);
    }

    /** The sink's overrides, and volmode=none for a volume unless the sink itself decides volmode. */
    private static Map<String, String> overrides(SinkJob job, StreamHeader header, Capabilities c) {
        if (!hidesVolume(job, header, c)) {
            return job.recv().overrideProperties();
        }
        Map<String, String> out = new LinkedHashMap<>(job.recv().overrideProperties());
        out.put(VOLMODE, "none");
        return out;
    }

    /**
     * Whether the box gives this stream's volume {@code volmode=none}: on a zfs with {@code recv -o} (OpenZFS;
     * zfs-fuse makes no device nodes), unless the sink's {@code recv.properties} names volmode (zfs recv
     * refuses a name given twice, and the operator has then chosen).
     */
    private static boolean hidesVolume(SinkJob job, StreamHeader header, Capabilities c) {
        return header.volume()
                && c.recvProperties()
                && !job.recv().overrideProperties().containsKey(VOLMODE)
                && !job.recv().inheritProperties().contains(VOLMODE);
    }

    /**
     * zfs recv only warns when it may not set {@code -o volmode} (a delegated box user without the volmode
     * permission) and exposes the volume: the box says so as a failed receive, the snapshot kept.
     */
    private void checkVolumeHidden(Session session, StreamHeader header, DatasetName target) throws ZfsException {
        if (!hidesVolume(session.job(), header, zfs.capabilities())) {
            return;
        }
        String volmode = zfs.localProperties(target).get(VOLMODE);
        if (!"none".equals(volmode)) {
            throw new ZfsException("zfs recv could not set volmode=none on the received volume " + target
                    + ", so it is a block device on the box (" + VOLMODE + " " + (volmode == null ? "not set" : volmode)
                    + "); the box user lacks the volmode permission: run 'zreplj box setup' for the sink's root_fs"
                    + " again as root");
        }
    }

    private static ZfsVersion find(List<ZfsVersion> versions, DatasetName target, String snapshot) throws ZfsException {
        for (ZfsVersion v : versions) {
            if (v.type() == VersionType.SNAPSHOT && v.name().equals(snapshot)) {
                return v;
            }
        }
        throw new ZfsException("zfs recv succeeded but " + target + "@" + snapshot + " does not exist");
    }

    /**
     * The holder may be a stdinserver whose link died without a FIN (a laptop that roamed or slept): alive, so its
     * lock holds, and the box cannot tell it from a slow link. The line says when it lets go.
     */
    static String busy(DatasetName target, ServeLimits limits) {
        return "another receive into " + target + " is running; if it is one a lost link left behind, the box ends it"
                + " once its sshd finds the connection dead (ClientAliveInterval x ClientAliveCountMax) or after "
                + limits.streamTimeout().toSeconds() + " s without a byte (serve.zreplj.stream_timeout), and a later"
                + " attempt gets in";
    }
}
