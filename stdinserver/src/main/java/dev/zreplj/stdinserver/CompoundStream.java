package dev.zreplj.stdinserver;

import dev.zreplj.protocol.Printable;
import dev.zreplj.protocol.RemoteException;
import dev.zreplj.protocol.StreamHeader;
import java.nio.ByteBuffer;

/**
 * A compound stream as {@code zfs send -p/-b} of one snapshot writes it: a BEGIN record of header type
 * DMU_COMPOUNDSTREAM whose payload is the properties nvlist, an END record, the plain substream (BEGIN ...
 * END), and a final END. {@link #check} takes its first bytes, up to {@link #prefixLength} (the substream's
 * BEGIN record included); the substream's header is then checked against the command as any plain one,
 * and {@link #tail()} checks the bytes after the prefix while zfs recv reads them.
 *
 * @param substream the substream's BEGIN record
 * @param properties what the properties payload holds
 * @param tail already fed the prefix's substream bytes
 */
record CompoundStream(StreamHeader substream, CompoundHeader properties, CompoundTail tail) {

    /** How many bytes {@link #check} needs; the payload length is checked against its cap first. */
    static int prefixLength(StreamHeader compound) throws RemoteException {
        long payload = compound.payloadLength();
        if (payload > CompoundHeader.MAX_PAYLOAD) {
            throw CompoundHeader.refused("its properties payload of " + payload + " bytes is over the box's cap of "
                    + CompoundHeader.MAX_PAYLOAD);
        }
        return 3 * StreamHeader.LENGTH + (int) payload;
    }

    /**
     * @param compound the stream's first record, {@link StreamHeader#compound()}
     * @param bytes    the stream's first {@code length} bytes
     */
    static CompoundStream check(
            StreamHeader compound, byte[] bytes, int length, String snapshot, long toGuid, CompoundTail.Layout layout)
            throws RemoteException {
        int needed = prefixLength(compound);
        int payload = needed - 3 * StreamHeader.LENGTH;
        if (length < needed) {
            throw CompoundHeader.refused("the stream ends after " + length + " bytes, before its properties and"
                    + " its substream's first record are complete");
        }
        CompoundHeader properties =
                CompoundHeader.check(compound.toName(), bytes, StreamHeader.LENGTH, payload, snapshot, toGuid);
        int end = StreamHeader.LENGTH + payload;
        if (ByteBuffer.wrap(bytes, end, 4).order(compound.order()).getInt() != CompoundTail.END) {
            throw CompoundHeader.refused("its properties are not followed by an END record");
        }
        int start = end + StreamHeader.LENGTH;
        StreamHeader substream = StreamHeader.parse(bytes, start, length);
        if (substream.compound() || substream.order() != compound.order()) {
            throw CompoundHeader.refused("its substream is not a plain one");
        }
        if (!substream.toName().equals(compound.toName())) {
            // zfs recv puts a package's substream at the target plus what its name has beyond the first
            // record's filesystem: another name would land it in a filesystem the box never checked.
            throw CompoundHeader.refused("its substream names '" + Printable.of(substream.toName())
                    + "', its first record '" + Printable.of(compound.toName()) + "'; zfs would receive it into"
                    + " another filesystem than the one the command names");
        }
        CompoundTail tail = new CompoundTail(compound.order(), layout);
        tail.accept(bytes, start, length - start);
        return new CompoundStream(substream, properties, tail);
    }
}
