package dev.zreplj.ssh;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import org.apache.sshd.common.channel.exception.SshChannelClosedException;
import org.junit.jupiter.api.Test;

class LinkLossTest {
    private static final IOException MINAS =
            new IOException("Already closed: RemoteWindow[client](ChannelExec[id=0, recipient=0]-ClientSessionImpl"
                    + "[root@/10.77.0.1:22722])");

    private static final OutputStream BROKEN_OUT = failing(MINAS);

    /** An output whose every write fails with {@code e}, as MINA's does once the channel or session is gone. */
    private static OutputStream failing(IOException e) {
        return new OutputStream() {
            @Override
            public void write(int b) throws IOException {
                throw e;
            }

            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                throw e;
            }
        };
    }

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
        LinkLoss loss = new LinkLoss("root@box:22", () -> true, () -> "");
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

    /**
     * The box's process ended under a stream (killed, out of memory) while the session stands: the line said MINA's
     * "write(ChannelOutputStream[ChannelExec[id=0, ...]-ClientSessionImpl[...]] SSH_MSG_CHANNEL_DATA) len=1048581 -
     * channel already closed"; it now says the box ended it, with what the box's process said as it went.
     */
    @Test
    void aChannelTheBoxEndedSaysSoWithWhatTheBoxSaid() {
        SshChannelClosedException closed = new SshChannelClosedException(
                0,
                "write(ChannelOutputStream[ChannelExec[id=0, recipient=0]-ClientSessionImpl[root@/127.0.0.1:41491]]"
                        + " SSH_MSG_CHANNEL_DATA) len=1048581 - channel already closed");
        LinkLoss loss = new LinkLoss("root@box:22", () -> false, () -> " (exit 137)");
        IOException e =
                assertThrows(IOException.class, () -> loss.out(failing(closed)).write(new byte[8], 0, 8));
        assertEquals(
                "the backup box's zreplj stdinserver ended the channel (exit 137); see the box's log (its"
                        + " state_dir/log/stdinserver.log)",
                e.getMessage());
        assertSame(closed, e.getCause());
    }

    @Test
    void whileTheSessionLivesFailuresPassThroughAndDataIsUntouched() throws IOException {
        LinkLoss loss = new LinkLoss("root@box:22", () -> false, () -> "");
        assertSame(
                MINAS,
                assertThrows(IOException.class, () -> loss.out(BROKEN_OUT).write(1)));
        ByteArrayOutputStream sink = new ByteArrayOutputStream();
        loss.out(sink).write(new byte[] {1, 2, 3}, 1, 2);
        assertEquals(2, sink.size());
        assertEquals(3, loss.in(new ByteArrayInputStream(new byte[] {3})).read());
    }
}
