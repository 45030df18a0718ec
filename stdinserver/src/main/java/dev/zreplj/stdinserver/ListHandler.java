package dev.zreplj.stdinserver;

import dev.zreplj.protocol.DetailedFilesystem;
import dev.zreplj.protocol.DetailedListing;
import dev.zreplj.protocol.DetailedVersion;
import dev.zreplj.protocol.ErrorCodes;
import dev.zreplj.protocol.ErrorReply;
import dev.zreplj.protocol.FrameType;
import dev.zreplj.protocol.ListRoots;
import dev.zreplj.protocol.Listing;
import dev.zreplj.protocol.RemoteException;
import dev.zreplj.protocol.RemoteFilesystem;
import dev.zreplj.protocol.RemoteVersion;
import dev.zreplj.protocol.Wire;
import dev.zreplj.zfs.DatasetName;
import dev.zreplj.zfs.VersionListing;
import dev.zreplj.zfs.VersionType;
import dev.zreplj.zfs.Zfs;
import dev.zreplj.zfs.ZfsException;
import dev.zreplj.zfs.ZfsVersion;
import java.io.IOException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * LIST: every filesystem in the jail with its versions, in one zfs call (zfs-fuse: the placeholder flag
 * comes with the versions) or two (with resume tokens) however many there are; LIST_ROOTS the same below
 * each root the client names. LIST_DETAILED adds one
 * more call for sizes and encryption, and the box's clock.
 */
final class ListHandler {
    static final String RESUME_TOKEN_PROPERTY = "receive_resume_token";

    private final Zfs zfs;
    private final Conversation conversation;
    private final Clock clock;
    private final BoxLog log;

    ListHandler(Zfs zfs, Conversation conversation, Clock clock, BoxLog log) {
        this.zfs = zfs;
        this.conversation = conversation;
        this.clock = clock;
        this.log = log;
    }

    void handle(Session session) throws IOException {
        List<RemoteFilesystem> out;
        try {
            out = list(session.jail(), session.jail().root());
        } catch (ZfsException e) {
            conversation.reply(new ErrorReply(ErrorCodes.ZFS, e.getMessage(), e.stderr()));
            return;
        }
        conversation.send(FrameType.LISTING, new Listing(out));
    }

    /**
     * LIST_ROOTS: as LIST, but only at and below the roots the client names. Each root is checked as a
     * RECV's path is (a dataset name on its own, strictly inside the jail) and all are refused, nothing
     * listed, if one is not; a root below another is listed once; a root the box does not have lists nothing.
     */
    void handleRoots(Session session, ListRoots request) throws IOException {
        Jail jail = session.jail();
        List<DatasetName> roots = new ArrayList<>();
        try {
            if (request.roots().isEmpty() || request.roots().size() > Wire.MAX_LIST_ROOTS) {
                throw new RemoteException(
                        ErrorCodes.PROTOCOL,
                        "LIST_ROOTS names " + request.roots().size() + " roots; 1 to " + Wire.MAX_LIST_ROOTS
                                + " are allowed (send LIST for the whole jail)",
                        "");
            }
            for (String root : request.roots()) {
                roots.add(jail.resolve(root));
            }
        } catch (RemoteException e) {
            log.refused("refused LIST_ROOTS: " + e.getMessage());
            conversation.reply(e);
            return;
        }
        List<RemoteFilesystem> out = new ArrayList<>();
        try {
            for (DatasetName root : DatasetName.outermost(roots)) {
                out.addAll(list(jail, root));
            }
        } catch (ZfsException e) {
            conversation.reply(new ErrorReply(ErrorCodes.ZFS, e.getMessage(), e.stderr()));
            return;
        }
        conversation.send(FrameType.LISTING, new Listing(out));
    }

