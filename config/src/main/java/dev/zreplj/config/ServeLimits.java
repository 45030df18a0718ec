package dev.zreplj.config;

import java.time.Duration;

/**
 * zreplj's {@code serve.zreplj} of a sink job: what one client may hold on the box, so that it cannot
 * starve the others.
 *
 * @param idleTimeout   how long a stdinserver waits for the client's next request
 * @param streamTimeout how long it waits for the next bytes inside the handshake or a request (a RECV's
 *                      stream above all, which holds a receive slot and the dataset's lock)
 * @param maxChannels   concurrent stdinserver processes (SSH channels) of one client
 * @param maxReceives   concurrent receives of one client, out of the box's {@link #BOX_RECEIVES}
 */
public record ServeLimits(Duration idleTimeout, Duration streamTimeout, int maxChannels, int maxReceives) {
    /** Concurrent receives across all clients of the box. */
    public static final int BOX_RECEIVES = 4;

    public static ServeLimits defaults() {
        return new ServeLimits(Duration.ofHours(1), Duration.ofMinutes(5), 8, 2);
    }
}
