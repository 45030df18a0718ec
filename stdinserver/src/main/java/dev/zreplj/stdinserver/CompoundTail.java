package dev.zreplj.stdinserver;

import dev.zreplj.protocol.ErrorCodes;
import dev.zreplj.protocol.RemoteException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Follows a compound stream's records from its substream's BEGIN on, while zfs recv reads them, so that
 * nothing but that one substream and the final END reaches zfs: zfs recv receives every further substream a
 * compound stream holds (into the same target, unchecked by the box, {@code -F} included), so a second BEGIN
 * is refused before a byte of it is passed on. Every record is a 312-byte dmu_replay_record followed by a
 * payload whose length depends on its type (OpenZFS include/sys/zfs_ioctl.h; offsets below are into the
 * record, the type's struct starting at 8): BEGIN drr_payloadlen; OBJECT drr_raw_bonuslen, else drr_bonuslen
 * rounded up to 8; WRITE drr_compressed_size when drr_compressiontype is set, else drr_logical_size; SPILL
 * drr_compressed_size when set, else drr_length; WRITE_EMBEDDED drr_psize rounded up to 8; the others none.
 */
final class CompoundTail {
    private static final int BEGIN = 0;
    private static final int OBJECT = 1;
    private static final int WRITE = 3;
    static final int END = 5;
    private static final int SPILL = 7;
    private static final int WRITE_EMBEDDED = 8;
    private static final int LAST_TYPE = 10; // DRR_REDACT
    /** Far above zfs's largest block (16 MiB), so only nonsense is refused. */
    private static final long MAX_PAYLOAD = 64L << 20;

    private enum State { SUBSTREAM_BEGIN, SUBSTREAM, FINAL_END, DONE }

    private final ByteBuffer record;
    private long payloadLeft;
    private State state = State.SUBSTREAM_BEGIN;

    /** @param order the stream's byte order (from its first record's magic) */
    CompoundTail(ByteOrder order) {
        this.record = ByteBuffer.allocate(StreamHeader.LENGTH).order(order);
    }

    /**
     * Checks the next {@code length} stream bytes; call before passing them to zfs recv.
     *
     * @throws RemoteException when they hold a second substream, an unknown record or anything after the
     *                         final END
     */
    void accept(byte[] bytes, int offset, int length) throws RemoteException {
        int i = offset;
        int end = offset + length;
        while (i < end) {
            if (state == State.DONE) {
                throw refused((end - i) + " more bytes follow the stream's final END record");
            }
            if (payloadLeft > 0) {
                int n = (int) Math.min(payloadLeft, end - i);
                payloadLeft -= n;
                i += n;
                continue;
            }
            int n = Math.min(record.remaining(), end - i);
            record.put(bytes, i, n);
            i += n;
            if (!record.hasRemaining()) {
                payloadLeft = next();
                record.clear();
            }
        }
    }

    /** Whether the stream ended where it should, after the final END. */
    boolean complete() {
        return state == State.DONE && record.position() == 0;
    }

    private long next() throws RemoteException {
        int type = record.getInt(0);
        if (type < 0 || type > LAST_TYPE) {
            throw refused("it holds a record of unknown type " + type);
        }
        switch (state) {
            case SUBSTREAM_BEGIN -> {
                if (type != BEGIN) {
                    throw refused("its substream does not start with a BEGIN record");
                }
                state = State.SUBSTREAM;
                return checked(Integer.toUnsignedLong(record.getInt(4)));
            }
            case SUBSTREAM -> {
                if (type == BEGIN) {
                    throw refused("its substream holds a second BEGIN record");
                }
                if (type == END) {
                    state = State.FINAL_END;
                    return 0;
                }
                return checked(payload(type));
            }
            case FINAL_END -> {
                if (type == BEGIN) {
                    throw refused("it holds a second substream; the box receives one snapshot per stream");
                }
                if (type != END) {
                    throw refused("a record of type " + type + " follows its substream; only the final END may");
                }
                state = State.DONE;
                return 0;
            }
            default -> throw new IllegalStateException(state.name());
        }
    }

    private long payload(int type) {
        return switch (type) {
            case OBJECT -> {
                long raw = Integer.toUnsignedLong(record.getInt(8 + 28));
                yield raw != 0 ? raw : roundUp8(Integer.toUnsignedLong(record.getInt(8 + 20)));
            }
            case WRITE -> record.get(8 + 42) != 0 ? record.getLong(8 + 88) : record.getLong(8 + 24);
            case SPILL -> {
                long compressed = record.getLong(8 + 32);
                yield compressed != 0 ? compressed : record.getLong(8 + 8);
            }
            case WRITE_EMBEDDED -> roundUp8(Integer.toUnsignedLong(record.getInt(8 + 44)));
            default -> 0;
        };
    }

    private static long roundUp8(long n) {
        return (n + 7) & ~7L;
    }

    private static long checked(long payload) throws RemoteException {
        if (payload < 0 || payload > MAX_PAYLOAD) {
            throw refused("a record claims a payload of " + Long.toUnsignedString(payload) + " bytes");
        }
        return payload;
    }

    private static RemoteException refused(String why) {
        return new RemoteException(ErrorCodes.STREAM, "the stream carries properties (zfs send -p/-b), but " + why
                + "; zfs recv was stopped", "");
    }
}
