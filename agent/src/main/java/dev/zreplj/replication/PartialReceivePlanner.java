package dev.zreplj.replication;

import dev.zreplj.protocol.Printable;
import dev.zreplj.zfs.DatasetName;
import dev.zreplj.zfs.InvalidResumeTokenException;
import dev.zreplj.zfs.ResumeToken;
import dev.zreplj.zfs.VersionType;
import dev.zreplj.zfs.ZfsVersion;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/**
 * Adjusts a plan to the partial receive the box holds for the filesystem (its resume token), as a pure
 * function: resume it when it is the plan's first step cut short (same base, a snapshot the sender still
 * has), else tell the box to discard it before the first step, which would otherwise be refused
 * ("contains partially-complete state").
 */
final class PartialReceivePlanner {
    private PartialReceivePlanner() {}

    static FilesystemPlan.Replicate apply(
            FilesystemPlan.Replicate plan, List<ZfsVersion> sender, String tokenText, boolean canResume, boolean raw) {
        ResumeToken token;
        try {
            token = ResumeToken.decode(tokenText);
        } catch (InvalidResumeTokenException e) {
            return discard(
                    plan, "discarded a partial receive on the box whose token cannot be read (" + e.getMessage() + ")");
        }
        // The token is the box's word: its name goes into the pass's events (log, status) only made printable.
        String shown = Printable.of(token.snapshotName());
        String stale = "discarded a stale partial receive of @" + shown + ": ";
        if (!canResume) {
            return discard(
                    plan,
                    "discarded a partial receive of @" + shown + ": resuming needs"
                            + " 'zfs send -t' on this machine and resumable receives the box can check");
        }
        if (token.raw() != raw) {
            // zfs send -t takes the stream's flags from the token, and the box wrote it: a token without rawok
            // would send a filesystem this job sends raw decrypted, plaintext to a box that must never see it.
            return discard(
                    plan,
                    "discarded a partial receive of @" + shown + ": "
                            + (raw
                                    ? "its stream was not raw, and this job sends this filesystem raw"
                                    : "its stream was raw, and this job does not send this filesystem raw"));
        }
        Optional<ZfsVersion> resumed = sender.stream()
                .filter(v -> v.type() == VersionType.SNAPSHOT && v.guid() == token.toGuid())
                .findFirst();
        if (resumed.isEmpty()) {
            return discard(plan, stale + "the sender no longer has it");
        }
        Step first = plan.steps().get(0);
        long base = first.isFull() ? 0 : first.from().guid();
        if (token.fromGuid() != base) {
            return discard(
                    plan,
                    stale + "it was " + (token.fromGuid() == 0 ? "a full stream" : "incremental from" + " another base")
                            + ", the next step is " + first);
        }
        if (first.rollback() && !first.isFull()) {
            // The receiver must be rolled back first, which resuming cannot do.
            return discard(
                    plan,
                    stale + "the receiver is rolled back to @" + first.from().name() + " first");
        }
        ZfsVersion to = resumed.get();
        List<Step> steps = new ArrayList<>();
        steps.add(new Step(first.from(), to, false, token, false));
        // Every snapshot after it, as any incremental replication sends them: not only the plan's targets, which
        // for a most_recent first send (the partial one cut under initial_replication: all) skipped the snapshots
        // between the resumed one and the newest for good.
        ZfsVersion from = to;
        List<ZfsVersion> after = sender.stream()
                .filter(v -> v.type() == VersionType.SNAPSHOT && v.createtxg() > to.createtxg())
                .sorted(Comparator.comparingLong(ZfsVersion::createtxg))
                .toList();
        for (ZfsVersion next : after) {
            steps.add(new Step(from, next, false));
            from = next;
        }
        return new FilesystemPlan.Replicate(plan.filesystem(), steps, plan.events());
    }

    /**
     * A partial first receive under initial_replication 'fail': resumed, with every snapshot after it, when it
     * can be; else a conflict, as discarding it would start the new initial replication 'fail' refuses.
     */
    static FilesystemPlan resumeFirst(
            DatasetName filesystem, List<ZfsVersion> sender, String tokenText, boolean canResume, boolean raw) {
        ResumeToken token;
        try {
            token = ResumeToken.decode(tokenText);
        } catch (InvalidResumeTokenException e) {
            return notResumable(filesystem, "", "its token cannot be read: " + e.getMessage());
        }
        String what = " of @" + Printable.of(token.snapshotName());
        if (!canResume) {
            return notResumable(
                    filesystem,
                    what,
                    "resuming needs 'zfs send -t' on this machine and resumable receives the box can check");
        }
        if (token.raw() != raw) {
            // As in apply: the box wrote the token, and zfs send -t takes the stream's flags from it.
            return notResumable(
                    filesystem,
                    what,
                    raw
                            ? "its stream was not raw, and this job sends raw"
                            : "its stream was raw, and this job does not" + " send raw");
        }
        Optional<ZfsVersion> resumed = sender.stream()
                .filter(v -> v.type() == VersionType.SNAPSHOT && v.guid() == token.toGuid())
                .findFirst();
        if (resumed.isEmpty()) {
            return notResumable(filesystem, what, "the sender no longer has it");
        }
        if (token.fromGuid() != 0) {
            return notResumable(filesystem, what, "it is incremental, from a snapshot the receiver does not have");
        }
        return apply(
                new FilesystemPlan.Replicate(filesystem, List.of(new Step(null, resumed.get(), false))),
                sender,
                tokenText,
                true,
                raw);
    }

    private static FilesystemPlan.Conflict notResumable(DatasetName filesystem, String what, String why) {
        return new FilesystemPlan.Conflict(
                filesystem,
                "the receiver holds a partial first receive" + what + " that cannot be resumed (" + why + "), and"
                        + " conflict_resolution.initial_replication is 'fail': to start over with a new full send,"
                        + " set initial_replication to most_recent or all");
    }

    private static FilesystemPlan.Replicate discard(FilesystemPlan.Replicate plan, String event) {
        List<Step> steps = new ArrayList<>(plan.steps());
        Step first = steps.get(0);
        steps.set(0, new Step(first.from(), first.to(), first.rollback(), null, true));
        List<String> events = new ArrayList<>(plan.events());
        events.add(event);
        return new FilesystemPlan.Replicate(plan.filesystem(), steps, events);
    }
}
