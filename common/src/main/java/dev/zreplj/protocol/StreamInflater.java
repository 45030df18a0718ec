package dev.zreplj.protocol;

import com.github.luben.zstd.Zstd;
import com.github.luben.zstd.ZstdDecompressCtx;
import com.github.luben.zstd.ZstdException;

/**
 * The box's side of ZDATA: each payload must be one zstd frame that states its size, at most
 * {@link Wire#MAX_DATA}; it is decompressed into one reused buffer of that size, so a hostile frame
 * can neither make the box allocate more nor expand beyond it. Not thread-safe: one per stream pump.
 */
public final class StreamInflater implements AutoCloseable {
    private final ZstdDecompressCtx ctx = new ZstdDecompressCtx();
    private final byte[] out = new byte[Wire.MAX_DATA];

    /** Decompresses {@code payload[0, length)} into {@link #buffer()}; returns how many bytes it holds. */
    /**
     * Empty when zstd's native library loads here, else why not. zstd-jni unpacks it into java.io.tmpdir,
     * which a hardened box may mount noexec: such a box must not offer ZDATA and then fail every receive.
     */
    public static java.util.Optional<String> unavailable() {
        try {
            com.github.luben.zstd.util.Native.load();
            return java.util.Optional.empty();
        } catch (LinkageError | RuntimeException e) {
            // zstd-jni's message is several lines (each place it tried); the warning is one.
            return java.util.Optional.of(String.valueOf(e.getMessage()).replace('\n', ' '));
        }
    }

    public int inflate(byte[] payload, int length) throws ProtocolException {
        long size = Zstd.getFrameContentSize(payload, 0, length);
        if (size < 0 || size > Wire.MAX_DATA) {
            throw new ProtocolException("the client sent a ZDATA frame that "
                    + (size < 0
                            ? "is no zstd frame stating its size"
                            : "expands to " + size + " bytes; the limit is " + Wire.MAX_DATA));
        }
        int n;
        try {
            n = ctx.decompressByteArray(out, 0, (int) size, payload, 0, length);
        } catch (ZstdException e) {
            throw new ProtocolException("the client sent a ZDATA frame that does not decompress: " + e.getMessage());
        }
        if (n != size) {
            throw new ProtocolException("the client sent a ZDATA frame of " + n + " bytes that claims " + size);
        }
        return n;
    }

    /** The bytes of the last {@link #inflate}. */
    public byte[] buffer() {
        return out;
    }

    @Override
    public void close() {
        ctx.close();
    }
}
