package dev.zreplj.ssh;

import java.io.IOException;
import java.net.SocketAddress;
import java.nio.channels.AsynchronousSocketChannel;
import org.apache.sshd.common.PropertyResolver;
import org.apache.sshd.common.future.CloseFuture;
import org.apache.sshd.common.future.DefaultCloseFuture;
import org.apache.sshd.common.io.IoHandler;
import org.apache.sshd.common.io.IoWriteFuture;
import org.apache.sshd.common.io.nio2.Nio2Service;
import org.apache.sshd.common.io.nio2.Nio2Session;
import org.apache.sshd.common.util.buffer.Buffer;

/** MINA's nio2 session with its packet writes coalesced ({@link WriteCoalescer}); reading is MINA's own. */
final class CoalescingNio2Session extends Nio2Session {
    private final WriteCoalescer coalescer;

    CoalescingNio2Session(Nio2Service service, PropertyResolver propertyResolver, IoHandler handler,
                          AsynchronousSocketChannel socket, SocketAddress acceptanceAddress) throws IOException {
        super(service, propertyResolver, handler, socket, acceptanceAddress);
        coalescer = new WriteCoalescer(super::writeBuffer);
    }

    @Override
    public IoWriteFuture writeBuffer(Buffer buffer) throws IOException {
        return coalescer.write(buffer);
    }

    /** A graceful close shuts the socket's output only after the batched packets went out. */
    @Override
    protected CloseFuture doCloseGracefully() {
        DefaultCloseFuture closed = new DefaultCloseFuture(toString(), null);
        coalescer.whenIdle(() -> super.doCloseGracefully().addListener(f -> closed.setClosed()));
        return closed;
    }

    @Override
    public void shutdownOutputStream() {
        coalescer.whenIdle(() -> {
            try {
                super.shutdownOutputStream();
            } catch (IOException e) {
                exceptionCaught(e);
            }
        });
    }
}
