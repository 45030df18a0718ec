package dev.zreplj.zfs;

/**
 * A name zfs listed that {@link DatasetName} (or a snapshot or bookmark name check) refuses: {@code pool/-x}, a
 * component with a space at one end. Left out of the listing it came in, and reported so that a caller for
 * which it matters (a pass whose filter selects it) can fail instead of skipping it unseen.
 *
 * @param name the name as zfs printed it
 * @param reason why zreplj refuses it
 */
public record RefusedName(String name, String reason) {
    /** What to do about a refused name that a job's filter selects. */
    public static final String ADVICE = "rename it (zfs rename) or exclude it in the filter";

    /** True for a filesystem or volume, false for a snapshot or bookmark. */
    public boolean isFilesystem() {
        return name.indexOf('@') < 0 && name.indexOf('#') < 0;
    }
}
