package dev.zreplj.restore;

import dev.zreplj.protocol.RemoteFilesystem;
import dev.zreplj.protocol.RemoteVersion;
import dev.zreplj.zfs.DatasetName;
import dev.zreplj.zfs.InvalidResumeTokenException;
import dev.zreplj.zfs.ResumeToken;
import dev.zreplj.zfs.VersionType;
import dev.zreplj.zfs.ZfsVersion;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/**
 * Decides what a restore does for each filesystem, from the box's listing and the local targets; a pure
 * function, so every refusal is tested without ZFS. Nothing already on this machine is overwritten unless
 * the user said {@code --force}: a target that exists continues only from a snapshot it shares with the
 * box (an earlier restore), and only when it has no snapshot of its own after that one.
 */
public final class RestorePlanner {
    private RestorePlanner() {}

    /**
     * @param mountRefusal why a new target would be mounted (a zfs without {@code recv -u} below a mounted
     *                     parent), null when it would not: asked of every target that does not exist yet, the
     *                     filesystems below the top included (docs/restore.md: never mounted)
     * @param boxResumes   whether the box can resume a send from a resume token (its HELLO lists
     *                     {@code resumable-receive}); a zfs-fuse box cannot
     */
    public static List<RestoreStep> plan(
            RestoreRequest request,
            List<RemoteFilesystem> listing,
            Function<DatasetName, LocalTarget> local,
            Function<DatasetName, String> mountRefusal,
            boolean boxResumes)
            throws RestoreRefused {
        String source = request.source();
        List<RemoteFilesystem> chosen = listing.stream()
                .filter(fs -> fs.path().equals(source)
                        || (request.recursive() && fs.path().startsWith(source + "/")))
                .sorted(Comparator.comparing(RemoteFilesystem::path))
                .toList();
        if (chosen.isEmpty() || !chosen.get(0).path().equals(source)) {
            throw new RestoreRefused("the box holds no filesystem '" + source + "' for this client; 'zreplj box list'"
                    + " shows what it holds");
        }
        List<RestoreStep> steps = new ArrayList<>();
        for (RemoteFilesystem fs : chosen) {
            boolean top = fs.path().equals(source);
            DatasetName target = targetOf(request, fs.path());
            steps.add(step(request, fs, top, target, local.apply(target), mountRefusal, boxResumes));
        }
        return steps;
    }

    /**
     * Where the box's {@code path} (the request's source or a filesystem below it) is restored: LOCAL_FS, or the same
     * place below it. The box chose the names below the source (each a valid ZFS name, or its listing was refused), so
     * one below a longer LOCAL_FS can pass zfs's limit: refused before anything is created, saying what to do.
     */
    public static DatasetName targetOf(RestoreRequest request, String path) throws RestoreRefused {
        if (path.equals(request.source())) {
            return request.target();
        }
        String relative = path.substring(request.source().length() + 1);
        int length = request.target().value().length() + 1 + relative.length();
        if (length > DatasetName.MAX_LENGTH) {
            throw new RestoreRefused("the box's " + path + " would be restored below " + request.target()
                    + " as a dataset name of " + length + " characters, over zfs's " + DatasetName.MAX_LENGTH
                    + ": restore it on its own into a shorter --to");
        }
        return request.target().child(relative);
    }

