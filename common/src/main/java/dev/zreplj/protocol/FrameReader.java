package dev.zreplj.protocol;

import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * Reads frames from one peer. The payload buffer is reused across frames, so the data path does not
 * allocate per chunk. Every violation is a {@link ProtocolException} with one line naming the peer.
 */
public final class FrameReader {
    private final InputStream in;
    private final String peer;
    private final int maxControl;
    private final byte[] header = new byte[Wire.HEADER_LENGTH];
    private byte[] buffer = new byte[8192];
    private @Nullable FrameType type;
    private int length;

    /**
     * @param peer       "client" or "server", for messages
     * @param maxControl the largest control payload accepted from this peer
     */
    public FrameReader(InputStream in, String peer, int maxControl) {
        this.in = in;
        this.peer = peer;
        this.maxControl = maxControl;
    }

    /** Reads and checks the peer's magic; anything else is reported with what was read instead. */
    public void readMagic() throws IOException {
        byte[] got = new byte[Wire.MAGIC.length];
        int n = readFully(got, 0, got.length);
        if (n == got.length && Arrays.equals(got, Wire.MAGIC)) {
            return;
        }
        if (n == 0) {
            throw new ProtocolException("the " + peer + " closed the connection before the handshake");
        }
        throw new ProtocolException("the " + peer + " does not speak the zreplj protocol: it sent '"
                + printable(got, n) + "'" + (n < got.length ? " and closed the connection" : "")
                + " instead of the protocol greeting");
    }

    /** Reads the next frame; null when the peer closed the connection cleanly between frames. */
    public @Nullable FrameType next() throws IOException {
        int n = readFully(header, 0, header.length);
        if (n == 0) {
            type = null;
            length = 0;
            return null;
        }
        if (n < header.length) {
            throw new ProtocolException("the " + peer + " closed the connection inside a frame header (" + n + " of "
                    + header.length + " bytes)");
        }
        FrameType t = FrameType.of(header[0]);
        if (t == null) {
            throw new ProtocolException(
                    String.format("the %s sent an unknown frame type 0x%02x", peer, header[0] & 0xff));
        }
        long len = ((header[1] & 0xffL) << 24)
                | ((header[2] & 0xff) << 16)
                | ((header[3] & 0xff) << 8)
                | (header[4] & 0xff);
        long limit = switch (t.payload()) {
            case NONE -> 0;
            case JSON -> maxControl;
            case RAW -> Wire.MAX_DATA;
        };
        if (len > limit) {
            throw new ProtocolException(
                    "the " + peer + " sent a " + t + " frame of " + len + " bytes; the limit is " + limit);
        }
        int size = (int) len;
        if (buffer.length < size) {
            buffer = new byte[(int) Math.max(size, Math.min(limit, (long) buffer.length * 2))];
        }
        int got = readFully(buffer, 0, size);
        if (got < size) {
            throw new ProtocolException("the " + peer + " closed the connection inside a " + t + " frame (" + got
                    + " of " + size + " bytes)");
        }
        type = t;
        length = size;
        return t;
    }

    /** Like {@link #next()}, but the connection ending here is a protocol error naming what was expected. */
    public FrameType expectFrame(String expected) throws IOException {
        FrameType t = next();
        if (t == null) {
            throw new ProtocolException("the " + peer + " closed the connection while " + expected + " was expected");
        }
        return t;
    }

    public @Nullable FrameType type() {
        return type;
    }

    public int length() {
        return length;
    }

    /** The current frame's payload in {@code [0, length())}; overwritten by the next frame. */
    public byte[] payload() {
        return buffer;
    }

    /** Decodes the current frame's JSON payload into {@code messageType}. */
    public <T extends Record> T json(Class<T> messageType) throws ProtocolException {
        if (type == null || type.payload() != FrameType.Payload.JSON) {
            throw new IllegalStateException("current frame " + type + " carries no JSON");
        }
        return Json.decode(buffer, length, messageType, type);
    }

    /**
     * Decodes the current HELLO frame. From a peer of another protocol version only {@code protocol} and
     * {@code software} are read (the rest of its HELLO may have another shape), so that the caller can
     * report the mismatch in words instead of a decoding error.
     */
    public Hello hello() throws ProtocolException {
        if (type != FrameType.HELLO) {
            throw new IllegalStateException("current frame " + type + " is no HELLO");
        }
        Hello.Version version = json(Hello.Version.class);
        if (version.protocol() != Wire.PROTOCOL_VERSION) {
            return new Hello(version.protocol(), version.software(), List.of());
        }
        return json(Hello.class);
    }

    /** An error for a frame that is valid on its own but not allowed at this point of the conversation. */
    public ProtocolException unexpected(String expected) {
        return new ProtocolException("the " + peer + " sent a " + type + " frame where " + expected + " was expected");
    }

    private int readFully(byte[] b, int off, int len) throws IOException {
        int total = 0;
        while (total < len) {
            int r = in.read(b, off + total, len - total);
            if (r < 0) {
                break;
            }
            total += r;
        }
        return total;
    }

    private static String printable(byte[] b, int n) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < n; i++) {
            int c = b[i] & 0xff;
            if (c >= 0x20 && c < 0x7f && c != '\\') {
                sb.append((char) c);
            } else {
                sb.append(String.format("\\x%02x", c));
            }
        }
        return sb.toString();
    }
}
