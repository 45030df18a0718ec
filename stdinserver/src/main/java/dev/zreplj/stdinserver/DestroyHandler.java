package dev.zreplj.stdinserver;

import dev.zreplj.protocol.DestroyCommand;
import dev.zreplj.protocol.DestroyResult;
import dev.zreplj.protocol.DestroyResult.Refusal;
import dev.zreplj.protocol.DestroyTarget;
import dev.zreplj.protocol.ErrorCodes;
import dev.zreplj.protocol.ErrorReply;
import dev.zreplj.protocol.FrameType;
import dev.zreplj.protocol.RemoteException;
import dev.zreplj.zfs.DatasetName;
import dev.zreplj.zfs.Zfs;
import dev.zreplj.zfs.ZfsException;
import dev.zreplj.zfs.ZfsVersion;
import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * DESTROY: the path goes through the jail like a RECV's; under the dataset's lock (so it never races a
 * receive) each target is checked by {@link DestroyPlan}, then the allowed ones are destroyed in one
 * batched call where zfs allows, else one by one, each failure reported for its own snapshot.
 */
final class DestroyHandler {
    private final Zfs zfs;
    private final Conversation conversation;
    private final ReceiverHolds holds;
    private final BoxLog log;

    DestroyHandler(Zfs zfs, Conversation conversation, ReceiverHolds holds, BoxLog log) {
        this.zfs = zfs;
        this.conversation = conversation;
        this.holds = holds;
        this.log = log;
    }

    void handle(Session session, DestroyCommand cmd) throws IOException {
        DatasetName target;
        try {
            target = session.jail()
                    .resolve(
                            cmd.path(),
                            cmd.snapshots().stream().map(DestroyTarget::name).toList());
        } catch (RemoteException e) {
            log.refused("refused DESTROY: " + e.getMessage());
            conversation.reply(e);
            return;
        }
        try (DatasetLock lock = DatasetLock.acquire(session.stateDir(), target, DatasetLock.WAIT)) {
            if (lock == null) {
                RemoteException busy =
                        new RemoteException(ErrorCodes.BUSY, "a receive or destroy of " + target + " is running", "");
                log.refused("refused DESTROY: " + busy.getMessage());
                conversation.reply(busy);
                return;
            }
            DestroyResult result;
            try {
                result = destroyLocked(session, cmd.snapshots(), target);
            } catch (ZfsException e) {
                conversation.reply(new ErrorReply(ErrorCodes.ZFS, e.getMessage(), e.stderr()));
                return;
            } catch (RemoteException e) {
                log.failure("refused DESTROY in " + target + ": " + e.getMessage());
                conversation.reply(e);
                return;
            }
            if (session.destroyFailed()) {
                conversation.send(FrameType.DESTROYED, result);
            } else {
                conversation.send(FrameType.DESTROYED, result.withoutFailed());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while waiting to destroy snapshots of " + target);
        }
    }

    private DestroyResult destroyLocked(Session session, List<DestroyTarget> targets, DatasetName target)
            throws ZfsException, RemoteException {
        List<ZfsVersion> versions = zfs.listOwnVersions(target);
        Set<String> wanted = new HashSet<>();
        targets.forEach(t -> wanted.add(t.name()));
        List<ZfsVersion> candidates =
                versions.stream().filter(v -> wanted.contains(v.name())).toList();
        Instant now = Instant.now();
        BoxFloor floor = session.job().keepFloor().isEmpty()
                ? BoxFloor.none()
                : new BoxFloor(
                        session.job().keepFloor(),
                        ReceiveTimes.forFloor(session.stateDir(), target, versions, now),
                        now);
        DestroyPlan plan = DestroyPlan.decide(versions, targets, floor, holds.held(target, candidates));
        for (String name : plan.keptByFloor()) {
            log.failure("refused to destroy " + target + "@" + name + ": " + DestroyPlan.KEPT_BY_FLOOR);
        }
        List<Refusal> failed = new ArrayList<>();
        Set<String> gone = destroy(target, plan.destroy(), failed);
        List<String> destroyed = plan.destroy().stream().filter(gone::contains).toList();
        if (!destroyed.isEmpty()) {
            log.info("destroyed " + destroyed.size() + " snapshots of " + target + ": " + destroyed);
        }
        for (Refusal f : failed) {
            log.failure("zfs did not destroy " + target + "@" + f.name() + ": " + f.reason());
        }
        return new DestroyResult(destroyed, plan.refused(), failed);
    }

    /** Destroys {@code names}; returns those gone, and adds to {@code failed} each zfs would not destroy. */
    private Set<String> destroy(DatasetName fs, List<String> names, List<Refusal> failed) throws ZfsException {
        Set<String> gone = new HashSet<>();
        List<String> left = names;
        if (zfs.capabilities().destroyList() && names.size() > 1) {
            try {
                zfs.destroySnapshots(fs, names);
                gone.addAll(names);
                return gone;
            } catch (ZfsException e) {
                // One snapshot zfs refuses fails the whole list: find out which, one by one.
                Set<String> existing = new HashSet<>();
                zfs.listOwnVersions(fs).forEach(v -> existing.add(v.name()));
                left = new ArrayList<>();
                for (String name : names) {
                    if (existing.contains(name)) {
                        left.add(name);
                    } else {
                        gone.add(name);
                    }
                }
            }
        }
        for (String name : left) {
            try {
                zfs.destroySnapshots(fs, List.of(name));
                gone.add(name);
            } catch (ZfsException e) {
                failed.add(new Refusal(name, e.getMessage()));
            }
        }
        return gone;
    }
}
