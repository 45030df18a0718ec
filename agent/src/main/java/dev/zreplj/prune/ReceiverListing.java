package dev.zreplj.prune;

import dev.zreplj.protocol.RemoteFilesystem;
import java.util.List;

/**
 * The box's copy as the pass listed it. Where the box cannot be listed again (the link dropped, every channel was
 * cut), its newest snapshot in common with the sender still guards that snapshot on the sender: a receive since
 * only added to the box's copy. It stands for the box's copy in receiver pruning only while {@code current}.
 *
 * @param current nothing was received since it was listed
 */
public record ReceiverListing(List<RemoteFilesystem> filesystems, boolean current) {
    public ReceiverListing {
        filesystems = List.copyOf(filesystems);
    }
}
