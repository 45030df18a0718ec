package dev.zreplj.protocol;

import java.util.List;

/** The LISTING frame: every filesystem in the client's jail. */
public record Listing(List<RemoteFilesystem> filesystems) {
    public Listing {
        filesystems = List.copyOf(filesystems);
    }
}
