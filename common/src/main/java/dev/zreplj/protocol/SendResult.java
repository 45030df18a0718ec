package dev.zreplj.protocol;

/**
 * SENT: the server's zfs send finished; {@code bytes} is the stream length it sent, {@code raw} whether it
 * sent raw ({@code zfs send -w}, the dataset is encrypted and arrives still encrypted).
 */
public record SendResult(long bytes, boolean raw) {}
