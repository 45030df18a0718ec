package dev.zreplj.stdinserver;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.zreplj.protocol.ReceiveSeries.Snapshot;
import dev.zreplj.protocol.StreamHeader;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * An unframed stream read as the box reads a RECV_RAW's ({@link RawStream} led by a {@link CompoundTail}): real
 * and synthetic streams with the next frame's bytes behind them, which must still be unread when the stream
 * has ended, however the input hands the bytes over.
 */
@SuppressWarnings(
        "ByteBufferBackingArray") // the tests' buffers come from ByteBuffer.allocate(): the array is the buffer
class RawStreamTest {
    /** What follows the stream on the conversation's input: the next request's frame. */
    private static final byte[] NEXT = "\u0010\u0000\u0000\u0000\u0000 next frame".getBytes(StandardCharsets.UTF_8);

    private static final int[] READS = {1, 7, 312, 4096, Integer.MAX_VALUE};

    /** The client's input, handing over at most {@code most} bytes a read, as a pipe does. */
    private static final class Input extends InputStream {
        private final ByteArrayInputStream in;
        private final int most;

        /** The stream, then the next frame. */
        Input(byte[] stream, int most) {
            this(stream, stream.length, NEXT, most);
        }

        private Input(byte[] stream, int length, byte[] next, int most) {
            byte[] all = Arrays.copyOf(stream, length + next.length);
            System.arraycopy(next, 0, all, length, next.length);
            this.in = new ByteArrayInputStream(all);
            this.most = most;
        }

        /** The stream's first {@code length} bytes, and the input ends. */
        static Input cut(byte[] stream, int length, int most) {
            return new Input(stream, length, new byte[0], most);
        }

        @Override
        public int read() {
            return in.read();
        }

        @Override
        public int read(byte[] b, int off, int len) {
            return in.read(b, off, Math.min(len, most));
        }

        byte[] unread() {
            return in.readAllBytes();
        }
    }

