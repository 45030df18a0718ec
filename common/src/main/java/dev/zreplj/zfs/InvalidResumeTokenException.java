package dev.zreplj.zfs;

/** A receive_resume_token that is not a complete, intact OpenZFS token; the message is one line. */
public final class InvalidResumeTokenException extends Exception {
    private static final long serialVersionUID = 1L;

    public InvalidResumeTokenException(String message) {
        super(message);
    }
}
