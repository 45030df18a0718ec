package dev.zreplj.protocol;

import dev.zreplj.zfs.ZfsVersion;
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
 * DMU_BACKUP_FEATURE_RESUMING, 1 << 20; its payload names where to go on). {@code payloadLength} is the
 * unsigned drr_payloadlen: read as a signed int, one of 2^31 or more was negative and passed every {@code > 0}
 * check as "no payload".
 *
 * <p>Only what the box can check whole is accepted: one plain substream of one snapshot, or the first
 * record of a compound stream ({@code compound}: header type DMU_COMPOUNDSTREAM, guids, flags and features
 * 0), whose properties payload and records the box's CompoundHeader and CompoundTail check. A clone
 * stream ({@code DRR_FLAG_CLONE}) makes zfs look its origin up by guid across the whole pool, another
 * client's jail included: refused here, as is any flag this code does not know.
 */
public record StreamHeader(
        long payloadLength,
        long toGuid,
        long fromGuid,
        String toName,
        boolean resuming,
        boolean compound,
        ByteOrder order,
        boolean volume) {
    public static final int LENGTH = 312;
    public static final long MAGIC = 0x2F5bacbacL;
    private static final long FEATURE_RESUMING = 1L << 20;
    private static final int SUBSTREAM = 1;
    private static final int COMPOUNDSTREAM = 2;
    public static final int FLAG_CLONE = 1;
    /** CLONE, CI_DATA, FREERECORDS, SPILL_BLOCK: every drr_flags bit OpenZFS 2.3 defines. */
    private static final int KNOWN_FLAGS = 0xf;
    /** drr_type's objset type of a volume (DMU_OST_ZVOL); a filesystem is DMU_OST_ZFS (2). */
    private static final int OBJSET_VOLUME = 3;

    public StreamHeader(long payloadLength, long toGuid, long fromGuid, String toName) {
        this(payloadLength, toGuid, fromGuid, toName, false, false, ByteOrder.LITTLE_ENDIAN);
    }

    public StreamHeader(long payloadLength, long toGuid, long fromGuid, String toName, boolean resuming) {
        this(payloadLength, toGuid, fromGuid, toName, resuming, false, ByteOrder.LITTLE_ENDIAN);
    }

    /** A filesystem's stream (or a compound stream's first record). */
    public StreamHeader(
            long payloadLength,
            long toGuid,
            long fromGuid,
            String toName,
            boolean resuming,
            boolean compound,
            ByteOrder order) {
        this(payloadLength, toGuid, fromGuid, toName, resuming, compound, order, false);
    }

    public static StreamHeader parse(byte[] bytes, int length) throws RemoteException {
        return parse(bytes, 0, length);
    }

    /** The record at {@code bytes[offset]}; {@code length} counts from the array's start. */
    public static StreamHeader parse(byte[] bytes, int offset, int length) throws RemoteException {
        if (length - offset < LENGTH) {
            throw invalid("the stream ended after " + length + " bytes, before its "
                    + (offset == 0 ? "first record" : "substream's first record") + " was complete");
        }
        ByteBuffer b = ByteBuffer.wrap(bytes, offset, LENGTH).slice().order(ByteOrder.LITTLE_ENDIAN);
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
        if (headerType != SUBSTREAM && headerType != COMPOUNDSTREAM) {
            throw invalid("the stream's header type " + headerType + " is unknown; the box cannot check it");
        }
        int flags = b.getInt(36);
        if ((flags & FLAG_CLONE) != 0) {
            throw invalid("the stream is a clone stream (its origin is looked up by guid anywhere in the box's"
                    + " pool); the box refuses clones: send the clone as a full stream");
        }
        if ((flags & ~KNOWN_FLAGS) != 0) {
            throw invalid(String.format(
                    "the stream's header carries unknown flags 0x%x; the box cannot check it", flags & ~KNOWN_FLAGS));
        }
        long creation = b.getLong(24);
        if (Long.compareUnsigned(creation, ZfsVersion.LATEST_CREATION) > 0) {
            throw invalid("the stream's snapshot claims a creation time " + Long.toUnsignedString(creation)
                    + " seconds after 1970, past the year 9999, a time no listing can hold");
        }
        int nameEnd = 56;
        while (nameEnd < LENGTH && b.get(nameEnd) != 0) {
            nameEnd++;
        }
        String toName = new String(bytes, offset + 56, nameEnd - 56, StandardCharsets.UTF_8);
        int at = toName.indexOf('@');
        if (at < 0 || toName.indexOf('@', at + 1) >= 0 || at == toName.length() - 1) {
            throw invalid("the stream does not name exactly one snapshot (drr_toname '" + Printable.of(toName) + "')");
        }
        long toGuid = b.getLong(40);
        if (headerType == COMPOUNDSTREAM) {
            // Written by libzfs from a zeroed record: anything else in it is not from zfs send -p/-b.
            if (flags != 0 || toGuid != 0 || b.getLong(48) != 0 || (versionInfo >>> 2) != 0) {
                throw invalid("the stream's compound header carries guids, flags or features; zfs send -p/-b"
                        + " writes none there, so the box cannot check it");
            }
            return new StreamHeader(Integer.toUnsignedLong(b.getInt(4)), 0, 0, toName, false, true, b.order());
        }
        if (toGuid == 0) {
            throw invalid("the stream's snapshot has guid 0; the box cannot check it");
        }
        boolean resuming = ((versionInfo >>> 2) & FEATURE_RESUMING) != 0;
        return new StreamHeader(
                Integer.toUnsignedLong(b.getInt(4)),
                toGuid,
                b.getLong(48),
                toName,
                resuming,
                false,
                b.order(),
                b.getInt(32) == OBJSET_VOLUME);
    }

    /** The snapshot part of drr_toname: the name zfs recv gives the received snapshot. */
    public String snapshotName() {
        return toName.substring(toName.indexOf('@') + 1);
    }

    private static RemoteException invalid(String message) {
        return new RemoteException(ErrorCodes.STREAM, message, "");
    }
}
