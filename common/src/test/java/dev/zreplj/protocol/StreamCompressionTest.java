package dev.zreplj.protocol;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.github.luben.zstd.Zstd;
import com.github.luben.zstd.ZstdCompressCtx;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** StreamCompressor (agent) and StreamInflater (box) without any transport. */
class StreamCompressionTest {
    static byte[] text(int size, long seed) {
        String[] words = {
            "zfs",
            "send",
            "receive",
            "snapshot",
            "the",
            "backup",
            "box",
            "agent",
            "stream",
            "of",
            "filesystem",
            "guid",
            "hold",
            "bookmark",
            "pool",
            "and",
            "with",
            "for",
            "replication",
            "cursor"
        };
        Random random = new Random(seed);
        StringBuilder sb = new StringBuilder(size + 16);
        while (sb.length() < size) {
            sb.append(words[random.nextInt(words.length)]).append(random.nextInt(8) == 0 ? ".\n" : " ");
        }
        return Arrays.copyOf(sb.toString().getBytes(StandardCharsets.US_ASCII), size);
    }

    /** {@code data} placed where FrameWriter expects it. */
    static byte[] chunk(byte[] data) {
        byte[] b = FrameWriter.newDataBuffer();
        System.arraycopy(data, 0, b, FrameWriter.DATA_OFFSET, data.length);
        return b;
    }

    @Test
    void textRoundTripsThroughOneZdataFrameAndShrinks() throws Exception {
        byte[] data = text(Wire.MAX_DATA, 1);
        try (StreamCompressor c = new StreamCompressor(StreamCompression.ON);
                StreamInflater in = new StreamInflater()) {
            int z = c.compress(chunk(data), data.length);
            assertTrue(z > 0 && z < data.length / 3, "compressed to " + z);
            byte[] payload = Arrays.copyOfRange(c.buffer(), FrameWriter.DATA_OFFSET, FrameWriter.DATA_OFFSET + z);
            int n = in.inflate(payload, z);
            assertEquals(data.length, n);
            assertArrayEquals(data, Arrays.copyOf(in.buffer(), n));
            assertEquals(data.length, c.rawBytes());
            assertEquals(z, c.wireBytes());
        }
    }

    @Test
    void incompressibleChunksGoPlainAndAreNotTriedForAWhile() {
        byte[] random = new byte[Wire.MAX_DATA];
        new Random(2).nextBytes(random);
        byte[] text = text(Wire.MAX_DATA, 3);
        try (StreamCompressor c = new StreamCompressor(StreamCompression.ON)) {
            assertEquals(-1, c.compress(chunk(random), random.length));
            // Text right after a miss is not tried: the compressor skips a run of chunks...
            for (int i = 0; i < StreamCompressor.SKIP_AFTER_MISS; i++) {
                assertEquals(-1, c.compress(chunk(text), text.length), "chunk " + i + " after the miss");
            }
            // ...then tries again.
            assertTrue(c.compress(chunk(text), text.length) > 0);
            assertEquals((StreamCompressor.SKIP_AFTER_MISS + 2L) * Wire.MAX_DATA, c.rawBytes());
        }
    }

    @Test
    void autoStopsCompressingTextWhenThePlainWayMeasuresFaster() {
        byte[] text = text(Wire.MAX_DATA, 4);
        byte[] b = chunk(text);
        try (StreamCompressor c = new StreamCompressor(StreamCompression.AUTO)) {
            // Compressed chunks take 10 ms each, plain ones 5 ms: a CPU-bound sender.
            int zstd = 0;
            int chunks = 0;
            while (chunks < 1000) {
                int z = c.compress(b, text.length);
                c.sent(text.length, z >= 0 ? 10_000_000L : 5_000_000L);
                chunks++;
                if (z >= 0) {
                    zstd++;
                } else if (zstd > 0) {
                    break;
                }
            }
            // Warm-up and the measured zstd window, 50 chunks (0.5 s) each, went compressed; then plain.
            assertEquals(100, zstd);
            assertEquals(101, chunks);
            assertEquals(-1, c.compress(b, text.length));
        }
        try (StreamCompressor on = new StreamCompressor(StreamCompression.ON)) {
            for (int i = 0; i < 200; i++) {
                assertTrue(on.compress(b, text.length) > 0, "chunk " + i);
                on.sent(text.length, 10_000_000L);
            }
        }
        assertThrows(IllegalArgumentException.class, () -> new StreamCompressor(StreamCompression.OFF));
    }

    @Test
    void inflaterRefusesWhatIsNoSizedZstdFrame() {
        try (StreamInflater in = new StreamInflater()) {
            byte[] garbage = "this is no zstd frame".getBytes(StandardCharsets.US_ASCII);
            ProtocolException e = assertThrows(ProtocolException.class, () -> in.inflate(garbage, garbage.length));
            assertTrue(e.getMessage().contains("no zstd frame stating its size"), e.getMessage());

            byte[] unsized;
            try (ZstdCompressCtx ctx = new ZstdCompressCtx().setContentSize(false)) {
                unsized = ctx.compress(text(1000, 4));
            }
            e = assertThrows(ProtocolException.class, () -> in.inflate(unsized, unsized.length));
            assertTrue(e.getMessage().contains("no zstd frame stating its size"), e.getMessage());
        }
    }

    @Test
    void inflaterRefusesABombBeforeDecompressing() {
        byte[] bomb = Zstd.compress(new byte[Wire.MAX_DATA + 1]);
        try (StreamInflater in = new StreamInflater()) {
            ProtocolException e = assertThrows(ProtocolException.class, () -> in.inflate(bomb, bomb.length));
            assertEquals(
                    "the client sent a ZDATA frame that expands to " + (Wire.MAX_DATA + 1) + " bytes; the limit is "
                            + Wire.MAX_DATA,
                    e.getMessage());
        }
    }

    @Test
    void inflaterRefusesFramesThatHideMoreThanTheFirstOneStates() {
        // Two frames back to back: the first states 1000 bytes, together they are far more.
        byte[] a = Zstd.compress(new byte[1000]);
        byte[] b = Zstd.compress(new byte[Wire.MAX_DATA]);
        byte[] both = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, both, a.length, b.length);
        try (StreamInflater in = new StreamInflater()) {
            ProtocolException e = assertThrows(ProtocolException.class, () -> in.inflate(both, both.length));
            assertTrue(
                    e.getMessage().startsWith("the client sent a ZDATA frame that does not decompress"),
                    e.getMessage());
        }
    }

    @Test
    void inflaterRefusesATruncatedFrame() {
        byte[] whole = Zstd.compress(text(100_000, 5));
        try (StreamInflater in = new StreamInflater()) {
            ProtocolException e = assertThrows(ProtocolException.class, () -> in.inflate(whole, whole.length - 10));
            assertTrue(e.getMessage().startsWith("the client sent a ZDATA frame"), e.getMessage());
        }
    }

    @Test
    void zstdsNativeLibraryLoadsHereSoTheBoxOffersZdata() {
        assertEquals(java.util.Optional.empty(), StreamInflater.unavailable());
    }
}
