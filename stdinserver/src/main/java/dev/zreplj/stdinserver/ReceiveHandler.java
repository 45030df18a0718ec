package dev.zreplj.stdinserver;

import dev.zreplj.config.SinkJob;
import dev.zreplj.protocol.ErrorCodes;
import dev.zreplj.protocol.ErrorReply;
import dev.zreplj.protocol.FrameType;
import dev.zreplj.protocol.ReceiveCommand;
import dev.zreplj.protocol.ReceiveResult;
import dev.zreplj.protocol.RemoteException;
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
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * RECV: checks the request and the stream's header, receives under the dataset's lock and a global
 * receive slot, then moves the last-received hold forward and records the client's status.
 */
final class ReceiveHandler {
    /** Excluded from a stream that carries properties, so a client cannot mount over the box's paths. */
    static final List<String> MOUNT_PROPERTIES = List.of("mountpoint", "canmount", "sharenfs", "sharesmb");

    private static final Logger log = LoggerFactory.getLogger(ReceiveHandler.class);

    private final Zfs zfs;
    private final Conversation conversation;
    private final StreamPump pump;
    private final Placeholders placeholders;
    private final ReceiverHolds holds;

    ReceiveHandler(Zfs zfs, Conversation conversation, Placeholders placeholders, ReceiverHolds holds) {
        this.zfs = zfs;
        this.conversation = conversation;
        this.pump = new StreamPump(conversation);
        this.placeholders = placeholders;
        this.holds = holds;
    }

