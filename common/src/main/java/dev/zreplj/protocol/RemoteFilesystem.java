package dev.zreplj.protocol;

import java.util.List;

/**
 * A filesystem in the client's jail. {@code path} is the sender's dataset name (the jail-relative path
 * under {@code <root_fs>/<client>}); {@code resumeToken} is null when there is no partial receive.
 */
public record RemoteFilesystem(String path, boolean placeholder, List<RemoteVersion> versions, String resumeToken) {
    public RemoteFilesystem {
        versions = List.copyOf(versions);
    }
}
