package dev.zreplj.stdinserver;

import dev.zreplj.protocol.ErrorCodes;
import dev.zreplj.protocol.ErrorReply;
import dev.zreplj.protocol.FrameType;
import dev.zreplj.protocol.Listing;
import dev.zreplj.protocol.RemoteFilesystem;
import dev.zreplj.protocol.RemoteVersion;
import dev.zreplj.zfs.DatasetName;
import dev.zreplj.zfs.VersionListing;
import dev.zreplj.zfs.Zfs;
import dev.zreplj.zfs.ZfsException;
import dev.zreplj.zfs.ZfsVersion;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * LIST: every filesystem in the jail with its versions, in one zfs call (zfs-fuse: the placeholder flag
 * comes with the versions) or two (with resume tokens) however many there are.
 */
final class ListHandler {
    static final String RESUME_TOKEN_PROPERTY = "receive_resume_token";

    private final Zfs zfs;
    private final Conversation conversation;

    ListHandler(Zfs zfs, Conversation conversation) {
        this.zfs = zfs;
        this.conversation = conversation;
    }

    void handle(Session session) throws IOException {
        Jail jail = session.jail();
        List<RemoteFilesystem> out = new ArrayList<>();
        try {
            boolean resumable = zfs.capabilities().resumableReceive();
            Map<DatasetName, List<ZfsVersion>> versions;
            Map<DatasetName, Map<String, String>> properties = new HashMap<>();
            if (resumable) {
                versions = zfs.listVersions(jail.root());
                properties.putAll(zfs.getProperties(jail.root(), true,
                        List.of(Placeholders.PLACEHOLDER_PROPERTY, RESUME_TOKEN_PROPERTY)));
            } else {
                VersionListing listing = zfs.listVersions(jail.root(), Placeholders.PLACEHOLDER_PROPERTY, false);
                versions = listing.versions();
                listing.values().forEach((fs, v) -> properties.put(fs, Map.of(Placeholders.PLACEHOLDER_PROPERTY, v)));
            }
            for (Map.Entry<DatasetName, List<ZfsVersion>> e : versions.entrySet()) {
                if (e.getKey().equals(jail.root())) {
                    continue;
                }
                Map<String, String> p = properties.getOrDefault(e.getKey(), Map.of());
                List<RemoteVersion> vs = e.getValue().stream()
                        .map(v -> new RemoteVersion(v.name(), v.type(), v.guid(), v.createtxg(),
                                v.creation().getEpochSecond()))
                        .toList();
                String token = p.get(RESUME_TOKEN_PROPERTY);
                boolean noToken = token == null || token.isEmpty() || token.equals("-");
                out.add(new RemoteFilesystem(jail.pathOf(e.getKey()),
                        "on".equals(p.get(Placeholders.PLACEHOLDER_PROPERTY)), vs, noToken ? null : token));
            }
        } catch (ZfsException e) {
            conversation.reply(new ErrorReply(ErrorCodes.ZFS, e.getMessage(), e.stderr()));
            return;
        }
        conversation.send(FrameType.LISTING, new Listing(out));
    }
}
