package dev.zreplj.protocol;

/** The stable words in {@link RemoteException#code()} and ERROR frames (docs/protocol.md lists them). */
public final class ErrorCodes {
    /** The byte stream broke the protocol: garbage, truncation, limits, JSON that does not fit. */
    public static final String PROTOCOL = "protocol";
    /** The two sides speak different protocol versions. */
    public static final String VERSION = "version";
    /** The client id is not served by this box's config. */
    public static final String CLIENT = "client";
    /** A dataset name is invalid or lies outside the client's jail. */
    public static final String JAIL = "jail";
    /** Another receive into the same dataset is running. */
    public static final String BUSY = "busy";
    /**
     * The box repaired the target so that the same request can now succeed (it rolled back a copy that changed
     * since its newest snapshot): send it again.
     */
    public static final String RETRY = "retry";
    /** The stream's header does not match the command, or carries what this box refuses. */
    public static final String STREAM = "stream";
    /** zfs failed; the detail is its stderr. */
    public static final String ZFS = "zfs";
    /** The client aborted the stream (its zfs send failed). */
    public static final String ABORTED = "aborted";
    /**
     * The request is not permitted on this channel: a restore-only key's RECV or DESTROY, or a SEND to a sink
     * job with {@code serve.restore: false}.
     */
    public static final String FORBIDDEN = "forbidden";
    /** Something unexpected on the server (a local I/O error, for example). */
    public static final String INTERNAL = "internal";

    private ErrorCodes() {}
}