    /** LIST_DETAILED: "now" is taken before zfs is asked, so no age comes out negative by the box's clock. */
    void handleDetailed(Session session) throws IOException {
        long now = clock.instant().getEpochSecond();
        Jail jail = session.jail();
        List<DetailedFilesystem> out = new ArrayList<>();
        try {
            List<RemoteFilesystem> filesystems = list(jail, jail.root());
            // Without raw send the box's zfs has no encryption at all (zfs-fuse): unknown, not "off".
            boolean encryption = zfs.capabilities().rawSend();
            List<String> properties =
                    encryption ? List.of("used", "referenced", "encryption") : List.of("used", "referenced");
            Map<String, Map<String, String>> values = zfs.getPropertiesWithSnapshots(jail.root(), properties);
            for (RemoteFilesystem fs : filesystems) {
                String name = jail.root().value() + "/" + fs.path();
                Map<String, String> p = values.getOrDefault(name, Map.of());
                List<DetailedVersion> versions = fs.versions().stream()
                        .map(v -> new DetailedVersion(
                                v.name(),
                                v.type(),
                                v.guid(),
                                v.createtxg(),
                                v.creation(),
                                v.type() == VersionType.SNAPSHOT
                                        ? bytes(values.getOrDefault(name + "@" + v.name(), Map.of())
                                                .get("used"))
                                        : null))
                        .toList();
                String enc = p.get("encryption");
                out.add(new DetailedFilesystem(
                        fs.path(),
                        fs.placeholder(),
                        versions,
                        fs.resumeToken(),
                        bytes(p.get("used")),
                        bytes(p.get("referenced")),
                        enc == null || enc.equals("-") ? null : enc));
            }
        } catch (ZfsException e) {
            conversation.reply(new ErrorReply(ErrorCodes.ZFS, e.getMessage(), e.stderr()));
            return;
        }
        conversation.send(FrameType.DETAILED_LISTING, new DetailedListing(now, out));
    }

    /** zfs's parsable byte count; null for "-" or a value that is none (never a guess). */
    private static Long bytes(String value) {
        if (value == null) {
            return null;
        }
        try {
            long n = Long.parseLong(value);
            return n >= 0 ? n : null;
        } catch (NumberFormatException e) {
            return null;
        }
    }

    /** The filesystems at and below {@code from} (the jail's root itself left out) with their versions. */
    private List<RemoteFilesystem> list(Jail jail, DatasetName from) throws ZfsException {
        List<RemoteFilesystem> out = new ArrayList<>();
        boolean resumable = zfs.capabilities().resumableReceive();
        Map<DatasetName, List<ZfsVersion>> versions;
        Map<DatasetName, Map<String, String>> properties = new HashMap<>();
        // The flag as set on the filesystem itself, as zrepl reads it: every child inherits the jail's "on".
        // Only a real placeholder may be replaced by a full stream (receive -F); a filesystem zrepl received
        // below one (zrepl clears the flag only when receiving over a placeholder) or the box's admin made
        // inherits "on" and must not be.
        VersionListing listing = zfs.listVersions(from, Placeholders.PLACEHOLDER_PROPERTY, true);
        versions = listing.versions();
        listing.values()
                .forEach((fs, v) ->
                        properties.computeIfAbsent(fs, k -> new HashMap<>()).put(Placeholders.PLACEHOLDER_PROPERTY, v));
        if (resumable) {
            zfs.getProperties(from, true, List.of(RESUME_TOKEN_PROPERTY))
                    .forEach((fs, p) -> properties
                            .computeIfAbsent(fs, k -> new HashMap<>())
                            .put(RESUME_TOKEN_PROPERTY, p.get(RESUME_TOKEN_PROPERTY)));
        }
        for (Map.Entry<DatasetName, List<ZfsVersion>> e : versions.entrySet()) {
            if (e.getKey().equals(jail.root())) {
                continue;
            }
            Map<String, String> p = properties.getOrDefault(e.getKey(), Map.of());
            List<RemoteVersion> vs = e.getValue().stream()
                    .map(v -> new RemoteVersion(
                            v.name(),
                            v.type(),
                            v.guid(),
                            v.createtxg(),
                            v.creation().getEpochSecond()))
                    .toList();
            String token = p.get(RESUME_TOKEN_PROPERTY);
            boolean noToken = token == null || token.isEmpty() || token.equals("-");
            out.add(new RemoteFilesystem(
                    jail.pathOf(e.getKey()),
                    "on".equals(p.get(Placeholders.PLACEHOLDER_PROPERTY)),
                    vs,
                    noToken ? null : token));
        }
        return out;
    }
}
