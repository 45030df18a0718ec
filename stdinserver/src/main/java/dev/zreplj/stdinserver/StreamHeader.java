package dev.zreplj.stdinserver;

import dev.zreplj.protocol.ErrorCodes;
import dev.zreplj.protocol.RemoteException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * The DRR_BEGIN record that opens every zfs send stream, read before zfs recv is started so that a
 * stream which is not what the command says is refused. Layout (struct dmu_replay_record, in the
 * sender's byte order, which drr_magic reveals): drr_type u32 @0 (0 = BEGIN), drr_payloadlen u32 @4,
 * drr_magic u64 @8, drr_versioninfo u64 @16 (bits 0..1 the header type, bits 2..31 feature flags),
 * drr_creation_time u64 @24, drr_type u32 @32, drr_flags u32 @36, drr_toguid u64 @40, drr_fromguid u64 @48,
 * drr_toname char[256] @56; 312 bytes.
 * {@code resuming}: the stream is {@code zfs send -t} of a resume token (feature flag
 * DMU_BACKUP_FEATURE_RESUMING, 1 << 20; its payload names where to go on).
 *
 * <p>Only what the box can check whole is accepted: one plain substream of one snapshot. A compound
 * stream ({@code send -R}) carries further BEGIN records the box never sees before zfs acts on them; a
 * clone stream ({@code DRR_FLAG_CLONE}) makes zfs look its origin up by guid across the whole pool,
 * another client's jail included. Both are refused here, as is any flag this code does not know.
 */
record StreamHeader(int payloadLength, long toGuid, long fromGuid, String toName, boolean resuming) {
    static final int LENGTH = 312;
    static final long MAGIC = 0x2F5bacbacL;
    private static final long FEATURE_RESUMING = 1L << 20;
    private static final int SUBSTREAM = 1;
    private static final int COMPOUNDSTREAM = 2;
    static final int FLAG_CLONE = 1;
    /** CLONE, CI_DATA, FREERECORDS, SPILL_BLOCK: every drr_flags bit OpenZFS 2.3 defines. */
    private static final int KNOWN_FLAGS = 0xf;

    StreamHeader(int payloadLength, long toGuid, long fromGuid, String toName) {
        this(payloadLength, toGuid, fromGuid, toName, false);
    }

    static StreamHeader parse(byte[] bytes, int length) throws RemoteException {
        if (length < LENGTH) {
            throw invalid("the stream ended after " + length + " bytes, before its first record was complete");
        }
        ByteBuffer b = ByteBuffer.wrap(bytes, 0, LENGTH).order(ByteOrder.LITTLE_ENDIAN);
        if (b.getLong(8) != MAGIC) {
            b.order(ByteOrder.BIG_ENDIAN);
            if (b.getLong(8) != MAGIC) {
                throw invalid("the data is not a zfs send stream (no DRR_BEGIN magic in its first record)");
            }
        }
        if (b.getInt(0) != 0) {
            throw invalid("the stream does not start with a DRR_BEGIN record");
        }
        long versionInfo = b.getLong(16);
        int headerType = (int) (versionInfo & 3);
        if (headerType == COMPOUNDSTREAM) {
            throw invalid("the stream is a replication stream (zfs send -R); the box receives one snapshot per"
                    + " stream only: send without -R");
        }
        if (headerType != SUBSTREAM) {
            throw invalid("the stream's header type " + headerType + " is unknown; the box cannot check it");
        }
        int flags = b.getInt(36);
        if ((flags & FLAG_CLONE) != 0) {
            throw invalid("the stream is a clone stream (its origin is looked up by guid anywhere in the box's"
                    + " pool); the box refuses clones: send the clone as a full stream");
        }
        if ((flags & ~KNOWN_FLAGS) != 0) {
            throw invalid(String.format("the stream's header carries unknown flags 0x%x; the box cannot check it",
                    flags & ~KNOWN_FLAGS));
        }
        int nameEnd = 56;
        while (nameEnd < LENGTH && bytes[nameEnd] != 0) {
            nameEnd++;
        }
        String toName = new String(bytes, 56, nameEnd - 56, StandardCharsets.UTF_8);
        int at = toName.indexOf('@');
        if (at < 0 || toName.indexOf('@', at + 1) >= 0 || at == toName.length() - 1) {
            throw invalid("the stream does not name exactly one snapshot (drr_toname '" + Printable.of(toName)
                    + "')");
        }
        long toGuid = b.getLong(40);
        if (toGuid == 0) {
            throw invalid("the stream's snapshot has guid 0; the box cannot check it");
        }
        boolean resuming = ((versionInfo >>> 2) & FEATURE_RESUMING) != 0;
        return new StreamHeader(b.getInt(4), toGuid, b.getLong(48), toName, resuming);
    }

    /** The snapshot part of drr_toname: the name zfs recv gives the received snapshot. */
    String snapshotName() {
        return toName.substring(toName.indexOf('@') + 1);
    }

    private static RemoteException invalid(String message) {
        return new RemoteException(ErrorCodes.STREAM, message, "");
    }
}
