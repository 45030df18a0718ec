package dev.zreplj.stdinserver;

import dev.zreplj.protocol.ErrorCodes;
import dev.zreplj.protocol.ErrorReply;
import dev.zreplj.protocol.FrameType;
import dev.zreplj.protocol.FrameWriter;
import dev.zreplj.protocol.RemoteException;
import dev.zreplj.protocol.SendCommand;
import dev.zreplj.protocol.SendResult;
import dev.zreplj.protocol.Wire;
import dev.zreplj.zfs.DatasetName;
import dev.zreplj.zfs.InvalidNameException;
import dev.zreplj.zfs.ResumeToken;
import dev.zreplj.zfs.SendRequest;
import dev.zreplj.zfs.VersionType;
import dev.zreplj.zfs.Zfs;
import dev.zreplj.zfs.ZfsException;
import dev.zreplj.zfs.ZfsProcess;
import dev.zreplj.zfs.ZfsVersion;
import java.io.IOException;
import java.io.InputStream;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * SEND: a stream of the client's own backup back to it, for {@code zreplj restore}. Every name is checked
 * against the jail ({@link CheckedSend}) before zfs runs; the snapshot and base must exist on that very
 * filesystem; an encrypted filesystem goes raw ({@code -w}) so it arrives still encrypted and the box never
 * needs its key. The reply is DATA frames, then SENT, or ERROR at any point.
 */
final class SendHandler {
    private final Zfs zfs;
    private final Conversation conversation;
    private final BoxLog log;

    SendHandler(Zfs zfs, Conversation conversation, BoxLog log) {
        this.zfs = zfs;
        this.conversation = conversation;
        this.log = log;
    }

    void handle(Session session, SendCommand cmd) throws IOException {
        if (!session.job().restore()) {
            RemoteException e = new RemoteException(
                    ErrorCodes.FORBIDDEN,
                    "sink job '" + session.job().name()
                            + "' forbids restores (serve.restore: false); ask the box's admin",
                    "");
            log.refused("refused SEND: " + e.getMessage());
            conversation.reply(e);
            return;
        }
        CheckedSend send;
        try {
            send = CheckedSend.check(session.jail(), cmd);
        } catch (RemoteException e) {
            log.refused("refused SEND: " + e.getMessage());
            conversation.reply(e);
            return;
        }
        SendRequest request;
        boolean raw;
        try {
            Map<String, String> encryption = encryption(send.filesystem());
            raw = sentRaw(session.jail().root(), encryption.get("encryption"), encryption.get("encryptionroot"));
            request = request(send, raw, encrypted(encryption.get("encryption")));
        } catch (RemoteException e) {
            log.refused("refused SEND: " + e.getMessage());
            conversation.reply(e);
            return;
        } catch (ZfsException e) {
            conversation.reply(new ErrorReply(ErrorCodes.ZFS, e.getMessage(), e.stderr()));
            return;
        }
        ZfsProcess process;
        try {
            process = zfs.send(request);
        } catch (ZfsException e) {
            conversation.reply(new ErrorReply(ErrorCodes.ZFS, e.getMessage(), e.stderr()));
            return;
        }
        long bytes = pump(process);
        try {
            process.finish();
        } catch (ZfsException e) {
            conversation.reply(new ErrorReply(ErrorCodes.ZFS, e.getMessage(), e.stderr()));
            return;
        } catch (InterruptedException e) {
            process.kill();
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while zfs send ran", e);
        }
        log.served("sent " + send.filesystem() + "@" + send.snapshot() + (send.token() != null ? " (resumed)" : "")
                + ": " + bytes + " bytes" + (raw ? ", raw" : ""));
        conversation.send(FrameType.SENT, new SendResult(bytes, raw));
    }

    /** The stream as DATA frames; a client that went away kills zfs send and ends the process. */
    private long pump(ZfsProcess process) throws IOException {
        byte[] buffer = FrameWriter.newDataBuffer();
        long total = 0;
        try (InputStream in = process.stdout()) {
            while (true) {
                int n = fill(in, buffer);
                if (n > 0) {
                    conversation.data(buffer, n);
                    total += n;
                }
                if (n < Wire.MAX_DATA) {
                    return total;
                }
            }
        } catch (IOException e) {
            process.kill();
            throw e;
        }
    }

    private static int fill(InputStream in, byte[] buffer) throws IOException {
        int off = FrameWriter.DATA_OFFSET;
        int end = off + Wire.MAX_DATA;
        while (off < end) {
            int r = in.read(buffer, off, end - off);
            if (r < 0) {
                break;
            }
            off += r;
        }
        return off - FrameWriter.DATA_OFFSET;
    }

    /** The filesystem's encryption and encryptionroot; none where zfs has no encryption (zfs-fuse). */
    private Map<String, String> encryption(DatasetName fs) throws ZfsException {
        if (!zfs.capabilities().rawSend()) {
            return Map.of();
        }
        return zfs.getProperties(fs, false, List.of("encryption", "encryptionroot"))
                .getOrDefault(fs, Map.of());
    }

    static boolean encrypted(String encryption) {
        return encryption != null && !encryption.equals("off") && !encryption.equals("-");
    }

