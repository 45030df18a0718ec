package dev.zreplj.ssh;

import java.io.IOException;

/** An SSH transport failure, its message one line that says what, where and what to do. */
public final class TransportException extends IOException {
    private static final long serialVersionUID = 1L;

    public TransportException(String message) {
        super(message);
    }

    public TransportException(String message, Throwable cause) {
        super(message, cause);
    }
}
