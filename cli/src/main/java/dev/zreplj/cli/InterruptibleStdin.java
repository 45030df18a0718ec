package dev.zreplj.cli;

import java.io.FileDescriptor;
import java.io.FileInputStream;
import java.io.FilterInputStream;
import java.nio.channels.Channels;

/**
 * stdin through a {@link java.nio.channels.FileChannel}, so that a read blocked on it wakes when the
 * stdinserver's idle watchdog interrupts the thread (a plain FileInputStream stays blocked in read(2)
 * however long the client stalls). {@link #available()} is 0: the channel's stream would compute it
 * with a seek, which fails on sshd's pipe ("Illegal seek").
 */
final class InterruptibleStdin extends FilterInputStream {
    InterruptibleStdin() {
        super(Channels.newInputStream(new FileInputStream(FileDescriptor.in).getChannel()));
    }

    @Override
    public int available() {
        return 0;
    }
}
