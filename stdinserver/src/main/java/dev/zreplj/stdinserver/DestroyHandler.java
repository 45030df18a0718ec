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
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * DESTROY: the path goes through the jail like a RECV's; under the dataset's lock (so it never races a
 * receive) each target is checked by {@link DestroyPlan}, then the allowed ones are destroyed in one
 * batched call where zfs allows, else one by one, each failure reported for its own snapshot.
 */
final class DestroyHandler {
    /** Snapshots per DESTROY whose refusal or failure gets a line of its own in the box's log. */
    static final int NAMED_LINES = 3;
    /** Snapshots the line of a DESTROY's destroyed ones names; the rest are counted. */
    static final int LOGGED_NAMES = 10;

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
        logEach(target, plan.keptByFloor(), name -> DestroyPlan.KEPT_BY_FLOOR, "refused to destroy ");
        List<Refusal> failed = new ArrayList<>();
        Set<String> gone = destroy(target, plan.destroy(), failed);
        List<String> destroyed = plan.destroy().stream().filter(gone::contains).toList();
        if (!destroyed.isEmpty()) {
            // Ten names and the last: a line of 500 (the agent's batch) was cut off in the box's log at 2,000
            // characters anyway, and went whole into the agent's log through the channel's stderr.
            int shown = Math.min(LOGGED_NAMES, destroyed.size());
            log.info("destroyed " + destroyed.size() + " snapshots of " + target + ": "
                    + destroyed.subList(0, shown)
                    + (destroyed.size() > shown
                            ? " and " + (destroyed.size() - shown) + " more, the last "
                                    + destroyed.get(destroyed.size() - 1)
                            : ""));
        }
        Map<String, String> reasons = new HashMap<>();
        failed.forEach(f -> reasons.put(f.name(), f.reason()));
        logEach(target, failed.stream().map(Refusal::name).toList(), reasons::get, "zfs did not destroy ");
        return new DestroyResult(destroyed, plan.refused(), failed);
    }

    /**
     * One line each for the first {@value #NAMED_LINES} snapshots, then one for the rest with its first reason. The
     * floor refuses the same snapshots on every pass (after a first pass that received thousands, for as long as the
     * floor keeps them), and each line costs the client's daily log budget: a line per snapshot would use it up in
     * a few passes, and the refusals and failures it is there for would go unlogged.
     */
    private void logEach(DatasetName target, List<String> names, Function<String, String> reason, String what) {
        for (String name : names.subList(0, Math.min(NAMED_LINES, names.size()))) {
            log.failure(what + target + "@" + name + ": " + reason.apply(name));
        }
        if (names.size() > NAMED_LINES) {
            List<String> rest = names.subList(NAMED_LINES, names.size());
            log.failure(what + rest.size() + " more snapshots of " + target + " (@" + rest.get(0)
                    + (rest.size() > 1 ? " ... @" + rest.get(rest.size() - 1) : "") + "), the first because: "
                    + reason.apply(rest.get(0)));
        }
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
