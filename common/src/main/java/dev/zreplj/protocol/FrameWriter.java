package dev.zreplj.protocol;

import java.io.IOException;
import java.io.OutputStream;

/**
 * Writes frames to one peer, each with a single {@code write} call so that a channel never sees a
 * header split from its payload. DATA frames are built in place in a caller-owned buffer
 * ({@link #newDataBuffer()}), so the hot path copies nothing.
 */
public final class FrameWriter {
    /** Where stream bytes start in a {@link #newDataBuffer()}: the header is written in front of them. */
    public static final int DATA_OFFSET = Wire.HEADER_LENGTH;

    private final OutputStream out;
    private final int peerMaxControl;

    /** @param peerMaxControl the largest control payload the peer accepts; bigger ones fail here. */
    public FrameWriter(OutputStream out, int peerMaxControl) {
        this.out = out;
        this.peerMaxControl = peerMaxControl;
    }

    public void writeMagic() throws IOException {
        out.write(Wire.MAGIC);
    }

    /** A frame of a JSON-carrying type with {@code message} as its payload. */
    public void control(FrameType type, Record message) throws IOException {
        if (type.payload() != FrameType.Payload.JSON) {
            throw new IllegalArgumentException(type + " carries no JSON");
        }
        byte[] json = Json.encode(message);
        if (json.length > peerMaxControl) {
            throw new ProtocolException(type + " message of " + json.length + " bytes exceeds the protocol limit of "
                    + peerMaxControl + " bytes");
        }
        byte[] frame = new byte[Wire.HEADER_LENGTH + json.length];
        putHeader(frame, type, json.length);
        System.arraycopy(json, 0, frame, Wire.HEADER_LENGTH, json.length);
        out.write(frame);
    }

    /** A frame of a type without payload (BYE, LIST, END, ABORT). */
    public void empty(FrameType type) throws IOException {
        if (type.payload() != FrameType.Payload.NONE) {
            throw new IllegalArgumentException(type + " needs a payload");
        }
        byte[] frame = new byte[Wire.HEADER_LENGTH];
        putHeader(frame, type, 0);
        out.write(frame);
    }

    /** A buffer for {@link #data}: stream bytes go at {@link #DATA_OFFSET}, at most {@link Wire#MAX_DATA}. */
    public static byte[] newDataBuffer() {
        return new byte[DATA_OFFSET + Wire.MAX_DATA];
    }

    /** Sends {@code buffer[DATA_OFFSET, DATA_OFFSET + length)} as one DATA frame. */
    public void data(byte[] buffer, int length) throws IOException {
        raw(FrameType.DATA, buffer, length);
    }

    /** Sends {@code buffer[DATA_OFFSET, DATA_OFFSET + length)}, one zstd frame, as one ZDATA frame. */
    public void zdata(byte[] buffer, int length) throws IOException {
        raw(FrameType.ZDATA, buffer, length);
    }

    private void raw(FrameType type, byte[] buffer, int length) throws IOException {
        if (length < 0 || length > Wire.MAX_DATA || buffer.length < DATA_OFFSET + length) {
            throw new IllegalArgumentException(type + " length " + length + " outside 0.." + Wire.MAX_DATA);
        }
        putHeader(buffer, type, length);
        out.write(buffer, 0, DATA_OFFSET + length);
    }

    public void flush() throws IOException {
        out.flush();
    }

    private static void putHeader(byte[] b, FrameType type, int length) {
        b[0] = (byte) type.code();
        b[1] = (byte) (length >>> 24);
        b[2] = (byte) (length >>> 16);
        b[3] = (byte) (length >>> 8);
        b[4] = (byte) length;
    }
}
