package dev.zreplj.protocol;

/**
 * A PROGRESS frame: the stream bytes the server has read so far of an unframed stream (RECV_RAW), sent at
 * most about once a second while they grow, so that the agent can show progress and tell a stalled stream
 * from a slow one without seeing the bytes itself.
 */
public record StreamProgress(long bytes) {}
