package dev.zreplj.stdinserver;

import dev.zreplj.protocol.ErrorCodes;
import dev.zreplj.protocol.Printable;
import dev.zreplj.protocol.ReceiveSeries;
import dev.zreplj.protocol.RemoteException;
import dev.zreplj.protocol.StreamHeader;
import dev.zreplj.zfs.Capabilities;
import dev.zreplj.zfs.SendFlag;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;

/**
 * Follows a compound stream's records from its first substream's BEGIN on, while zfs recv reads them, so that
 * nothing but the expected substreams and the final END reaches zfs: zfs recv receives every substream a
 * compound stream holds (into the same target, unchecked by the box, {@code -F} included), so a BEGIN that is
 * not the next expected one is refused before a byte of it is passed on. A {@code zfs send -p/-b} stream of one
 * snapshot holds one substream, whose BEGIN the box checked whole before zfs recv started; a {@code zfs send -I}
 * stream ({@link Series}) holds one per snapshot, each BEGIN checked here against the request in order. Every
 * record is a 312-byte dmu_replay_record followed by a payload whose length depends on its type (OpenZFS
 * include/sys/zfs_ioctl.h; offsets below are into the record, the type's struct starting at 8): BEGIN
 * drr_payloadlen; OBJECT drr_raw_bonuslen, else drr_bonuslen rounded up to 8; WRITE drr_compressed_size when
 * drr_compressiontype is set, else drr_logical_size; SPILL drr_compressed_size when set (a zfs with raw sends),
 * else drr_length;
 * WRITE_EMBEDDED drr_psize rounded up to 8; FREEOBJECTS, FREE, WRITE_BYREF, OBJECT_RANGE, REDACT and END none.
 * A type past REDACT is refused. zfs-fuse's records ({@link Layout}) have padding where OpenZFS has
 * drr_raw_bonuslen and drr_compressiontype, and it reads drr_bonuslen and drr_length whatever that padding holds.
 *
 * <p>An unframed stream (RECV_RAW) has nothing but these records to say where it ends, so the box reads it as
 * far as {@link #wanted()} says and no further: a compound stream up to its final END, and a plain stream
 * through a {@link #plain} tail, fed from its BEGIN on, up to the END that closes its one substream.
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

    /**
     * Which of OpenZFS's conditional record fields the box's zfs reads: with a field it lacks, the box must
     * read the payload length as that zfs does, or a client could put a large length into padding the box
     * trusts, and the bytes it then waves through as one record's data would be, to zfs, a second substream.
     *
     * @param compressedWrites WRITE records may be compressed (drr_compressiontype, drr_compressed_size): a zfs
     *                         with {@code zfs send -c}; zfs-fuse's are padding there
     * @param rawObjects       OBJECT records may carry a raw bonus (drr_raw_bonuslen): a zfs with raw sends
     */
    record Layout(boolean compressedWrites, boolean rawObjects) {
        static final Layout OPENZFS = new Layout(true, true);

        static Layout of(Capabilities zfs) {
            return new Layout(zfs.sendFlags().contains(SendFlag.COMPRESSED.option()), zfs.rawSend());
        }
    }

    /**
     * What the substreams of a {@code zfs send -I} stream must be: {@code snapshots} in order, each BEGIN
     * naming {@code dataset@name} with that guid, incremental from the one before (the first from
     * {@code baseGuid}), a plain substream in the stream's byte order, no clone or unknown flag, no resume.
     *
     * @param payloads whether a BEGIN may carry a payload (a raw send's key data): only where the box's zfs can
     *                 exclude properties, as for a single stream
     */
    record Series(String dataset, long baseGuid, List<ReceiveSeries.Snapshot> snapshots, boolean payloads) {
        Series {
            snapshots = List.copyOf(snapshots);
        }
    }

    private enum State {
        SUBSTREAM_BEGIN,
        SUBSTREAM,
        BETWEEN,
        DONE
    }

    private final ByteBuffer record;
    private final Layout layout;
    private final Series series;
    private final String prefix;
    private final boolean plain;
    private long payloadLeft;
    private State state = State.SUBSTREAM_BEGIN;
    private int completed;
    private boolean recordStart = true;
    private int passable = -1;

    /**
     * @param order  the stream's byte order (from its first record's magic)
     * @param layout how the box's zfs reads record lengths
     */
    CompoundTail(ByteOrder order, Layout layout) {
        this(order, layout, null, "the stream carries properties (zfs send -p/-b), but ", false);
    }

    /**
     * For a {@code zfs send -I} stream; fed from its first substream's BEGIN on.
     *
     * @param order  the stream's byte order (from its first record's magic)
     * @param layout how the box's zfs reads record lengths
     */
    CompoundTail(ByteOrder order, Layout layout, Series series) {
        this(order, layout, series, "the zfs send -I stream is not the one requested: ", false);
    }

    /**
     * For a plain stream, one substream without a compound header: fed from its BEGIN on, it ends with the
     * END that closes that substream.
     *
     * @param order  the stream's byte order (from its first record's magic)
     * @param layout how the box's zfs reads record lengths
     */
    static CompoundTail plain(ByteOrder order, Layout layout) {
        return new CompoundTail(order, layout, null, "the stream is refused: ", true);
    }

    private CompoundTail(ByteOrder order, Layout layout, Series series, String prefix, boolean plain) {
        this.record = ByteBuffer.allocate(StreamHeader.LENGTH).order(order);
        this.layout = layout;
        this.series = series;
        this.prefix = prefix;
        this.plain = plain;
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
        int recordBegan = offset;
        while (i < end) {
            if (state == State.DONE) {
                passable = series == null ? -1 : i - offset;
                throw refused((end - i) + " more bytes follow the stream's final END record");
            }
            if (recordStart) {
                recordBegan = i;
            }
            if (payloadLeft > 0) {
                int n = (int) Math.min(payloadLeft, end - i);
                payloadLeft -= n;
                i += n;
                recordStart = payloadLeft == 0;
                continue;
            }
            int n = Math.min(record.remaining(), end - i);
            record.put(bytes, i, n);
            i += n;
            recordStart = false;
            if (!record.hasRemaining()) {
                State before = state;
                try {
                    payloadLeft = next();
                } catch (RemoteException e) {
                    // After a whole substream the refused record is the next one's first: zfs recv may have
                    // everything before it (at most a part of that record reached it from an earlier chunk).
                    passable = series != null && before == State.BETWEEN ? recordBegan - offset : -1;
                    throw e;
                }
                record.clear();
                recordStart = payloadLeft == 0;
            }
        }
    }

    /** Whether the stream ended where it should, after the final END. */
    boolean complete() {
        return state == State.DONE && record.position() == 0;
    }

    /**
     * How many of the next stream bytes are sure to belong to the stream: the rest of the current record (its
     * 312 bytes, or its payload), 0 once it is {@link #complete()}. Where a record ends, what follows is known
     * only once its own header has been accepted.
     */
    long wanted() {
        if (payloadLeft > 0) {
            return payloadLeft;
        }
        return state == State.DONE ? 0 : record.remaining();
    }

    /** Whether {@link #wanted()} is the rest of a record's 312-byte header, not of a payload. */
    boolean inHeader() {
        return payloadLeft == 0 && state != State.DONE;
    }

    /**
     * After {@link #accept} refused a {@code zfs send -I} stream between substreams: how many bytes of that
     * chunk, from its offset, are whole substreams zfs recv may still be given before its input is closed, so
     * that it keeps them and starts nothing of the refused one. -1 when zfs recv must be killed instead (the
     * refusal fell inside a substream, or the stream is not a series).
     */
    int passable() {
        return passable;
    }

    /** How many substreams passed whole, their END included. */
    int completed() {
        return completed;
    }

    private long next() throws RemoteException {
        int type = record.getInt(0);
        if (type < 0 || type > LAST_TYPE) {
            throw refused("it holds a record of unknown type " + type);
        }
        int expected = series == null ? 1 : series.snapshots().size();
        switch (state) {
            case SUBSTREAM_BEGIN -> {
                if (type != BEGIN) {
                    throw refused("its substream does not start with a BEGIN record");
                }
                return begin();
            }
            case SUBSTREAM -> {
                if (type == BEGIN) {
                    throw refused("its substream" + of() + " holds a second BEGIN record");
                }
                if (type == END) {
                    completed++;
                    state = plain ? State.DONE : State.BETWEEN;
                    return 0;
                }
                return checked(payload(type));
            }
            case BETWEEN -> {
                if (type == BEGIN) {
                    if (completed >= expected) {
                        throw refused(
                                series == null
                                        ? "it holds a second substream; the box receives one snapshot" + " per stream"
                                        : "it holds a substream after the " + expected + " requested");
                    }
                    return begin();
                }
                if (type != END) {
                    throw refused("a record of type " + type + " follows its substream; only "
                            + (completed < expected ? "the next substream's BEGIN" : "the final END") + " may");
                }
                if (completed < expected) {
                    throw refused("it ends after " + completed + " of the " + expected + " requested snapshots; @"
                            + series.snapshots().get(completed).name() + " is missing");
                }
                state = State.DONE;
                return 0;
            }
            default -> throw new IllegalStateException(state.name());
        }
    }

    /** A substream's BEGIN: checked against the series where there is one; its payload length either way. */
    private long begin() throws RemoteException {
        state = State.SUBSTREAM;
        long payload = checked(Integer.toUnsignedLong(record.getInt(4)));
        if (series == null) {
            return payload;
        }
        ReceiveSeries.Snapshot want = series.snapshots().get(completed);
        StreamHeader header;
        try {
            header = StreamHeader.parse(record.array(), 0, StreamHeader.LENGTH);
        } catch (RemoteException e) {
            throw refused("substream " + (completed + 1) + ": " + e.getMessage());
        }
        if (header.compound() || header.order() != record.order()) {
            throw refused("substream " + (completed + 1) + " is not a plain substream of this stream");
        }
        String wantName = series.dataset() + "@" + want.name();
        if (!header.toName().equals(wantName)) {
            throw refused("substream " + (completed + 1) + " names '" + Printable.of(header.toName())
                    + "', the request expects '" + wantName + "'");
        }
        if (header.toGuid() != want.guid()) {
            throw refused("substream " + (completed + 1) + " (@" + want.name() + ") is of guid "
                    + Long.toUnsignedString(header.toGuid()) + ", the request names guid "
                    + Long.toUnsignedString(want.guid()));
        }
        long from = completed == 0
                ? series.baseGuid()
                : series.snapshots().get(completed - 1).guid();
        if (header.fromGuid() != from) {
            throw refused("substream " + (completed + 1) + " (@" + want.name() + ") is "
                    + (header.fromGuid() == 0
                            ? "a full stream"
                            : "incremental from guid " + Long.toUnsignedString(header.fromGuid()))
                    + ", the request expects it incremental from guid "
                    + Long.toUnsignedString(from));
        }
        if (header.resuming()) {
            throw refused("substream " + (completed + 1) + " resumes a partial receive (zfs send -t)");
        }
        if (payload != 0 && !series.payloads()) {
            throw refused("substream " + (completed + 1) + " carries a payload, and this box's zfs cannot exclude"
                    + " properties on receive (no 'zfs recv -x')");
        }
        return payload;
    }

    private String of() {
        return series == null ? "" : " " + (completed + 1);
    }

    private long payload(int type) {
        return switch (type) {
            case OBJECT -> {
                long raw = layout.rawObjects() ? Integer.toUnsignedLong(record.getInt(8 + 28)) : 0;
                yield raw != 0 ? raw : roundUp8(Integer.toUnsignedLong(record.getInt(8 + 20)));
            }
            case WRITE ->
                layout.compressedWrites() && record.get(8 + 42) != 0 ? record.getLong(8 + 88) : record.getLong(8 + 24);
            case SPILL -> {
                // drr_compressed_size came with raw sends (OpenZFS 0.8); before that (0.7, with send -c) the same
                // bytes are drr_pad, and that zfs reads drr_length whatever they hold.
                long compressed = layout.rawObjects() ? record.getLong(8 + 32) : 0;
                yield compressed != 0 ? compressed : record.getLong(8 + 8);
            }
            case WRITE_EMBEDDED -> roundUp8(Integer.toUnsignedLong(record.getInt(8 + 44)));
            default -> 0;
        };
    }

    private static long roundUp8(long n) {
        return (n + 7) & ~7L;
    }

    private long checked(long payload) throws RemoteException {
        if (payload < 0 || payload > MAX_PAYLOAD) {
            throw refused("a record claims a payload of " + Long.toUnsignedString(payload) + " bytes");
        }
        return payload;
    }

    private RemoteException refused(String why) {
        return new RemoteException(ErrorCodes.STREAM, prefix + why + "; zfs recv was stopped", "");
    }
}
