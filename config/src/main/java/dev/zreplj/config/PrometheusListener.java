package dev.zreplj.config;

import org.jspecify.annotations.Nullable;

/**
 * One entry of zrepl's {@code global.monitoring: [{type: prometheus, listen: ..., listen_freebind: ...}]}.
 *
 * @param host           the address to bind, null for every address (zrepl's {@code ':9811'})
 * @param port           the TCP port
 * @param listen         the {@code listen} value as written, for messages
 */
public record PrometheusListener(@Nullable String host, int port, String listen) {}
