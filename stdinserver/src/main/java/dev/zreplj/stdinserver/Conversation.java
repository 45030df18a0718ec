package dev.zreplj.stdinserver;

import dev.zreplj.protocol.ErrorReply;
import dev.zreplj.protocol.FrameReader;
import dev.zreplj.protocol.FrameType;
import dev.zreplj.protocol.FrameWriter;
import dev.zreplj.protocol.Hello;
import dev.zreplj.protocol.RemoteException;
import java.io.IOException;
import java.io.InputStream;

/** The server's end of the frames: replies are flushed at once, since the client waits for each. */
final class Conversation {
    final FrameReader reader;
    /**
     * What {@code reader} reads from, for an unframed stream between two frames (RECV_RAW): the reader reads no
     * byte ahead of the frame it returns, so none of the stream is lost to it.
     */
    final InputStream input;

    private final FrameWriter writer;

    Conversation(FrameReader reader, InputStream input, FrameWriter writer) {
        this.reader = reader;
        this.input = input;
        this.writer = writer;
    }

    /** The magic and our HELLO, written without waiting for the client's. */
    void greet(Hello hello) throws IOException {
        writer.writeMagic();
        send(FrameType.HELLO, hello);
    }

    /** The greeting of a process that serves nothing: the client's handshake reads the error instead of a HELLO. */
    void refuseGreeting(ErrorReply error) throws IOException {
        writer.writeMagic();
        reply(error);
    }

    void send(FrameType type, Record message) throws IOException {
        writer.control(type, message);
        writer.flush();
    }

    /** A frame without payload (READY). */
    void send(FrameType type) throws IOException {
        writer.empty(type);
        writer.flush();
    }

    /** One DATA frame of a SEND reply, built in place in a {@link FrameWriter#newDataBuffer()}; flushed with SENT. */
    void data(byte[] buffer, int length) throws IOException {
        writer.data(buffer, length);
    }

    void reply(ErrorReply error) throws IOException {
        send(FrameType.ERROR, error);
    }

    void reply(RemoteException e) throws IOException {
        reply(new ErrorReply(e.code(), e.getMessage(), e.detail()));
    }

    /** Replies with the error, then skips the rest of the stream (unless it has ended) so the channel stays usable. */
    void refuseStream(RemoteException e, boolean streamEnded) throws IOException {
        reply(e);
        if (!streamEnded) {
            drain();
        }
    }

    void drain() throws IOException {
        while (true) {
            FrameType t = reader.expectFrame("END");
            switch (t) {
                case DATA, ZDATA -> {}
                case END, ABORT -> {
                    return;
                }
                default -> throw reader.unexpected("DATA, END or ABORT");
            }
        }
    }
}
