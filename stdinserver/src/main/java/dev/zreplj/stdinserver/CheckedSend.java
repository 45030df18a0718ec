package dev.zreplj.stdinserver;

import dev.zreplj.protocol.ErrorCodes;
import dev.zreplj.protocol.Printable;
import dev.zreplj.protocol.RemoteException;
import dev.zreplj.protocol.SendCommand;
import dev.zreplj.zfs.DatasetName;
import dev.zreplj.zfs.InvalidNameException;
import dev.zreplj.zfs.InvalidResumeTokenException;
import dev.zreplj.zfs.ResumeToken;
import dev.zreplj.zfs.VersionType;
import java.util.List;

/**
 * A SEND request after the box checked every name in it against the client's jail, exactly as RECV and
 * DESTROY are checked; nothing here runs zfs.
 *
 * @param filesystem the jailed filesystem to send from
 * @param snapshot   the snapshot to send (its name after '@')
 * @param fromType   the incremental base's type, null for a full stream
 * @param from       the incremental base's name (after '@' or '#'), null for a full stream
 * @param token      the decoded resume token, null for a fresh send
 */
record CheckedSend(DatasetName filesystem, String snapshot, VersionType fromType, String from, ResumeToken token) {

    static CheckedSend check(Jail jail, SendCommand cmd) throws RemoteException {
        if (cmd.snapshot() == null) {
            throw refused("no snapshot given");
        }
        DatasetName fs = jail.resolve(cmd.path(), List.of(cmd.snapshot()));
        VersionType fromType = null;
        String from = null;
        if (cmd.from() != null) {
            if (cmd.from().length() < 2
                    || (cmd.from().charAt(0) != '@' && cmd.from().charAt(0) != '#')) {
                throw refused("incremental base '" + Printable.of(shorten(cmd.from()))
                        + "' is not '@snapshot' or '#bookmark' of the same filesystem");
            }
            fromType = cmd.from().charAt(0) == '@' ? VersionType.SNAPSHOT : VersionType.BOOKMARK;
            from = cmd.from().substring(1);
            try {
                DatasetName.validateComponent(
                        from, fromType == VersionType.SNAPSHOT ? "snapshot name" : "bookmark name");
            } catch (InvalidNameException e) {
                throw refused("incremental base: " + e.getMessage());
            }
            if (fs.value().length() + 1 + from.length() > DatasetName.MAX_LENGTH) {
                throw refused("incremental base name is longer than " + DatasetName.MAX_LENGTH + " characters");
            }
        }
        ResumeToken token = null;
        if (cmd.resumeToken() != null) {
            if (from != null) {
                throw refused("a resumed send takes its base from the token; name no incremental base with it");
            }
            try {
                token = ResumeToken.decode(cmd.resumeToken());
            } catch (InvalidResumeTokenException e) {
                throw refused(e.getMessage());
            }
            // The token's own name is what zfs send -t sends: it must be exactly the snapshot checked above.
            String expected = fs.value() + "@" + cmd.snapshot();
            if (!token.toName().equals(expected)) {
                throw refused("the resume token is for " + Printable.of(shorten(token.toName())) + ", not for "
                        + Printable.of(cmd.path()) + "@" + cmd.snapshot() + " in the jail " + jail.root());
            }
        }
        return new CheckedSend(fs, cmd.snapshot(), fromType, from, token);
    }

    private static RemoteException refused(String message) {
        return new RemoteException(ErrorCodes.JAIL, message, "");
    }

    private static String shorten(String s) {
        return s.length() > 300 ? s.substring(0, 300) + "..." : s;
    }
}
