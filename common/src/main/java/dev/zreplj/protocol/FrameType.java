package dev.zreplj.protocol;

/** The one-byte frame types. Control frames carry JSON or nothing; DATA carries raw stream bytes. */
public enum FrameType {
    HELLO(0x01, Payload.JSON),
    ERROR(0x02, Payload.JSON),
    BYE(0x03, Payload.NONE),
    LIST(0x10, Payload.NONE),
    LISTING(0x11, Payload.JSON),
    /** LIST with sizes, encryption and the box's clock; only to a server that advertised {@link Wire#LIST_DETAILS}. */
    LIST_DETAILED(0x12, Payload.NONE),
    /** The reply to LIST_DETAILED: a {@link DetailedListing}. */
    DETAILED_LISTING(0x13, Payload.JSON),
    /** LIST below the job's roots ({@link ListRoots}), answered by LISTING; only to a server with {@link Wire#LIST_ROOTS}. */
    LIST_ROOTS(0x14, Payload.JSON),
    RECV(0x20, Payload.JSON),
    DATA(0x21, Payload.RAW),
    END(0x22, Payload.NONE),
    ABORT(0x23, Payload.NONE),
    RESULT(0x24, Payload.JSON),
    /** DATA whose payload is one zstd frame; only to a server that advertised {@link Wire#ZSTD_DATA}. */
    ZDATA(0x25, Payload.RAW),
    /** A RECV of a {@code zfs send -I} stream; only to a server that advertised {@link Wire#SNAPSHOT_SERIES}. */
    RECV_SERIES(0x26, Payload.JSON),
    /**
     * A RECV whose stream follows unframed once the server answers READY; only to a server that advertised
     * {@link Wire#RAW_STREAM}. Its payload is a {@link ReceiveCommand}.
     */
    RECV_RAW(0x27, Payload.JSON),
    /** RECV_SERIES with its stream unframed after READY, as {@link #RECV_RAW}; a {@link ReceiveSeries}. */
    RECV_SERIES_RAW(0x28, Payload.JSON),
    /** Server: the RECV_RAW or RECV_SERIES_RAW passed its checks; the stream's bytes may come now. */
    READY(0x29, Payload.NONE),
    /** Server, during an unframed stream: how many of its bytes arrived so far ({@link StreamProgress}). */
    PROGRESS(0x2a, Payload.JSON),
    DESTROY(0x30, Payload.JSON),
    DESTROYED(0x31, Payload.JSON),
    /** Client asks for a stream of its own backup; only to a server that advertised {@link Wire#RESTORE}. */
    SEND(0x40, Payload.JSON),
    /** Server: the stream of a SEND is complete (after its DATA frames). */
    SENT(0x41, Payload.JSON);

    enum Payload {
        NONE,
        JSON,
        RAW
    }

    private static final FrameType[] BY_CODE = new FrameType[256];

    static {
        for (FrameType t : values()) {
            BY_CODE[t.code] = t;
        }
    }

    private final int code;
    private final Payload payload;

    FrameType(int code, Payload payload) {
        this.code = code;
        this.payload = payload;
    }

    int code() {
        return code;
    }

    Payload payload() {
        return payload;
    }

    /** null for a byte that is no frame type. */
    static FrameType of(int code) {
        return BY_CODE[code & 0xff];
    }
}
