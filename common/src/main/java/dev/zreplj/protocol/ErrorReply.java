package dev.zreplj.protocol;

/** An ERROR frame: a stable code, one line for humans, and zfs's stderr (or "") as detail. */
public record ErrorReply(String code, String message, String detail) {
    public ErrorReply {
        if (code == null || message == null) {
            throw new IllegalArgumentException("code and message are required");
        }
        detail = detail == null ? "" : detail;
    }

    public RemoteException toException() {
        return new RemoteException(code, message, detail);
    }
}
