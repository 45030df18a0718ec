package dev.zreplj.protocol;

/**
 * Ask the server to send a snapshot of {@code <jail>/<path>} back (SEND): full when {@code from} is null,
 * else incremental from {@code from}, a snapshot ({@code @name}) or bookmark ({@code #name}) of the same
 * filesystem. With {@code resumeToken} (the client's own partial receive's token) the server resumes that
 * send ({@code zfs send -t}) after checking that the token names this very snapshot inside the jail.
 */
public record SendCommand(String path, String snapshot, String from, String resumeToken) {}
