package dev.zreplj.restore;

import dev.zreplj.protocol.Printable;
import dev.zreplj.protocol.RemoteException;
import dev.zreplj.protocol.StreamHeader;
import java.util.List;

/**
 * The box's answer to SEND, checked on its first record (DRR_BEGIN) before the local zfs recv sees a byte: a
 * restore trusts the box no more than the box trusts a client. SEND never asks for {@code -p}, {@code -R},
 * {@code -I} or a clone, so a compound stream (which could carry {@code mountpoint=/etc}, or a whole tree) or a
 * clone stream (whose origin zfs looks up by guid anywhere in this machine's pool) is not what was asked for,
 * and neither is a snapshot, base or resume state other than the planned step's.
 */
final class RestoreStream {
    /**
     * What a restore receives with where zfs has {@code recv -x}: the restored filesystem inherits these from
     * its new parent, as the docs promise, whatever the stream says.
     */
    static final List<String> EXCLUDED_PROPERTIES = List.of("mountpoint", "canmount", "sharenfs", "sharesmb");

    private RestoreStream() {}

    /**
     * @param bytes            the stream's first bytes
     * @param length           how many of them arrived (fewer than {@link StreamHeader#LENGTH} only when the
     *                         stream ended there)
     * @param excludesProperties whether the local zfs recv runs with {@code -x} ({@link #EXCLUDED_PROPERTIES}):
     *                         without it, a BEGIN payload (an nvlist zfs recv reads) is refused, as the box
     *                         refuses one without {@code recv -x}
     */
    static StreamHeader check(RestoreStep step, byte[] bytes, int length, boolean excludesProperties)
            throws RestoreRefused {
        StreamHeader header;
        try {
            header = StreamHeader.parse(bytes, length);
        } catch (RemoteException e) {
            throw refused(step, e.getMessage());
        }
        if (header.compound()) {
            throw refused(
                    step,
                    "it is a compound stream (zfs send -p, -R or -I, which can carry properties such as a"
                            + " mountpoint or other filesystems), and a restore asks for one plain snapshot");
        }
        if (!header.snapshotName().equals(step.snapshot())) {
            throw refused(step, "it is of snapshot @" + Printable.of(header.snapshotName()));
        }
        if (header.toGuid() != step.guid()) {
            throw refused(
                    step,
                    "its snapshot's guid is " + Long.toUnsignedString(header.toGuid()) + ", the box listed "
                            + Long.toUnsignedString(step.guid()));
        }
        if (header.fromGuid() != step.fromGuid()) {
            throw refused(
                    step,
                    header.fromGuid() == 0
                            ? "it is a full stream, and an incremental was asked for"
                            : "it is incremental from guid " + Long.toUnsignedString(header.fromGuid())
                                    + (step.fromGuid() == 0
                                            ? ", and a full stream was asked for"
                                            : ", not from " + Long.toUnsignedString(step.fromGuid())));
        }
        boolean resume = step.kind() == RestoreStep.Kind.RESUME;
        if (header.resuming() != resume) {
            throw refused(
                    step,
                    resume
                            ? "it does not resume the interrupted receive"
                            : "it resumes a receive, and none was asked for");
        }
        if (header.payloadLength() > 0 && !excludesProperties) {
            throw refused(
                    step,
                    "its first record carries a payload, and this zfs has no 'zfs recv -x' to keep properties out");
        }
        return header;
    }

    private static RestoreRefused refused(RestoreStep step, String why) {
        return new RestoreRefused("the box's stream for " + step.path() + "@" + step.snapshot() + " is refused, "
                + "nothing was received: " + why + "; the box may be compromised or its zreplj broken,"
                + " check it before restoring from it");
    }
}
