package dev.zreplj.protocol;

/**
 * An error the other side reported (or a protocol violation). {@code code} is a stable word for
 * programs ({@code jail}, {@code zfs}, {@code busy}, {@code protocol}, ...); {@code detail} carries
 * zfs's stderr where there is one.
 */
public final class RemoteException extends java.io.IOException {
    private static final long serialVersionUID = 1L;
    private final String code;
    private final String detail;

    public RemoteException(String code, String message, String detail) {
        super(message);
        this.code = code;
        this.detail = detail == null ? "" : detail;
    }

    public String code() {
        return code;
    }

    public String detail() {
        return detail;
    }
}
