package dev.zreplj.replication;

import dev.zreplj.zfs.SendRequest;
import dev.zreplj.zfs.SendStream;
import dev.zreplj.zfs.SourceZfs;
import dev.zreplj.zfs.ZfsException;
import java.io.IOException;

/** A channel's input that a {@code zfs send} writes its stream into directly (see {@link BoxChannel#rawInput()}). */
@FunctionalInterface
public interface RawInput {
    /**
     * Starts {@code zfs send} of {@code request} writing into the channel; call once the box is ready for the
     * stream.
     *
     * @throws IOException when the channel has ended meanwhile
     */
    SendStream send(SourceZfs zfs, SendRequest request) throws ZfsException, IOException;
}
