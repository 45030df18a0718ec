package dev.zreplj.config;

/**
 * zrepl's {@code send} options of a push job, and zreplj's {@code decrypt}: send encrypted filesystems
 * decrypted (plaintext) instead of refusing them. zrepl's {@code saved} (send a partially received
 * filesystem's saved state) has no meaning on a source machine and is refused when loading.
 */
public record SendOptions(
        boolean encrypted,
        boolean raw,
        boolean sendProperties,
        boolean backupProperties,
        boolean largeBlocks,
        boolean compressed,
        boolean embeddedData,
        boolean decrypt,
        BandwidthLimit bandwidthLimit) {
    public SendOptions {
        java.util.Objects.requireNonNull(bandwidthLimit, "bandwidthLimit");
    }

    /** Without a bandwidth limit. */
    public SendOptions(
            boolean encrypted,
            boolean raw,
            boolean sendProperties,
            boolean backupProperties,
            boolean largeBlocks,
            boolean compressed,
            boolean embeddedData,
            boolean decrypt) {
        this(
                encrypted,
                raw,
                sendProperties,
                backupProperties,
                largeBlocks,
                compressed,
                embeddedData,
                decrypt,
                BandwidthLimit.unlimited());
    }

    public static SendOptions defaults() {
        return new SendOptions(false, false, false, false, false, false, false, false);
    }
}
