package dev.zreplj.protocol;

import com.github.luben.zstd.Zstd;
import com.github.luben.zstd.ZstdCompressCtx;
import org.jspecify.annotations.Nullable;

/**
 * Turns a DATA payload into a ZDATA payload when that pays: zstd level 1, one zstd frame per DATA frame
 * (the box can then bound each frame's output before decompressing it). A chunk that does not shrink by
 * at least an eighth goes as plain DATA, and the next {@link #SKIP_AFTER_MISS} chunks are not even tried,
 * so an incompressible stream (random data, zfs send -c, raw encrypted sends) costs about one trial in
 * that many. With {@link StreamCompression#AUTO} a {@link CompressionChooser} also measures whether
 * compressing makes the stream faster and offers chunks to zstd only while it does. Not thread-safe:
 * one per channel.
 */
public final class StreamCompressor implements AutoCloseable {
    /** Level 1: about 300 MB/s on one core here at ratio 3.9 on text; higher levels cost more than they save. */
    static final int LEVEL = 1;

    static final int SKIP_AFTER_MISS = 32;

    private final ZstdCompressCtx ctx =
            new ZstdCompressCtx().setLevel(LEVEL).setContentSize(true).setChecksum(false);
    private final byte[] out = new byte[FrameWriter.DATA_OFFSET + (int) Zstd.compressBound(Wire.MAX_DATA)];
    private final @Nullable CompressionChooser chooser;
    private int skip;
    private long rawBytes;
    private long wireBytes;

    /** @param mode {@link StreamCompression#AUTO} or {@link StreamCompression#ON} */
    public StreamCompressor(StreamCompression mode) {
        if (mode == StreamCompression.OFF) {
            throw new IllegalArgumentException("a compressor for stream compression off");
        }
        this.chooser = mode == StreamCompression.AUTO ? new CompressionChooser() : null;
    }

    /**
     * Compresses {@code data[DATA_OFFSET, DATA_OFFSET + length)} into {@link #buffer()} at DATA_OFFSET and
     * returns its length, or -1 when the chunk should go uncompressed.
     */
    public int compress(byte[] data, int length) {
        rawBytes += length;
        if (chooser != null && !chooser.zstd()) {
            wireBytes += length;
            return -1;
        }
        if (skip > 0 || length == 0) {
            skip = Math.max(skip - 1, 0);
            wireBytes += length;
            return -1;
        }
        int n = ctx.compressByteArray(
                out,
                FrameWriter.DATA_OFFSET,
                out.length - FrameWriter.DATA_OFFSET,
                data,
                FrameWriter.DATA_OFFSET,
                length);
        if (n > length - length / 8) {
            skip = SKIP_AFTER_MISS;
            wireBytes += length;
            return -1;
        }
        wireBytes += n;
        return n;
    }

    /**
     * Tells the chooser (AUTO) that a chunk of {@code bytes} took {@code nanos} to read, {@link #compress}
     * and write: its measure of which way is faster.
     */
    public void sent(long bytes, long nanos) {
        if (chooser != null) {
            chooser.chunk(bytes, nanos);
        }
    }

    /** Where {@link #compress} left the compressed chunk, in {@link FrameWriter#zdata} layout. */
    public byte[] buffer() {
        return out;
    }

    /** Stream bytes given to {@link #compress} so far. */
    public long rawBytes() {
        return rawBytes;
    }

    /** Payload bytes they became on the wire, DATA and ZDATA together. */
    public long wireBytes() {
        return wireBytes;
    }

    @Override
    public void close() {
        ctx.close();
    }
}
