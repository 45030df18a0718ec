package dev.zreplj.restore;

/** A restore that must not run as asked; the message is one line saying what, where, and what to do. */
public final class RestoreRefused extends Exception {
    private static final long serialVersionUID = 1L;

    public RestoreRefused(String message) {
        super(message);
    }
}
