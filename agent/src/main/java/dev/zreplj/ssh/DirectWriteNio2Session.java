package dev.zreplj.ssh;

import java.io.IOException;
import java.io.WriteAbortedException;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.AsynchronousSocketChannel;
import java.nio.channels.ClosedChannelException;
import java.util.concurrent.Executor;
import org.apache.sshd.common.PropertyResolver;
import org.apache.sshd.common.future.CloseFuture;
import org.apache.sshd.common.future.DefaultCloseFuture;
import org.apache.sshd.common.io.IoHandler;
import org.apache.sshd.common.io.IoWriteFuture;
import org.apache.sshd.common.io.nio2.Nio2DefaultIoWriteFuture;
import org.apache.sshd.common.io.nio2.Nio2Service;
import org.apache.sshd.common.io.nio2.Nio2Session;
import org.apache.sshd.common.util.buffer.Buffer;
import org.apache.sshd.core.CoreModuleProperties;

/**
 * MINA's nio2 session with its packet writes done by {@link DirectWriter}; reading is MINA's own.
 * MINA's own write queue stays empty, so its graceful close and output shutdown are run only once the
 * queued writes are done.
 */
final class DirectWriteNio2Session extends Nio2Session {
    private final DirectWriter writer;

    DirectWriteNio2Session(
            Nio2Service service,
            PropertyResolver properties,
            IoHandler handler,
            AsynchronousSocketChannel socket,
            SocketAddress acceptanceAddress,
            Executor waiter)
            throws IOException {
        super(service, properties, handler, socket, acceptanceAddress);
        writer = new DirectWriter(
                socket::write,
                waiter,
                CoreModuleProperties.NIO2_MIN_WRITE_TIMEOUT.getRequired(properties),
                this::exceptionCaught);
    }

    @Override
    public IoWriteFuture writeBuffer(Buffer buffer) throws IOException {
        if (isClosing()) {
            Nio2DefaultIoWriteFuture refused = new Nio2DefaultIoWriteFuture(getRemoteAddress(), null, null);
            ClosedChannelException closed = new ClosedChannelException();
            refused.setException(closed);
            exceptionCaught(closed);
            return refused;
        }
        return writer.write(ByteBuffer.wrap(buffer.array(), buffer.rpos(), buffer.available()));
    }

    @Override
    protected CloseFuture doCloseGracefully() {
        DefaultCloseFuture closed = new DefaultCloseFuture(toString(), null);
        writer.whenIdle(() -> super.doCloseGracefully().addListener(f -> closed.setClosed()));
        return closed;
    }

    @Override
    protected void doCloseImmediately() {
        writer.abort(new WriteAbortedException("Write request aborted due to immediate session close", null));
        super.doCloseImmediately();
    }

    @Override
    public void shutdownOutputStream() {
        writer.whenIdle(() -> {
            try {
                super.shutdownOutputStream();
            } catch (IOException e) {
                exceptionCaught(e);
            }
        });
    }
}
