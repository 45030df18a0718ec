package dev.zreplj.zfs;

/** A dataset, snapshot or bookmark name that ZFS would refuse or that could be mistaken for an option. */
public final class InvalidNameException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    private final String reason;

    public InvalidNameException(String message) {
        super(message);
        this.reason = message;
    }

    /** The message, never null (it is a one-line error the user reads). */
    public String reason() {
        return reason;
    }
}
