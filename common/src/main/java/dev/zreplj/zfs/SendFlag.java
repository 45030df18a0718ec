package dev.zreplj.zfs;

/**
 * The {@code zfs send} options zrepl's {@code send} section turns on, besides raw ({@code -w}, see
 * {@link SendRequest#raw()}). Each is passed only where the local zfs lists it in its usage
 * ({@link Capabilities#sendFlags()}).
 */
public enum SendFlag {
    /** {@code -c}: blocks compressed on disk stay compressed in the stream and on the receiver. */
    COMPRESSED('c'),
    /** {@code -L}: blocks larger than 128 KiB stay large. */
    LARGE_BLOCKS('L'),
    /** {@code -e}: embedded (tiny, in-block-pointer) data stays embedded. */
    EMBEDDED_DATA('e'),
    /** {@code -p}: the filesystem's properties travel in the stream. */
    PROPERTIES('p'),
    /** {@code -b}: only received property values travel in the stream. */
    BACKUP_PROPERTIES('b');

    private final char option;

    SendFlag(char option) {
        this.option = option;
    }

    public char option() {
        return option;
    }

    /** The command-line argument, e.g. {@code -c}. */
    public String argument() {
        return "-" + option;
    }

    /** Whether the stream then carries a properties payload, which a receiver must be able to filter. */
    public boolean carriesProperties() {
        return this == PROPERTIES || this == BACKUP_PROPERTIES;
    }
}
