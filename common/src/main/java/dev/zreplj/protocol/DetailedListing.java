package dev.zreplj.protocol;

import java.util.List;

/**
 * The DETAILED_LISTING frame: every filesystem in the client's jail with sizes and encryption, and the box's
 * clock ({@code now}, unix seconds) so that ages are the box's and not the client's.
 */
public record DetailedListing(long now, List<DetailedFilesystem> filesystems) {
    public DetailedListing {
        filesystems = List.copyOf(filesystems);
    }
}
