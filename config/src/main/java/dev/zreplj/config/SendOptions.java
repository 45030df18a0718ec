package dev.zreplj.config;

/** zrepl's {@code send} options of a push job. */
public record SendOptions(boolean encrypted, boolean raw, boolean sendProperties, boolean backupProperties,
                          boolean largeBlocks, boolean compressed, boolean embeddedData, boolean saved) {
    public static SendOptions defaults() {
        return new SendOptions(false, false, false, false, false, false, false, false);
    }
}
