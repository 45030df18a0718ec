package dev.zreplj.protocol;

import java.nio.charset.StandardCharsets;

/** The fixed facts of the wire format; docs/protocol.md is the prose version of this class. */
public final class Wire {
    /**
     * Bumped on any incompatible change; both sides must speak the same one. 2: DESTROY, and the client
     * names its job in HELLO (a version 1 box would answer DESTROY with "unknown frame type"). 3: RECV's
     * {@code resumeToken} and {@code discardPartial} (a version 2 box would ignore them and receive a
     * resumed stream unchecked; a version 3 box would refuse a version 2 RECV as missing fields).
     */
    public static final int PROTOCOL_VERSION = 3;

    /**
     * Sent by each side before anything else. It never changes across protocol versions, so that a
     * version mismatch can still be reported in words, and garbage (a login banner, a shell prompt, an
     * error from a missing binary) is recognised at the first bytes.
     */
    static final byte[] MAGIC = "ZREPLJ\0\n".getBytes(StandardCharsets.US_ASCII);

    static final int HEADER_LENGTH = 5;

    /**
     * Server capability: it accepts ZDATA frames in a RECV stream. A capability, not a version bump: a
     * client sends ZDATA only to a server that lists it, so either side may be older.
     */
    public static final String ZSTD_DATA = "zstd-data";
    /**
     * Server capability: it accepts the compound stream of {@code zfs send -p/-b} of one snapshot (it checks
     * the properties payload and stops any further substream); an older box refuses every compound stream.
     */
    public static final String SEND_PROPERTIES = "send-properties";

    /**
     * Server capability: it answers SEND (a stream of the client's own backup, for {@code zreplj restore}).
     * A capability, not a version bump: only a restoring agent sends SEND and it checks for this first, so
     * replication between any agent and box of protocol 3 goes on unchanged; a box that forbids restores
     * ({@code serve.restore: false}) does not list it.
     */
    public static final String RESTORE = "restore";
    /**
     * Server capability: the forced command carries {@code --restore-only}: RECV and DESTROY are refused
     * with {@code forbidden}. Listed so that the agent can say so before it tries to replicate.
     */
    public static final String RESTORE_ONLY = "restore-only";
    /**
     * Server capability: its zfs has {@code recv -s} and resume tokens, and so {@code send -t}: a restore keeps
     * its local partial state only against a box that can resume sending it.
     */
    public static final String RESUMABLE_RECEIVE = "resumable-receive";
    /**
     * Server capability: it accepts RECV_SERIES, one {@code zfs send -I} stream of several snapshots of one
     * filesystem, and checks every substream's BEGIN against the request while zfs recv reads. A capability,
     * not a version bump: a client sends RECV_SERIES only to a server that lists it, and a RECV is unchanged.
     */
    public static final String SNAPSHOT_SERIES = "snapshot-series";
    /**
     * Both sides: a client lists it in its HELLO to say it reads a DESTROYED reply's {@code failed} list, a server
     * to say it sends one to such a client. There the snapshots the box's zfs would not destroy (an admin's hold,
     * a clone of it, an I/O error) are kept apart from the box's policy refusals, so that the agent reports them
     * as a failed prune. Not a version bump: without it on both sides DESTROYED is as before, with zfs's
     * failures among the refusals.
     */
    public static final String DESTROY_FAILED = "destroy-failed";
    /**
     * Client capability: it takes ERROR {@code busy} in place of the server's HELLO (a channel over the client's
     * {@code max_channels}) as "this channel is refused", and goes on over the channels it has. An agent before it
     * takes a failed handshake for an unreachable box and fails its whole pass: such a client gets the server's
     * HELLO and then the ERROR, as the reply to its first request, which fails that step only.
     */
    public static final String BUSY_GREETING = "busy-greeting";
    /**
     * Server capability: it answers LIST_DETAILED with sizes, encryption and its own clock. A new request, not
     * new LISTING fields: the JSON codec requires every field, so an agent reading such fields from an older
     * box's LISTING would fail; and a separate request keeps LIST, which every replication pass sends, free of
     * the extra zfs call for sizes. A client sends LIST_DETAILED only to a server that lists this.
     */
    public static final String LIST_DETAILS = "list-details";
    /**
     * Server capability: it answers LIST_ROOTS, a LIST of only the filesystems at and below the roots the
     * client names (its job's filter roots), so that a job over one filesystem does not wait for the box to
     * list every filesystem the client has there. A client sends LIST_ROOTS only to a server that lists this.
     */
    public static final String LIST_ROOTS = "list-roots";
    /**
     * Server capability: it accepts RECV_RAW and RECV_SERIES_RAW, whose zfs send stream follows unframed after
     * the server's READY and ends where the stream's own records say (its final DRR_END): the agent can then
     * hand zfs send's output to the SSH channel without passing the bytes through its JVM. Any failure after
     * READY ends the channel (the server cannot find the end of a stream it stopped reading), so the client
     * opens another for what follows. A capability, not a version bump: a client sends them only to a server
     * that lists this, and RECV is unchanged.
     */
    public static final String RAW_STREAM = "raw-stream";
    /** Most roots one LIST_ROOTS may name; a job with more asks for the whole jail with LIST. */
    public static final int MAX_LIST_ROOTS = 256;

    /** Largest DATA payload; also what the client reads from zfs send per frame. */
    public static final int MAX_DATA = 1 << 20;
    /** Largest control frame the server accepts from a client (a command is a few hundred bytes). */
    public static final int MAX_CONTROL_FROM_CLIENT = 1 << 20;
    /** Largest control frame the client accepts (a listing of thousands of snapshots). */
    public static final int MAX_CONTROL_FROM_SERVER = 64 << 20;

    private Wire() {}

    /** The running zreplj's version, from the jar manifest; "dev" when run from class directories. */
    public static String softwareVersion() {
        String v = Wire.class.getPackage().getImplementationVersion();
        return v == null ? "dev" : v;
    }
}