    void handle(Session session, ReceiveCommand cmd) throws IOException {
        DatasetName target;
        try {
            target = session.jail().resolve(cmd.path(), List.of(cmd.snapshot() == null ? "" : cmd.snapshot()));
        } catch (RemoteException e) {
            log.warn("client {}: refused RECV: {}", session.clientId(), e.getMessage());
            conversation.refuseStream(e, false);
            return;
        }
        try (DatasetLock lock = DatasetLock.tryAcquire(session.stateDir(), target)) {
            if (lock == null) {
                conversation.refuseStream(new RemoteException(ErrorCodes.BUSY, "another receive into " + target
                        + " is running", ""), false);
                return;
            }
            try (ReceiveSlot slot = ReceiveSlot.acquire(session.stateDir(), ReceiveSlot.DEFAULT_SLOTS,
                    ReceiveSlot.DEFAULT_WAIT)) {
                if (slot == null) {
                    conversation.refuseStream(new RemoteException(ErrorCodes.BUSY, "the box has been running its"
                            + " maximum of " + ReceiveSlot.DEFAULT_SLOTS + " concurrent receives for "
                            + ReceiveSlot.DEFAULT_WAIT.toMinutes() + " minutes; try again later", ""), false);
                    return;
                }
                receiveLocked(session, cmd, target);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while receiving into " + target);
        }
    }

    private void receiveLocked(Session session, ReceiveCommand cmd, DatasetName target) throws IOException,
            InterruptedException {
        StreamPump.HeaderBytes first = pump.readHeader();
        if (first == null) {
            conversation.reply(new ErrorReply(ErrorCodes.ABORTED, "the client aborted the stream into " + target, ""));
            return;
        }
        ReceiveRequest request;
        try {
            StreamHeader header = StreamHeader.parse(first.bytes(), first.length());
            checkHeader(cmd, header);
            checkPartialState(session, cmd, header, target);
            DatasetName jail = session.jail().root();
            Set<DatasetName> existing = new HashSet<>(zfs.listFilesystems(jail));
            placeholders.createMissingParents(jail, target, existing);
            // A partially received new filesystem looks like an empty placeholder; -F must not touch it.
            boolean overwritePlaceholder = cmd.fromGuid() == null && cmd.resumeToken() == null
                    && placeholders.isEmptyPlaceholder(target, existing);
            request = receiveRequest(session.job(), cmd, header, target, overwritePlaceholder);
        } catch (RemoteException e) {
            log.warn("client {}: refused RECV into {}: {}", session.clientId(), target, e.getMessage());
            conversation.refuseStream(e, first.ended());
            return;
        } catch (ZfsException e) {
            conversation.refuseStream(new RemoteException(ErrorCodes.ZFS, e.getMessage(), e.stderr()), first.ended());
            return;
        } catch (PlaceholderEncryption.Refused e) {
            log.warn("client {}: refused RECV into {}: {}", session.clientId(), target, e.getMessage());
            conversation.refuseStream(new RemoteException(ErrorCodes.ZFS, e.getMessage(), ""), first.ended());
            return;
        }
        ZfsProcess recv;
        try {
            recv = zfs.receive(request);
        } catch (ZfsException e) {
            conversation.refuseStream(new RemoteException(ErrorCodes.ZFS, e.getMessage(), e.stderr()), first.ended());
            return;
        }
        try {
            long bytes = pump.pump(recv, first, target);
            if (bytes < 0) {
                return;
            }
            recv.finish();
            List<ZfsVersion> versions = zfs.listVersions(target).getOrDefault(target, List.of());
            ZfsVersion received = find(versions, target, cmd.snapshot());
            if (cmd.fromGuid() == null) {
                // The flag is a user property and so inherited from the jail: a real filesystem says "off".
                zfs.setProperty(target, Placeholders.PLACEHOLDER_PROPERTY, "off");
            }
            log.info("client {}: received {} ({} bytes)", session.clientId(), received, bytes);
            afterReceive(session, cmd.path(), received, versions);
            conversation.send(FrameType.RESULT, new ReceiveResult(bytes, received.guid()));
        } catch (ZfsException e) {
            conversation.reply(new ErrorReply(ErrorCodes.ZFS, e.getMessage(), e.stderr()));
        } finally {
            recv.kill();
        }
    }

    /**
     * The snapshot is safely received whatever happens here; a failure to protect or record it is logged,
     * and the next receive repairs both.
     */
    private void afterReceive(Session session, String path, ZfsVersion received, List<ZfsVersion> versions)
            throws InterruptedException {
        if (session.pushJob() == null) {
            log.info("client {}: the agent named no job, so {} gets no last-received hold", session.clientId(),
                    received);
        } else {
            try {
                holds.moveTo(session.pushJob(), received, versions);
            } catch (ZfsException e) {
                log.warn("client {}: cannot move the last-received hold to {}: {}", session.clientId(), received,
                        e.getMessage());
            }
        }
        try {
            ClientStatusFile.record(session.stateDir(), session.clientId(), path, received.name(), received.guid(),
                    Instant.now());
        } catch (IOException e) {
            log.warn("client {}: cannot record the status of {}: {}", session.clientId(), received, e.getMessage());
        }
    }

    /**
     * A resume must continue exactly the partial receive the box holds (its own token, decoded here, names
     * the same snapshot and base as the command, and the stream says it resumes); a discard removes the
     * target's partial state ({@code zfs recv -A}, on the jailed target only) before the stream is received.
     */
    private void checkPartialState(Session session, ReceiveCommand cmd, StreamHeader header, DatasetName target)
            throws RemoteException, ZfsException {
        if (cmd.resumeToken() == null) {
            if (header.resuming()) {
                throw new RemoteException(ErrorCodes.STREAM, "the stream resumes a partial receive (zfs send -t),"
                        + " but the command does not name the resume token", "");
            }
            if (cmd.discardPartial() && zfs.resumeToken(target).isPresent()) {
                zfs.abortPartialReceive(target);
                log.info("client {}: discarded the partial receive of {} (zfs recv -A)", session.clientId(), target);
            }
            return;
        }
        if (cmd.discardPartial()) {
            throw new RemoteException(ErrorCodes.STREAM, "the command both resumes and discards the partial receive"
                    + " of " + target, "");
        }
        if (!header.resuming()) {
            throw new RemoteException(ErrorCodes.STREAM, "the command resumes a partial receive, but the stream is"
                    + " not a resumed one (zfs send -t)", "");
        }
        Optional<String> own = zfs.resumeToken(target);
        if (own.isEmpty()) {
            throw new RemoteException(ErrorCodes.STREAM, "nothing to resume: " + target + " has no partial receive", "");
        }
        if (!own.get().equals(cmd.resumeToken())) {
            throw new RemoteException(ErrorCodes.STREAM, "the resume token is not the one of the partial receive of "
                    + target + " (it changed since LIST); list again", "");
        }
        ResumeToken token;
        try {
            token = ResumeToken.decode(own.get());
        } catch (InvalidResumeTokenException e) {
            throw new RemoteException(ErrorCodes.STREAM, target + ": " + e.getMessage(), "");
        }
        long from = cmd.fromGuid() == null ? 0 : cmd.fromGuid();
        if (token.toGuid() != cmd.toGuid() || token.fromGuid() != from) {
            throw new RemoteException(ErrorCodes.STREAM, "the partial receive of " + target + " is of guid "
                    + Long.toUnsignedString(token.toGuid()) + (token.fromGuid() == 0 ? " (full)" : " from guid "
                    + Long.toUnsignedString(token.fromGuid())) + ", the command resumes guid "
                    + Long.toUnsignedString(cmd.toGuid()) + (from == 0 ? " (full)" : " from guid "
                    + Long.toUnsignedString(from)), "");
        }
    }

    private static void checkHeader(ReceiveCommand cmd, StreamHeader header) throws RemoteException {
        if (header.toGuid() != cmd.toGuid()) {
            throw new RemoteException(ErrorCodes.STREAM, "the stream is of the snapshot with guid "
                    + Long.toUnsignedString(header.toGuid()) + ", the command names guid "
                    + Long.toUnsignedString(cmd.toGuid()), "");
        }
        long from = cmd.fromGuid() == null ? 0 : cmd.fromGuid();
        if (header.fromGuid() != from) {
            throw new RemoteException(ErrorCodes.STREAM, "the stream is "
                    + (header.fromGuid() == 0 ? "a full stream" : "incremental from guid "
                    + Long.toUnsignedString(header.fromGuid())) + ", the command asks for "
                    + (from == 0 ? "a full stream" : "an incremental from guid " + Long.toUnsignedString(from)), "");
        }
        String snapshot = header.snapshotName();
        if (!snapshot.equals(cmd.snapshot())) {
            throw new RemoteException(ErrorCodes.STREAM, "the stream carries snapshot '" + snapshot
                    + "', the command names '" + cmd.snapshot() + "'", "");
        }
    }

    private ReceiveRequest receiveRequest(SinkJob job, ReceiveCommand cmd, StreamHeader header, DatasetName target,
                                          boolean overwritePlaceholder) throws RemoteException, ZfsException {
        Capabilities c = zfs.capabilities();
        List<String> excludes = new ArrayList<>(job.recv().inheritProperties());
        if (header.payloadLength() > 0) {
            // The payload can set any property, a mountpoint over the box's own paths included.
            if (!c.recvProperties()) {
                throw new RemoteException(ErrorCodes.STREAM, "the stream carries properties (zfs send -R, -p or a"
                        + " resume); this box's zfs cannot exclude mount properties on receive (no 'zfs recv -x'),"
                        + " so it is refused: send without -R/-p", "");
            }
            for (String p : MOUNT_PROPERTIES) {
                if (!excludes.contains(p)) {
                    excludes.add(p);
                }
            }
        }
        return new ReceiveRequest(target, cmd.rollback() || overwritePlaceholder,
                cmd.resumable() && c.resumableReceive(), job.recv().overrideProperties(), excludes);
    }

    private static ZfsVersion find(List<ZfsVersion> versions, DatasetName target, String snapshot)
            throws ZfsException {
        for (ZfsVersion v : versions) {
            if (v.type() == VersionType.SNAPSHOT && v.name().equals(snapshot)) {
                return v;
            }
        }
        throw new ZfsException("zfs recv succeeded but " + target + "@" + snapshot + " does not exist");
    }
}
