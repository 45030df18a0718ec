package dev.zreplj.stdinserver;

import dev.zreplj.zfs.DatasetName;
import dev.zreplj.zfs.Hold;
import dev.zreplj.zfs.VersionType;
import dev.zreplj.zfs.Zfs;
import dev.zreplj.zfs.ZfsException;
import dev.zreplj.zfs.ZfsVersion;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The hold on each filesystem's last received snapshot (its next incremental base), moved forward after
 * every receive. Crash-safe order: record the new holder in the property, hold it, release the old
 * ones, record only the new one. A crash at any point leaves at least one hold and a property naming
 * every snapshot that may carry one, so the next receive finds and releases the stale ones.
 */
final class ReceiverHolds {
    private static final Logger log = LoggerFactory.getLogger(ReceiverHolds.class);

    private final Zfs zfs;

    ReceiverHolds(Zfs zfs) {
        this.zfs = zfs;
    }

    /**
     * Holds {@code received} for {@code job} and releases that job's hold from every other snapshot of the
     * filesystem ({@code versions}: all of its versions, the received one included). Where zfs lists holds,
     * zrepl's hold of the same filesystem is taken over as well: zrepl tags it with the sink job's name
     * ({@code sinkJob}), zreplj with the push job's, so after a switch from zrepl the snapshot zrepl last
     * received would otherwise stay held, and refused to pruning, for ever. A hold that cannot be released
     * stays recorded, to be tried again next time. {@code localProperties}: the filesystem's.
     */
    void moveTo(
            String job,
            String sinkJob,
            ZfsVersion received,
            List<ZfsVersion> versions,
            Map<String, String> localProperties)
            throws ZfsException {
        DatasetName fs = received.filesystem();
        String tag = LastReceived.tag(job);
        String zreplTag = LastReceived.tag(sinkJob);
        String property = LastReceived.property(job);
        Set<String> recorded = new LinkedHashSet<>(LastReceived.names(localProperties.get(property)));
        if (recorded.add(received.name())) {
            zfs.setProperty(fs, property, LastReceived.value(recorded));
        }
        zfs.hold(tag, received);
        Set<String> stale = new LinkedHashSet<>(recorded);
        Set<String> zreplHeld = new HashSet<>();
        if (zfs.capabilities().holdsListing()) {
            // Also what the property cannot know: holds zrepl itself put on this box before the switch.
            for (Hold h : zfs.listHolds(snapshots(versions))) {
                if (h.tag().equals(tag)) {
                    stale.add(h.snapshot());
                } else if (h.tag().equals(zreplTag)) {
                    zreplHeld.add(h.snapshot());
                }
            }
        }
        stale.remove(received.name());
        zreplHeld.remove(received.name());
        Set<String> remaining = new LinkedHashSet<>(List.of(received.name()));
        for (ZfsVersion v : snapshots(versions)) {
            if (stale.contains(v.name()) && !release(tag, v)) {
                remaining.add(v.name());
            }
            if (zreplHeld.contains(v.name()) && release(zreplTag, v)) {
                log.info(
                        "took over zrepl's last-received hold: released {} from {}, {} holds {}",
                        zreplTag,
                        v,
                        tag,
                        received);
            }
        }
        if (!remaining.equals(recorded)) {
            zfs.setProperty(fs, property, LastReceived.value(remaining));
        }
    }

    /** False when zfs refused; a hold zfs reports absent counts as released. */
    private boolean release(String tag, ZfsVersion v) {
        try {
            if (zfs.releaseIfHeld(tag, v)) {
                log.debug("released {} from {}", tag, v);
            }
            return true;
        } catch (ZfsException e) {
            log.warn("cannot release hold {} from {} (will retry after the next receive): {}", tag, v, e.getMessage());
            return false;
        }
    }

    /**
     * The snapshots of {@code fs} among {@code candidates} that carry any job's last-received hold, or
     * that a crashed move may have left one on: the recorded ones, plus where zfs can list holds, those
     * it lists.
     */
    Set<String> held(DatasetName fs, Collection<ZfsVersion> candidates) throws ZfsException {
        Set<String> out = new HashSet<>();
        for (Map.Entry<String, String> e : zfs.localProperties(fs).entrySet()) {
            if (e.getKey().startsWith(LastReceived.PROPERTY_PREFIX)) {
                out.addAll(LastReceived.names(e.getValue()));
            }
        }
        List<ZfsVersion> snapshots = snapshots(candidates);
        if (zfs.capabilities().holdsListing() && !snapshots.isEmpty()) {
            for (Hold h : zfs.listHolds(snapshots)) {
                if (h.tag().startsWith(LastReceived.TAG_PREFIX)) {
                    out.add(h.snapshot());
                }
            }
        }
        return out;
    }

    /**
     * Releases the last-received holds from {@code snapshots} (a rollback the box's floor allowed is about to
     * destroy them): every job's. Where zfs lists holds, those it lists; else {@code job}'s (none when null) and
     * every job's whose property records the snapshot (another push job of the client, a job renamed), since a
     * hold zfs-fuse cannot list would still stop the rollback. Their property entries go with the snapshots'
     * names at the next move.
     */
    void releaseAll(String job, List<ZfsVersion> snapshots) throws ZfsException {
        if (zfs.capabilities().holdsListing()) {
            for (Hold h : zfs.listHolds(snapshots)) {
                if (h.tag().startsWith(LastReceived.TAG_PREFIX)) {
                    for (ZfsVersion v : snapshots) {
                        if (v.filesystem().equals(h.filesystem()) && v.name().equals(h.snapshot())) {
                            zfs.releaseIfHeld(h.tag(), v);
                        }
                    }
                }
            }
        } else {
            Map<DatasetName, Map<String, String>> properties = new HashMap<>();
            for (ZfsVersion v : snapshots) {
                Set<String> jobs = new TreeSet<>();
                if (job != null) {
                    jobs.add(job);
                }
                Map<String, String> local = properties.get(v.filesystem());
                if (local == null) {
                    local = zfs.localProperties(v.filesystem());
                    properties.put(v.filesystem(), local);
                }
                local.forEach((property, value) -> {
                    if (LastReceived.names(value).contains(v.name())) {
                        LastReceived.jobOf(property).ifPresent(jobs::add);
                    }
                });
                for (String j : jobs) {
                    zfs.releaseIfHeld(LastReceived.tag(j), v);
                }
            }
        }
    }

    private static List<ZfsVersion> snapshots(Collection<ZfsVersion> versions) {
        return versions.stream().filter(v -> v.type() == VersionType.SNAPSHOT).toList();
    }
}
