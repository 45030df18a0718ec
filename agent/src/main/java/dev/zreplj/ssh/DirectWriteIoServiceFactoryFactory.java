package dev.zreplj.ssh;

import java.net.SocketAddress;
import java.nio.channels.AsynchronousSocketChannel;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.apache.sshd.common.FactoryManager;
import org.apache.sshd.common.io.IoHandler;
import org.apache.sshd.common.io.IoServiceFactory;
import org.apache.sshd.common.io.nio2.Nio2Service;
import org.apache.sshd.common.io.nio2.Nio2ServiceFactory;
import org.apache.sshd.common.io.nio2.Nio2ServiceFactoryFactory;
import org.apache.sshd.common.io.nio2.Nio2Session;

/**
 * MINA's nio2 back-end whose sessions write their packets on the writing thread ({@link DirectWriteNio2Session}),
 * with one waiter pool for sockets that are full, shut down with the back-end.
 */
final class DirectWriteIoServiceFactoryFactory extends Nio2ServiceFactoryFactory {
    @Override
    public IoServiceFactory create(FactoryManager manager) {
        ExecutorService waiters = Executors.newCachedThreadPool(task -> {
            Thread t = new Thread(task, "zreplj-ssh-write-waiter");
            t.setDaemon(true);
            return t;
        });
        return new Nio2ServiceFactory(manager, newExecutor(), newExecutor()) {
            @Override
            public Nio2Session createSession(
                    Nio2Service service, IoHandler handler, AsynchronousSocketChannel socket, SocketAddress address)
                    throws Throwable {
                return new DirectWriteNio2Session(service, getFactoryManager(), handler, socket, address, waiters);
            }

            @Override
            protected void doCloseImmediately() {
                waiters.shutdownNow();
                super.doCloseImmediately();
            }
        };
    }
}
