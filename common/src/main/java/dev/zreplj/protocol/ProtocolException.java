package dev.zreplj.protocol;

import java.io.IOException;

/** The byte stream from the other side does not follow the protocol (garbage, truncation, limits, bad JSON). */
public final class ProtocolException extends IOException {
    private static final long serialVersionUID = 1L;

    public ProtocolException(String message) {
        super(message);
    }
}
