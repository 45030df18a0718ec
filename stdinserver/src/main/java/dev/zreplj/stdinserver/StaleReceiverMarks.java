package dev.zreplj.stdinserver;

import dev.zreplj.zfs.DatasetName;
import dev.zreplj.zfs.Hold;
import dev.zreplj.zfs.VersionType;
import dev.zreplj.zfs.Zfs;
import dev.zreplj.zfs.ZfsException;
import dev.zreplj.zfs.ZfsVersion;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The box's side of {@code release-stale}: last-received holds (zreplj's and those zrepl's sink left) and the
 * properties that record them, of push jobs that another job has superseded on a filesystem. The box
 * holds each filesystem's last received snapshot per push job; when a client renames its job, the new
 * name holds the new snapshots but the old name's hold stays on an older one, which the box then refuses
 * to destroy at the client's request, forever. The box's config does not list the agents' job names, so
 * "stale" is decided per filesystem: a job whose newest held snapshot is older than another job's is
 * superseded. The newest received snapshot keeps its hold, so every next incremental base stays protected.
 */
public final class StaleReceiverMarks {
    private StaleReceiverMarks() {}

    public enum Kind {
        HOLD,
        PROPERTY
    }

    /**
     * @param name    the hold's tag or the property
     * @param version the held snapshot; null for a property
     * @param by      the job that holds the filesystem's newest received snapshot
     */
    public record Mark(Kind kind, DatasetName filesystem, String name, String job, ZfsVersion version, String by) {
        @Override
        public String toString() {
            return switch (kind) {
                        case HOLD -> "hold " + name + " on " + version.fullName();
                        case PROPERTY -> "property " + name + " on " + filesystem;
                    }
                    + " (job '" + job + "', superseded by job '" + by + "')";
        }
    }

    /**
     * Of the jobs holding snapshots of one filesystem ({@code held}: job → its held snapshots), those whose
     * newest held snapshot is older than another job's, each with a job that holds the newest one.
     */
    static Map<String, String> superseded(Map<String, List<ZfsVersion>> held) {
        Map<String, Long> newest = new TreeMap<>();
        held.forEach((job, versions) ->
                versions.stream().mapToLong(ZfsVersion::createtxg).max().ifPresent(txg -> newest.put(job, txg)));
        Optional<Map.Entry<String, Long>> top = newest.entrySet().stream()
                .max(Comparator.comparingLong(Map.Entry<String, Long>::getValue)
                        .thenComparing(Map.Entry::getKey, Comparator.reverseOrder()));
        Map<String, String> out = new TreeMap<>();
        top.ifPresent(t -> newest.forEach((job, txg) -> {
            if (txg < t.getValue()) {
                out.put(job, t.getKey());
            }
        }));
        return out;
    }

    /** Every superseded job's holds and properties on the filesystems at and below {@code root}. */
    public static List<Mark> find(Zfs zfs, DatasetName root) throws ZfsException {
        Map<DatasetName, List<ZfsVersion>> versions = zfs.listVersions(root);
        Map<DatasetName, Map<String, List<ZfsVersion>>> held = new TreeMap<>();
        Map<DatasetName, Map<String, String>> properties = new TreeMap<>();
        for (var fs : zfs.localPropertiesBelow(root).entrySet()) {
            for (var p : fs.getValue().entrySet()) {
                Optional<String> job = LastReceived.jobOf(p.getKey());
                if (job.isEmpty()) {
                    continue;
                }
                properties.computeIfAbsent(fs.getKey(), k -> new TreeMap<>()).put(job.get(), p.getKey());
                for (String name : LastReceived.names(p.getValue())) {
                    snapshot(versions, fs.getKey(), name).ifPresent(v -> add(held, fs.getKey(), job.get(), v));
                }
            }
        }
        List<ZfsVersion> snapshots = versions.values().stream()
                .flatMap(List::stream)
                .filter(v -> v.type() == VersionType.SNAPSHOT)
                .toList();
        if (zfs.capabilities().holdsListing() && !snapshots.isEmpty()) {
            // also what no property records: holds zrepl's sink put here before the switch
            for (Hold h : zfs.listHolds(snapshots)) {
                if (h.tag().startsWith(LastReceived.TAG_PREFIX)) {
                    snapshot(versions, h.filesystem(), h.snapshot())
                            .ifPresent(v ->
                                    add(held, h.filesystem(), h.tag().substring(LastReceived.TAG_PREFIX.length()), v));
                }
            }
        }
        List<Mark> marks = new ArrayList<>();
        held.forEach((fs, jobs) -> superseded(jobs).forEach((job, by) -> {
            // holds first: a property is removed only after the holds it records
            jobs.get(job).stream()
                    .sorted(Comparator.comparingLong(ZfsVersion::createtxg))
                    .forEach(v -> marks.add(new Mark(Kind.HOLD, fs, LastReceived.tag(job), job, v, by)));
            String property = properties.getOrDefault(fs, Map.of()).get(job);
            if (property != null) {
                marks.add(new Mark(Kind.PROPERTY, fs, property, job, null, by));
            }
        }));
        return marks;
    }

    /**
     * Removes one mark under the filesystem's lock, so no receive or destroy of it runs meanwhile; a hold
     * that is already gone is no failure.
     */
    public static void release(Zfs zfs, Path stateDir, Mark mark) throws ZfsException, IOException {
        try (DatasetLock lock = DatasetLock.tryAcquire(stateDir, mark.filesystem())) {
            if (lock == null) {
                throw new ZfsException("a receive or destroy of " + mark.filesystem() + " is running; try again later");
            }
            switch (mark.kind()) {
                case HOLD -> zfs.releaseIfHeld(mark.name(), mark.version());
                case PROPERTY -> zfs.inheritProperty(mark.filesystem(), mark.name());
            }
        }
    }

    private static void add(
            Map<DatasetName, Map<String, List<ZfsVersion>>> held, DatasetName fs, String job, ZfsVersion v) {
        List<ZfsVersion> list =
                held.computeIfAbsent(fs, k -> new TreeMap<>()).computeIfAbsent(job, k -> new ArrayList<>());
        if (!list.contains(v)) {
            list.add(v);
        }
    }

    private static Optional<ZfsVersion> snapshot(
            Map<DatasetName, List<ZfsVersion>> versions, DatasetName fs, String name) {
        return versions.getOrDefault(fs, List.of()).stream()
                .filter(v -> v.type() == VersionType.SNAPSHOT && v.name().equals(name))
                .findFirst();
    }
}
