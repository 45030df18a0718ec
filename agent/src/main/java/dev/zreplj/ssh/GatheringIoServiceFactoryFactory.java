package dev.zreplj.ssh;

import java.net.SocketAddress;
import java.nio.channels.AsynchronousSocketChannel;
import org.apache.sshd.common.FactoryManager;
import org.apache.sshd.common.io.IoHandler;
import org.apache.sshd.common.io.IoServiceFactory;
import org.apache.sshd.common.io.nio2.Nio2Service;
import org.apache.sshd.common.io.nio2.Nio2ServiceFactory;
import org.apache.sshd.common.io.nio2.Nio2ServiceFactoryFactory;
import org.apache.sshd.common.io.nio2.Nio2Session;

/** MINA's nio2 back-end whose sessions gather their packet writes ({@link GatheringNio2Session}). */
final class GatheringIoServiceFactoryFactory extends Nio2ServiceFactoryFactory {
    @Override
    public IoServiceFactory create(FactoryManager manager) {
        return new Nio2ServiceFactory(manager, newExecutor(), newExecutor()) {
            @Override
            public Nio2Session createSession(Nio2Service service, IoHandler handler, AsynchronousSocketChannel socket,
                                             SocketAddress address) throws Throwable {
                return new GatheringNio2Session(service, getFactoryManager(), handler, socket, address);
            }
        };
    }
}
