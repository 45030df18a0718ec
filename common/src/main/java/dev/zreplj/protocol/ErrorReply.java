package dev.zreplj.protocol;

/** An ERROR frame: a stable code, one line for humans, and zfs's stderr (or "") as detail. */
public record ErrorReply(String code, String message, String detail) {
    public ErrorReply {
        if (code == null || message == null) {
            throw new IllegalArgumentException("code and message are required");
        }
        detail = detail == null ? "" : detail;
    }

    /**
     * As an exception whose text is safe to print: the box's words end up in the agent's log (the journal), its
     * status file and the admin's terminal, and a hostile box must not end a line there or send escape sequences.
     * zfs's stderr in {@code detail} keeps its lines.
     */
    public RemoteException toException() {
        // The box chooses the lengths too: each part is cut, saying how much was left out.
        String kept = detail.length() <= Printable.MAX_DETAIL ? detail : detail.substring(0, Printable.MAX_DETAIL);
        StringBuilder lines = new StringBuilder();
        for (String line : kept.split("\n", -1)) {
            lines.append(lines.isEmpty() ? "" : "\n").append(Printable.of(line));
        }
        if (kept.length() < detail.length()) {
            lines.append("... (").append(detail.length() - kept.length()).append(" more characters)");
        }
        return new RemoteException(
                Printable.of(code, Printable.MAX_WORD), Printable.of(message, Printable.MAX_TEXT), lines.toString());
    }
}
