package dev.zreplj.zfs;

/** A dataset, snapshot or bookmark name that ZFS would refuse or that could be mistaken for an option. */
public final class InvalidNameException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    public InvalidNameException(String message) {
        super(message);
    }
}
