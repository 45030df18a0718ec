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
 * drr_magic u64 @8, drr_versioninfo u64 @16, drr_creation_time u64 @24, drr_type u32 @32,
 * drr_flags u32 @36, drr_toguid u64 @40, drr_fromguid u64 @48, drr_toname char[256] @56; 312 bytes.
 * {@code resuming}: the stream is {@code zfs send -t} of a resume token (feature flag
 * DMU_BACKUP_FEATURE_RESUMING, 1 << 20, in drr_versioninfo's bits 2..31; its payload names where to go on).
 */
record StreamHeader(int payloadLength, long toGuid, long fromGuid, String toName, boolean resuming) {
    static final int LENGTH = 312;
    static final long MAGIC = 0x2F5bacbacL;
    private static final long FEATURE_RESUMING = 1L << 20;

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
        int nameEnd = 56;
        while (nameEnd < LENGTH && bytes[nameEnd] != 0) {
            nameEnd++;
        }
        String toName = new String(bytes, 56, nameEnd - 56, StandardCharsets.UTF_8);
        boolean resuming = ((b.getLong(16) >>> 2) & FEATURE_RESUMING) != 0;
        return new StreamHeader(b.getInt(4), b.getLong(40), b.getLong(48), toName, resuming);
    }

    /** The snapshot part of drr_toname, or null when the name carries none. */
    String snapshotName() {
        int at = toName.indexOf('@');
        return at < 0 ? null : toName.substring(at + 1);
    }

    private static RemoteException invalid(String message) {
        return new RemoteException(ErrorCodes.STREAM, message, "");
    }
}