    /**
     * Raw where the filesystem arrived raw: encrypted under a key of its own below the jail, the client's,
     * which the box never has. One the box encrypts with its own key (below an encrypted root_fs, the jail
     * and its placeholders inheriting it) arrived as a plain stream and goes back as one: raw, the client
     * would get its data encrypted with a key only the box has. Its data is the client's own, and the jail
     * keeps every other client's out of reach. An encrypted one whose root is neither goes raw.
     */
    static boolean sentRaw(DatasetName jail, String encryption, String encryptionRoot) {
        if (!encrypted(encryption)) {
            return false;
        }
        if (encryptionRoot == null || encryptionRoot.isEmpty() || encryptionRoot.equals("-")) {
            return true;
        }
        DatasetName root;
        try {
            root = DatasetName.of(encryptionRoot);
        } catch (InvalidNameException e) {
            return true;
        }
        return !jail.isSelfOrDescendantOf(root);
    }

    /** The zfs send for a checked request; the snapshot and base must be versions of that filesystem. */
    private SendRequest request(CheckedSend send, boolean raw, boolean encrypted) throws ZfsException, RemoteException {
        List<ZfsVersion> versions = zfs.listOwnVersions(send.filesystem());
        ZfsVersion to = find(versions, VersionType.SNAPSHOT, send.snapshot())
                .orElseThrow(() -> missing(send.filesystem() + "@" + send.snapshot()));
        if (send.token() != null) {
            checkToken(send.token(), to, raw, encrypted);
            checkTokenBase(send.token(), versions, to);
            return new SendRequest(null, to, raw, send.token().text());
        }
        if (send.from() == null) {
            return SendRequest.full(to, raw);
        }
        ZfsVersion from = find(versions, send.fromType(), send.from())
                .orElseThrow(() ->
                        missing(send.filesystem().value() + send.fromType().separator() + send.from()));
        checkBase(from, to);
        return SendRequest.incremental(from, to, raw);
    }

    /**
     * The base must be older than the snapshot. Both names passed the jail checks and exist, so this is
     * {@code stream} (the stream asked for does not fit the box's versions), as RECV's unknown base is and as
     * docs/protocol.md says; an older client reads any code as a refusal and prints its message.
     */
    static void checkBase(ZfsVersion from, ZfsVersion to) throws RemoteException {
        if (from.createtxg() >= to.createtxg()) {
            throw new RemoteException(
                    ErrorCodes.STREAM,
                    "incremental base " + from.fullName() + " is not older than " + to.fullName(),
                    "");
        }
    }

    /**
     * {@code zfs send -t} takes its flags from the token, not from the command line: a token the client made
     * without {@code rawok} would have the box send an encrypted filesystem decrypted (its key is loaded where
     * plain streams were received below an encrypted root_fs). So the token must be for {@code to}, for a
     * raw stream where the filesystem arrived raw, and not for one where the box encrypts it with its own key:
     * raw, that stream would carry the box's wrapped master key with its passphrase's salt and iterations, for
     * an offline guess at the box's passphrase.
     *
     * @param raw whether the box sends this filesystem raw (it arrived raw, encrypted with the client's key)
     * @param encrypted whether it is encrypted at all (with the client's key or the box's)
     */
    static void checkToken(ResumeToken token, ZfsVersion to, boolean raw, boolean encrypted) throws RemoteException {
        if (token.toGuid() != to.guid()) {
            throw new RemoteException(
                    ErrorCodes.STREAM,
                    "the resume token is for another snapshot named " + to.fullName() + " (guid differs); restore it"
                            + " afresh",
                    "");
        }
        if (raw && !token.raw()) {
            throw new RemoteException(
                    ErrorCodes.STREAM,
                    "the resume token is for a stream that is not raw, but " + to.fullName() + " arrived raw"
                            + " (encrypted with the client's key) and leaves the box only so (zfs send -w); discard the partial receive (zfs receive -A)"
                            + " and restore it afresh",
                    "");
        }
        if (!raw && encrypted && token.raw()) {
            throw new RemoteException(
                    ErrorCodes.STREAM,
                    "the resume token is for a raw stream, but " + to.fullName() + " is encrypted with the box's own"
                            + " key and leaves the box only plain, as it arrived; discard the partial receive (zfs"
                            + " receive -A) and restore it afresh",
                    "");
        }
    }

    /**
     * A resumed incremental's base is the token's too, and zfs send -t looks it up by guid, not only among this
     * filesystem's versions: it must be an older snapshot or bookmark of the filesystem asked for, as a SEND's
     * {@code from} must be.
     */
    static void checkTokenBase(ResumeToken token, List<ZfsVersion> versions, ZfsVersion to) throws RemoteException {
        if (token.fromGuid() == 0) {
            return;
        }
        boolean own = versions.stream().anyMatch(v -> v.guid() == token.fromGuid() && v.createtxg() < to.createtxg());
        if (!own) {
            throw new RemoteException(
                    ErrorCodes.STREAM,
                    "the resume token's incremental base (guid " + Long.toUnsignedString(token.fromGuid())
                            + ") is no older snapshot or bookmark of " + to.filesystem() + "; discard the partial"
                            + " receive (zfs receive -A) and restore it afresh",
                    "");
        }
    }

    private static Optional<ZfsVersion> find(List<ZfsVersion> versions, VersionType type, String name) {
        return versions.stream()
                .filter(v -> v.type() == type && v.name().equals(name))
                .findFirst();
    }

    private static RemoteException missing(String name) {
        return new RemoteException(ErrorCodes.ZFS, "the box holds no " + name, "");
    }
}
