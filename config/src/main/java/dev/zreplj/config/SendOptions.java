package dev.zreplj.config;

/**
 * zrepl's {@code send} options of a push job, and zreplj's {@code decrypt}: send encrypted filesystems
 * decrypted (plaintext) instead of refusing them.
 */
public record SendOptions(boolean encrypted, boolean raw, boolean sendProperties, boolean backupProperties,
                          boolean largeBlocks, boolean compressed, boolean embeddedData, boolean saved,
                          boolean decrypt) {
    public static SendOptions defaults() {
        return new SendOptions(false, false, false, false, false, false, false, false, false);
    }
}
