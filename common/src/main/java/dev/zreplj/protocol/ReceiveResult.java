package dev.zreplj.protocol;

/** What the server reports after a receive: bytes it got and the received snapshot's guid. */
public record ReceiveResult(long bytes, long receivedGuid) {}
