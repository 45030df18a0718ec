package dev.zreplj.replication;

import dev.zreplj.zfs.VersionType;
import dev.zreplj.zfs.ZfsVersion;
import java.util.ArrayList;
import java.util.List;

/**
 * Joins consecutive incremental steps of one filesystem into one {@code zfs send -I} step: the receiver gets
 * the same snapshots as from the single steps, in one stream, one zfs send and one zfs recv. A step joins the
 * one before when it continues it exactly (its base is that step's snapshot) and asks nothing of its own
 * (no rollback, no discard, no resume); a group starts only at an incremental step from a snapshot (zfs sends
 * no -I from a bookmark), never at a full or resumed one. A group of one stays a plain {@code -i} step. A group
 * ends at {@link #MAX_SNAPSHOTS}, and the next starts there.
 */
final class SeriesPlanner {
    /**
     * Snapshots per stream: RECV_SERIES names each one (up to ~300 bytes of JSON with a 255-character name) in one
     * control frame, which the box takes up to {@link dev.zreplj.protocol.Wire#MAX_CONTROL_FROM_CLIENT} (1 MiB). A
     * sender never pruned for months (a box away, a migration with initial_replication: all) has tens of
     * thousands between two replications; in one series that frame would be refused on every pass.
     */
    static final int MAX_SNAPSHOTS = 1000;

    private SeriesPlanner() {}

    static FilesystemPlan.Replicate join(FilesystemPlan.Replicate plan) {
        List<Step> out = new ArrayList<>();
        List<Step> group = new ArrayList<>();
        for (Step step : plan.steps()) {
            if (!group.isEmpty() && group.size() < MAX_SNAPSHOTS && continues(group.get(group.size() - 1), step)) {
                group.add(step);
                continue;
            }
            flush(group, out);
            if (canStart(step)) {
                group.add(step);
            } else {
                out.add(step);
            }
        }
        flush(group, out);
        return new FilesystemPlan.Replicate(plan.filesystem(), out, plan.events());
    }

    private static boolean canStart(Step step) {
        return !step.isFull()
                && step.resume() == null
                && !step.isSeries()
                && step.from().type() == VersionType.SNAPSHOT;
    }

    private static boolean continues(Step last, Step next) {
        return !next.isFull()
                && next.resume() == null
                && !next.rollback()
                && !next.discardPartial()
                && !next.isSeries()
                && next.from().guid() == last.to().guid();
    }

    private static void flush(List<Step> group, List<Step> out) {
        if (group.size() == 1) {
            out.add(group.get(0));
        } else if (!group.isEmpty()) {
            Step first = group.get(0);
            List<ZfsVersion> between =
                    group.subList(0, group.size() - 1).stream().map(Step::to).toList();
            out.add(new Step(
                    first.from(),
                    group.get(group.size() - 1).to(),
                    first.rollback(),
                    null,
                    first.discardPartial(),
                    between));
        }
        group.clear();
    }
}
