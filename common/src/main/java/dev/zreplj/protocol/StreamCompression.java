package dev.zreplj.protocol;

/** How the agent sends stream data to a box that takes zstd ({@link Wire#ZSTD_DATA}); config {@code stream_compression}. */
public enum StreamCompression {
    /** zstd while it makes the stream faster, measured as it goes ({@link CompressionChooser}). */
    AUTO,
    /** zstd for every chunk that shrinks, whatever the speed (a metered link, where bytes cost more than time). */
    ON,
    /** Never. */
    OFF
}