    /** The rest of the stream after its checked beginning {@code first}, as the pump reads it; all of it. */
    private static byte[] rest(RawStream raw, CompoundTail tail, byte[] first) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(first);
        byte[] buffer = new byte[1 << 20];
        while (!tail.complete()) {
            int n = raw.fill(tail, buffer);
            assertTrue(n > 0, "a fill short of the stream's end reads something");
            out.write(buffer, 0, n);
        }
        assertEquals(out.size(), raw.read());
        return out.toByteArray();
    }

    /** A plain stream: its BEGIN, then a plain tail from it. */
    private static byte[] plain(InputStream in, CompoundTail.Layout layout) throws Exception {
        RawStream raw = new RawStream(in);
        byte[] first = new byte[StreamHeader.LENGTH];
        raw.readFully(first, 0, first.length);
        StreamHeader header = StreamHeader.parse(first, first.length);
        CompoundTail tail = CompoundTail.plain(header.order(), layout);
        tail.accept(first, 0, first.length);
        return rest(raw, tail, first);
    }

    /** A -p/-b stream: its prefix up to the substream's BEGIN, checked, then its tail. */
    private static byte[] compound(InputStream in, String snapshot, long guid, CompoundTail.Layout layout)
            throws Exception {
        RawStream raw = new RawStream(in);
        byte[] first = new byte[StreamHeader.LENGTH];
        raw.readFully(first, 0, first.length);
        StreamHeader header = StreamHeader.parse(first, first.length);
        int prefix = CompoundStream.prefixLength(header);
        byte[] bytes = Arrays.copyOf(first, prefix);
        raw.readFully(bytes, first.length, prefix - first.length);
        CompoundStream c = CompoundStream.check(header, bytes, prefix, snapshot, guid, layout);
        return rest(raw, c.tail(), bytes);
    }

    /** A -I stream: compound header, END and the first BEGIN, which the tail gets first. */
    private static byte[] series(InputStream in, CompoundTail tail) throws Exception {
        RawStream raw = new RawStream(in);
        byte[] first = new byte[SeriesStream.PREFIX];
        raw.readFully(first, 0, first.length);
        tail.accept(first, 2 * StreamHeader.LENGTH, StreamHeader.LENGTH);
        return rest(raw, tail, first);
    }

    private static byte[] plainStream() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        SeriesTailTest.substream(out, SeriesTailTest.begin(1, 0, 101, 0, "tank/home@s1", 0));
        return out.toByteArray();
    }

    private static CompoundTail seriesTail(CompoundTail.Layout layout) {
        return new CompoundTail(
                ByteOrder.LITTLE_ENDIAN,
                layout,
                new CompoundTail.Series(SeriesTailTest.FS, SeriesTailTest.BASE, SeriesTailTest.SNAPS, false));
    }

    @Test
    void aPlainStreamIsReadToItsEndAndNotAByteFurther() throws Exception {
        byte[] s = plainStream();
        for (int most : READS) {
            Input in = new Input(s, most);
            assertArrayEquals(s, plain(in, CompoundTail.Layout.OPENZFS), "reads of " + most);
            assertArrayEquals(NEXT, in.unread(), "reads of " + most);
        }
    }

    @Test
    void aPlainStreamsBeginPayloadAndLargeWritesAreReadWhole() throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(SeriesTailTest.begin(1, 0, 101, 0, "tank/home@s1", 20).array());
        out.writeBytes(new byte[20]); // a resume token's or raw send's nvlist
        ByteBuffer write = SeriesTailTest.record(3);
        write.putLong(8 + 24, 3L << 20); // larger than one read: in pieces
        out.writeBytes(write.array());
        byte[] data = new byte[3 << 20];
        Arrays.fill(data, (byte) 5); // END's type in every byte: the walk must not look into a payload
        out.writeBytes(data);
        out.writeBytes(SeriesTailTest.record(5).array());
        byte[] s = out.toByteArray();
        for (int most : READS) {
            Input in = new Input(s, most);
            assertArrayEquals(s, plain(in, CompoundTail.Layout.OPENZFS), "reads of " + most);
            assertArrayEquals(NEXT, in.unread());
        }
    }

    @Test
    void propertyStreamsOfBothZfsAreReadToTheirFinalEnd() throws Exception {
        byte[] openZfs = CompoundStreamTest.stream("openzfs-full-p");
        byte[] zfsFuse = CompoundStreamTest.stream("zfs-fuse-full-p");
        for (int most : READS) {
            Input in = new Input(openZfs, most);
            assertArrayEquals(
                    openZfs, compound(in, "a", 0xfeae86e4e6e19b7aL, CompoundTail.Layout.OPENZFS), "reads of " + most);
            assertArrayEquals(NEXT, in.unread());
            in = new Input(zfsFuse, most);
            assertArrayEquals(
                    zfsFuse,
                    compound(in, "a", 0xd476eee579bc85d2L, new CompoundTail.Layout(false, false)),
                    "reads of " + most);
            assertArrayEquals(NEXT, in.unread());
        }
    }

    @Test
    void seriesAreReadToTheirFinalEnd() throws Exception {
        byte[] synthetic = SeriesTailTest.series(SeriesTailTest.honestBegins());
        byte[] zfsFuse = CompoundStreamTest.stream("zfs-fuse-I-3");
        List<Snapshot> snaps =
                List.of(new Snapshot("s2", 0xe8b3014e68155f9bL), new Snapshot("s3", 0xb60831b9a83c16b3L));
        for (int most : READS) {
            Input in = new Input(synthetic, most);
            assertArrayEquals(synthetic, series(in, seriesTail(CompoundTail.Layout.OPENZFS)), "reads of " + most);
            assertArrayEquals(NEXT, in.unread());
            in = new Input(zfsFuse, most);
            CompoundTail tail = new CompoundTail(
                    ByteOrder.LITTLE_ENDIAN,
                    new CompoundTail.Layout(false, false),
                    new CompoundTail.Series("sendiexp/a", 0x1897d425a560ad2dL, snaps, false));
            assertArrayEquals(zfsFuse, series(in, tail), "reads of " + most);
            assertArrayEquals(NEXT, in.unread());
        }
    }

    @Test
    void aTruncatedStreamFails() throws Exception {
        byte[] s = plainStream();
        int beginAndObject = 2 * StreamHeader.LENGTH + 16;
        for (int length : new int[] {beginAndObject + 100, beginAndObject, s.length - StreamHeader.LENGTH}) {
            for (int most : READS) {
                Input in = Input.cut(s, length, most);
                assertThrows(
                        EOFException.class,
                        () -> plain(in, CompoundTail.Layout.OPENZFS),
                        "cut at " + length + ", reads of " + most);
            }
        }
        byte[] p = CompoundStreamTest.stream("openzfs-full-p");
        Input in = Input.cut(p, p.length - 1, 4096);
        assertThrows(EOFException.class, () -> compound(in, "a", 0xfeae86e4e6e19b7aL, CompoundTail.Layout.OPENZFS));
    }

    /** An unknown record is refused as soon as its header is read: nothing after it is read, nor passed on. */
    @Test
    void anUnknownRecordIsRefusedAndNothingAfterItRead() throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(SeriesTailTest.begin(1, 0, 101, 0, "tank/home@s1", 0).array());
        out.writeBytes(SeriesTailTest.record(42).array());
        byte[] after = new byte[1000];
        out.writeBytes(after);
        out.writeBytes(SeriesTailTest.record(5).array());
        byte[] s = out.toByteArray();
        for (int most : READS) {
            Input in = new Input(s, most);
            RawStream.Refused r =
                    assertThrows(RawStream.Refused.class, () -> plain(in, CompoundTail.Layout.OPENZFS), "" + most);
            assertEquals("stream", r.reason().code());
            assertEquals(
                    "the stream is refused: it holds a record of unknown type 42; zfs recv was stopped",
                    r.reason().getMessage());
            assertEquals(-1, r.passable(), "a plain stream's zfs recv is stopped");
            assertEquals(after.length + StreamHeader.LENGTH + NEXT.length, in.unread().length);
        }
    }

    @Test
    void aPayloadOverTheCapIsRefused() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(SeriesTailTest.begin(1, 0, 101, 0, "tank/home@s1", 0).array());
        ByteBuffer write = SeriesTailTest.record(3);
        write.putLong(8 + 24, 65L << 20);
        out.writeBytes(write.array());
        out.writeBytes(new byte[4096]);
        byte[] s = out.toByteArray();
        RawStream.Refused r =
                assertThrows(RawStream.Refused.class, () -> plain(new Input(s, 4096), CompoundTail.Layout.OPENZFS));
        assertEquals(
                "the stream is refused: a record claims a payload of 68157440 bytes; zfs recv was stopped",
                r.reason().getMessage());
        // A BEGIN's own payload too: a plain stream's first record.
        byte[] begin = SeriesTailTest.begin(1, 0, 101, 0, "tank/home@s1", -1).array();
        r = assertThrows(RawStream.Refused.class, () -> {
            RawStream raw = new RawStream(new Input(begin, 4096));
            byte[] first = new byte[StreamHeader.LENGTH];
            raw.readFully(first, 0, first.length);
            try {
                CompoundTail.plain(ByteOrder.LITTLE_ENDIAN, CompoundTail.Layout.OPENZFS)
                        .accept(first, 0, first.length);
            } catch (dev.zreplj.protocol.RemoteException e) {
                throw new RawStream.Refused(e, -1);
            }
        });
        assertTrue(r.reason().getMessage().contains("claims a payload of 4294967295 bytes"), r.getMessage());
    }

    /**
     * zfs-fuse has padding where OpenZFS has drr_compressiontype, drr_compressed_size and drr_raw_bonuslen, and
     * reads a WRITE's length from drr_length and an OBJECT's from drr_bonuslen whatever that padding holds: the
     * walk must read each layout's lengths as that zfs does, or it ends elsewhere than the stream.
     */
    @Test
    void eachLayoutsRecordLengthsAreItsOwn() throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(SeriesTailTest.begin(1, 0, 101, 0, "tank/home@s1", 0).array());
        ByteBuffer object = SeriesTailTest.record(1);
        object.putInt(8 + 20, 13); // drr_bonuslen: 16 bytes
        object.putInt(8 + 28, 4000); // zfs-fuse's padding, OpenZFS's drr_raw_bonuslen
        out.writeBytes(object.array());
        out.writeBytes(new byte[16]);
        ByteBuffer write = SeriesTailTest.record(3);
        write.putLong(8 + 24, 8); // drr_length
        write.put(8 + 42, (byte) 1); // zfs-fuse's padding, OpenZFS's drr_compressiontype
        write.putLong(8 + 88, 100_000); // zfs-fuse's padding, OpenZFS's drr_compressed_size
        out.writeBytes(write.array());
        out.writeBytes(new byte[8]);
        out.writeBytes(SeriesTailTest.record(5).array());
        byte[] zfsFuse = out.toByteArray();
        readsExactly(zfsFuse, new CompoundTail.Layout(false, false), CompoundTail.Layout.OPENZFS);

        // OpenZFS's compressed WRITE (1000 bytes for 128 KiB) and embedded, spill and OBJECT_RANGE records.
        byte[] openZfs = plainStream();
        readsExactly(openZfs, CompoundTail.Layout.OPENZFS, new CompoundTail.Layout(false, false));
    }

    /**
     * Under {@code layout} the walk reads {@code stream} exactly to its end at every read size, leaving the next
     * frame's bytes unread; under {@code wrong} it reads records' lengths where there are none and runs past the end.
     */
    private static void readsExactly(byte[] stream, CompoundTail.Layout layout, CompoundTail.Layout wrong)
            throws Exception {
        for (int most : READS) {
            Input in = new Input(stream, most);
            assertArrayEquals(stream, plain(in, layout), "reads of " + most);
            assertArrayEquals(NEXT, in.unread());
        }
        assertThrows(EOFException.class, () -> plain(new Input(stream, 4096), wrong));
    }

    /**
     * OpenZFS 0.7 (send -c, no raw sends) has drr_pad where 0.8 put a spill record's drr_compressed_size, and reads
     * drr_length: a client's large value there must not make the box wave the next records through as payload,
     * which zfs would read as the substream's END and a second, unchecked BEGIN.
     */
    @Test
    void aSpillRecordsPaddingIsNoLengthOnAZfsWithoutRawSends() throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(SeriesTailTest.begin(1, 0, 101, 0, "tank/home@s1", 0).array());
        ByteBuffer spill = SeriesTailTest.record(7);
        spill.putLong(8 + 8, 16); // drr_length
        spill.putLong(8 + 32, 100_000); // 0.7's drr_pad[1], 0.8's drr_compressed_size
        out.writeBytes(spill.array());
        out.writeBytes(new byte[16]);
        out.writeBytes(SeriesTailTest.record(5).array());
        byte[] stream = out.toByteArray();
        readsExactly(stream, new CompoundTail.Layout(true, false), CompoundTail.Layout.OPENZFS);
    }

    /**
     * A series refused at a substream's BEGIN: zfs recv may have exactly the whole substreams before it, counted
     * from the start of the buffer the refused piece was read into.
     */
    @Test
    void aSeriesRefusedBetweenSubstreamsPassesExactlyTheWholeOnes() throws Exception {
        List<ByteBuffer> begins = SeriesTailTest.honestBegins();
        begins.set(2, SeriesTailTest.begin(1, 0, 103, 102, "tank/other@s3", 0));
        byte[] s = SeriesTailTest.series(begins);
        int substream = (s.length - 3 * StreamHeader.LENGTH) / 3;
        int refusedAt = 2 * StreamHeader.LENGTH + 2 * substream;
        for (int most : READS) {
            RawStream raw = new RawStream(new Input(s, most));
            byte[] first = new byte[SeriesStream.PREFIX];
            raw.readFully(first, 0, first.length);
            CompoundTail tail = seriesTail(CompoundTail.Layout.OPENZFS);
            tail.accept(first, 2 * StreamHeader.LENGTH, StreamHeader.LENGTH);
            byte[] buffer = new byte[1 << 20];
            long passed = first.length;
            RawStream.Refused r = null;
            while (r == null) {
                try {
                    passed += raw.fill(tail, buffer);
                } catch (RawStream.Refused e) {
                    r = e;
                }
            }
            assertTrue(r.reason().getMessage().contains("substream 3 names 'tank/other@s3'"), r.getMessage());
            assertEquals(refusedAt, passed + r.passable(), "reads of " + most);
        }
    }
}
