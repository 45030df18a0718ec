package dev.zreplj.config;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;

/**
 * One zrepl {@code type: command} snapshot hook: {@code path} is run, without arguments, before and after
 * the snapshot of every filesystem {@code filesystems} accepts, killed after {@code timeout}. A failed
 * pre-snapshot run with {@code errIsFatal} skips that filesystem's snapshot.
 */
public record SnapshotHook(Path path, Duration timeout, boolean errIsFatal, FilesystemFilter filesystems) {
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(30);

    public SnapshotHook {
        Objects.requireNonNull(path, "path");
        Objects.requireNonNull(filesystems, "filesystems");
        if (!path.isAbsolute()) {
            throw new IllegalArgumentException("hook path must be absolute, got " + path);
        }
        if (timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("hook timeout must be positive, got " + timeout);
        }
    }
}
