package dev.zreplj.replication;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.Random;
import org.junit.jupiter.api.Test;

class CountingInputStreamTest {
    @Test
    void countsEveryByteReadThroughEachReadMethodAndNothingAtEof() throws IOException {
        byte[] data = new byte[3 * 1024 * 1024 + 17];
        new Random(1).nextBytes(data);
        CountingInputStream in = new CountingInputStream(new ByteArrayInputStream(data));
        ByteArrayOutputStream copy = new ByteArrayOutputStream();

        copy.write(in.read());
        assertEquals(1, in.count());
        byte[] buf = new byte[1 << 20];
        int n = in.read(buf, 5, 1000);
        copy.write(buf, 5, n);
        assertEquals(1001, in.count());
        while ((n = in.read(buf)) > 0) {
            copy.write(buf, 0, n);
        }
        assertEquals(data.length, in.count());
        assertArrayEquals(data, copy.toByteArray());

        assertEquals(-1, in.read());
        assertEquals(-1, in.read(buf, 0, buf.length));
        assertEquals(data.length, in.count());
    }

    @Test
    void runsTheEndActionOnceAtTheFirstEndOfStream() throws IOException {
        int[] ends = {0};
        CountingInputStream in = new CountingInputStream(new ByteArrayInputStream(new byte[10]), () -> ends[0]++);
        assertEquals(10, in.read(new byte[10]));
        assertEquals(0, ends[0]);
        assertEquals(-1, in.read(new byte[10]));
        assertEquals(-1, in.read());
        assertEquals(1, ends[0]);
    }

    @Test
    void countsSkippedBytesAndNotEmptyReads() throws IOException {
        CountingInputStream in = new CountingInputStream(new ByteArrayInputStream(new byte[100]));
        assertEquals(40, in.skip(40));
        assertEquals(0, in.read(new byte[10], 0, 0));
        assertEquals(40, in.count());
        assertEquals(60, in.transferTo(new ByteArrayOutputStream()));
        assertEquals(100, in.count());
    }
}
