package dev.zreplj.replication;

import java.io.IOException;

/** The watchdog cut work on the backup box that made no progress for replication.timeout; worth retrying. */
public final class StalledException extends IOException {
    public StalledException(String message, Throwable cause) {
        super(message, cause);
    }
}
