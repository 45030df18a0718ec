package dev.zreplj.protocol;

/** A receiver snapshot the agent asks the box to destroy; the guid guards against a same-named other snapshot. */
public record DestroyTarget(String name, long guid) {}