    private static RestoreStep step(
            RestoreRequest request,
            RemoteFilesystem fs,
            boolean top,
            DatasetName target,
            LocalTarget local,
            Function<DatasetName, String> mountRefusal,
            boolean boxResumes)
            throws RestoreRefused {
        List<RemoteVersion> snapshots = fs.versions().stream()
                .filter(v -> v.type() == VersionType.SNAPSHOT)
                .sorted(Comparator.comparingLong(RemoteVersion::createtxg))
                .toList();
        if (snapshots.isEmpty()) {
            if (top && !request.recursive()) {
                throw new RestoreRefused("the box holds no snapshot of '" + fs.path() + "' (it only holds filesystems"
                        + " below it): restore with -r, or name one of those");
            }
            if (local.exists()) {
                return new RestoreStep(fs.path(), target, RestoreStep.Kind.KEPT, null, 0, null, 0, null, false);
            }
            refuseMount(target, mountRefusal);
            return new RestoreStep(fs.path(), target, RestoreStep.Kind.CREATE, null, 0, null, 0, null, false);
        }
        RemoteVersion wanted;
        if (request.snapshot() == null) {
            wanted = snapshots.get(snapshots.size() - 1);
        } else {
            wanted = snapshots.stream()
                    .filter(v -> v.name().equals(request.snapshot()))
                    .findFirst()
                    .orElseThrow(() -> new RestoreRefused("the box holds no snapshot '" + fs.path() + "@"
                            + request.snapshot() + "'"
                            + (top
                                    ? ""
                                    : " (a child of " + request.source()
                                            + "; restore it on its own with another snapshot)")
                            + "; 'zreplj box list' shows what it holds"));
        }
        if (local.resumeToken() != null) {
            if (!boxResumes) {
                // Every rerun would plan a resume the box refuses: only discarding the partial state goes on.
                throw new RestoreRefused(target + " holds an interrupted restore, and the box cannot resume sending"
                        + " it (its zfs has no resumable receive): discard it with 'zfs recv -A " + target
                        + "' and restore again");
            }
            return resume(request, fs, target, local, snapshots);
        }
        if (!local.exists()) {
            refuseMount(target, mountRefusal);
            return new RestoreStep(
                    fs.path(), target, RestoreStep.Kind.FULL, wanted.name(), wanted.guid(), null, 0, null, false);
        }
        return onExisting(request, fs, target, local, wanted);
    }

    private static RestoreStep resume(
            RestoreRequest request,
            RemoteFilesystem fs,
            DatasetName target,
            LocalTarget local,
            List<RemoteVersion> snapshots)
            throws RestoreRefused {
        ResumeToken token;
        try {
            token = ResumeToken.decode(local.resumeToken());
        } catch (InvalidResumeTokenException e) {
            throw new RestoreRefused(target + " holds a partial receive whose token cannot be read (" + e.getMessage()
                    + "); discard it with 'zfs recv -A " + target + "' and restore again");
        }
        String name = token.snapshotName();
        if (request.snapshot() != null && !request.snapshot().equals(name)) {
            throw new RestoreRefused(
                    target + " holds an interrupted restore of @" + name + ", not @" + request.snapshot()
                            + ": run the restore again without @SNAPSHOT to finish it, or discard it with 'zfs recv -A "
                            + target + "'");
        }
        RemoteVersion onBox = snapshots.stream()
                .filter(v -> v.name().equals(name) && v.guid() == token.toGuid())
                .findFirst()
                .orElseThrow(() -> new RestoreRefused(target + " holds an interrupted restore of @" + name
                        + ", which the box no longer holds: discard it with 'zfs recv -A " + target
                        + "' and restore again"));
        return new RestoreStep(
                fs.path(),
                target,
                RestoreStep.Kind.RESUME,
                onBox.name(),
                onBox.guid(),
                null,
                token.fromGuid(),
                local.resumeToken(),
                false);
    }

