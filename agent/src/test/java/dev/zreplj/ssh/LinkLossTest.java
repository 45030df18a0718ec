package dev.zreplj.ssh;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import org.junit.jupiter.api.Test;

class LinkLossTest {
    private static final IOException MINAS =
            new IOException("Already closed: RemoteWindow[client](ChannelExec[id=0, recipient=0]-ClientSessionImpl"
                    + "[root@/10.77.0.1:22722])");

    private static final OutputStream BROKEN_OUT = new OutputStream() {
        @Override
        public void write(int b) throws IOException {
            throw MINAS;
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            throw MINAS;
        }
    };

    private static final InputStream BROKEN_IN = new InputStream() {
        @Override
        public int read() throws IOException {
            throw MINAS;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            throw MINAS;
        }
    };

    @Test
    void aWriteOrReadOnADeadSessionSaysTheLinkWentAwayWithoutMinasObjects() {
        LinkLoss loss = new LinkLoss("root@box:22", () -> true);
        String expected = "the SSH connection to root@box:22 closed (the link or the backup box went away)";
        IOException written =
                assertThrows(IOException.class, () -> loss.out(BROKEN_OUT).write(new byte[8], 0, 8));
        assertEquals(expected, written.getMessage());
        assertSame(MINAS, written.getCause(), "-v still shows MINA's words");
        assertEquals(
                expected,
                assertThrows(IOException.class, () -> loss.in(BROKEN_IN).read(new byte[8]))
                        .getMessage());
    }

    @Test
    void whileTheSessionLivesFailuresPassThroughAndDataIsUntouched() throws IOException {
        LinkLoss loss = new LinkLoss("root@box:22", () -> false);
        assertSame(
                MINAS,
                assertThrows(IOException.class, () -> loss.out(BROKEN_OUT).write(1)));
        ByteArrayOutputStream sink = new ByteArrayOutputStream();
        loss.out(sink).write(new byte[] {1, 2, 3}, 1, 2);
        assertEquals(2, sink.size());
        assertEquals(3, loss.in(new ByteArrayInputStream(new byte[] {3})).read());
    }
}