    private static RestoreStep onExisting(
            RestoreRequest request, RemoteFilesystem fs, DatasetName target, LocalTarget local, RemoteVersion wanted)
            throws RestoreRefused {
        List<ZfsVersion> localSnapshots = local.versions().stream()
                .filter(v -> v.type() == VersionType.SNAPSHOT)
                .sorted(Comparator.comparingLong(ZfsVersion::createtxg))
                .toList();
        if (!localSnapshots.isEmpty()
                && localSnapshots.get(localSnapshots.size() - 1).guid() == wanted.guid()) {
            return new RestoreStep(
                    fs.path(), target, RestoreStep.Kind.UP_TO_DATE, wanted.name(), wanted.guid(), null, 0, null, false);
        }
        Optional<ZfsVersion> already =
                localSnapshots.stream().filter(v -> v.guid() == wanted.guid()).findFirst();
        if (already.isPresent()) {
            // No stream can bring a dataset to a snapshot it already has (zfs recv refuses one that exists);
            // only a rollback can, and it destroys the newer local snapshots.
            return rollback(request, fs, target, localSnapshots, already.get(), wanted);
        }
        Map<Long, RemoteVersion> onBox = new HashMap<>();
        fs.versions().forEach(v -> onBox.putIfAbsent(v.guid(), v));
        ZfsVersion base = null;
        RemoteVersion remoteBase = null;
        // Only a snapshot: zfs recv -i needs the base as a snapshot of the target, and a bookmark the target
        // keeps (the original dataset's cursor) would make the receive fail.
        for (ZfsVersion v : localSnapshots) {
            RemoteVersion r = onBox.get(v.guid());
            if (r != null && r.createtxg() < wanted.createtxg() && (base == null || v.createtxg() > base.createtxg())) {
                base = v;
                remoteBase = r;
            }
        }
        if (base == null) {
            // What it shares with the box is all newer than the asked snapshot: no stream goes back in time, and
            // recv -F of the full stream fails on the target's snapshots, so --force would not help either.
            Optional<ZfsVersion> newerShared = localSnapshots.stream()
                    .filter(v -> onBox.containsKey(v.guid()))
                    .reduce((older, newer) -> newer);
            if (newerShared.isPresent()) {
                throw new RestoreRefused(target + " already has "
                        + newerShared.get().relativeName() + " of the box's "
                        + fs.path() + ", newer than @" + wanted.name() + ": zfs receives no older snapshot into it"
                        + " (not even with --force); restore @" + wanted.name() + " into a new dataset (--to)");
            }
            if (!localSnapshots.isEmpty()) {
                // zfs recv -F replaces a dataset by a full stream only when it has no snapshots: advising --force
                // here sent the user into zfs's "destination has snapshots".
                throw new RestoreRefused(target + " exists with snapshots of its own ("
                        + String.join(
                                ", ",
                                localSnapshots.stream()
                                        .limit(3)
                                        .map(ZfsVersion::relativeName)
                                        .toList())
                        + (localSnapshots.size() > 3 ? ", ..." : "") + ") and shares none with the box's "
                        + fs.path() + ": zfs receives a full stream over no dataset that has snapshots, not even"
                        + " with --force; restore into a new dataset (--to)");
            }
            if (!request.force()) {
                throw new RestoreRefused(target + " exists and shares no snapshot with the box's " + fs.path()
                        + ": restore into a new dataset (--to), or add --force to receive over it");
            }
            return new RestoreStep(
                    fs.path(), target, RestoreStep.Kind.FULL, wanted.name(), wanted.guid(), null, 0, null, true);
        }
        long baseTxg = base.createtxg();
        List<String> newer = localSnapshots.stream()
                .filter(v -> v.createtxg() > baseTxg)
                .map(v -> "@" + v.name())
                .toList();
        if (!newer.isEmpty() && !request.force()) {
            throw new RestoreRefused(target + " has snapshots after " + base.relativeName() + " that the restore would"
                    + " destroy (" + String.join(", ", newer.subList(0, Math.min(3, newer.size())))
                    + (newer.size() > 3 ? ", ..." : "") + "): restore into a new dataset, or add --force");
        }
        String from = (remoteBase.type() == VersionType.SNAPSHOT ? "@" : "#") + remoteBase.name();
        return new RestoreStep(
                fs.path(),
                target,
                RestoreStep.Kind.INCREMENTAL,
                wanted.name(),
                wanted.guid(),
                from,
                remoteBase.guid(),
                null,
                request.force());
    }

    private static RestoreStep rollback(
            RestoreRequest request,
            RemoteFilesystem fs,
            DatasetName target,
            List<ZfsVersion> localSnapshots,
            ZfsVersion already,
            RemoteVersion wanted)
            throws RestoreRefused {
        List<String> newer = localSnapshots.stream()
                .filter(v -> v.createtxg() > already.createtxg())
                .map(v -> "@" + v.name())
                .toList();
        if (!request.force()) {
            throw new RestoreRefused(target + " already has " + already.relativeName() + "; " + newer.size()
                    + " newer local snapshot" + (newer.size() == 1 ? "" : "s") + " ("
                    + String.join(", ", newer.subList(0, Math.min(3, newer.size())))
                    + (newer.size() > 3 ? ", ..." : "") + "): restore into a new dataset, or add --force to roll "
                    + target + " back to " + already.relativeName() + " (destroying them)");
        }
        return new RestoreStep(
                fs.path(), target, RestoreStep.Kind.ROLLBACK, already.name(), wanted.guid(), null, 0, null, true);
    }

    private static void refuseMount(DatasetName target, Function<DatasetName, String> mountRefusal)
            throws RestoreRefused {
        String why = mountRefusal.apply(target);
        if (why != null) {
            throw new RestoreRefused(why);
        }
    }
}
