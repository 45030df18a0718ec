package dev.zreplj.stdinserver;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.zreplj.protocol.ErrorCodes;
import dev.zreplj.protocol.RemoteException;
import dev.zreplj.zfs.DatasetName;
import dev.zreplj.zfs.ResumeToken;
import dev.zreplj.zfs.VersionType;
import dev.zreplj.zfs.ZfsVersion;
import dev.zreplj.zfs.testing.ResumeTokens;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/**
 * A SEND's resume token is the client's: zfs send -t takes the stream's flags from it, so the box checks that it
 * is for the snapshot asked for and, for an encrypted filesystem, for a raw stream.
 */
class SendHandlerTokenTest {
    private static final ZfsVersion TO = new ZfsVersion(
            DatasetName.of("box/sink/laptop/tank/home"), VersionType.SNAPSHOT, "zrepl_2", 42, 7, Instant.EPOCH);

    private static ResumeToken token(long guid, boolean raw) throws Exception {
        return ResumeToken.decode(ResumeTokens.of(guid, 0, TO.fullName(), 4096, raw));
    }

    @Test
    void aTokenWithoutRawokForAnEncryptedFilesystemIsRefused() throws Exception {
        RemoteException e =
                assertThrows(RemoteException.class, () -> SendHandler.checkToken(token(42, false), TO, true, true));
        assertEquals(ErrorCodes.STREAM, e.code());
        assertTrue(
                e.getMessage()
                        .startsWith("the resume token is for a stream that is not raw, but"
                                + " box/sink/laptop/tank/home@zrepl_2 arrived raw (encrypted with the client's key)"
                                + " and leaves the box only so (zfs send -w)"),
                e::getMessage);
    }

    @Test
    void aRawTokenForAnEncryptedFilesystemAndAnyTokenForAPlainOneAreTaken() throws Exception {
        assertTrue(token(42, true).raw());
        assertDoesNotThrow(() -> SendHandler.checkToken(token(42, true), TO, true, true));
        assertDoesNotThrow(() -> SendHandler.checkToken(token(42, false), TO, false, false));
        assertDoesNotThrow(() -> SendHandler.checkToken(token(42, true), TO, false, false));
        assertDoesNotThrow(
                () -> SendHandler.checkToken(token(42, false), TO, false, true), "the box's key: a plain stream");
    }

    /** Raw, a filesystem under the box's own key would leave with the box's wrapped key, salt and iterations. */
    @Test
    void aRawTokenForAFilesystemUnderTheBoxsKeyIsRefused() throws Exception {
        RemoteException e =
                assertThrows(RemoteException.class, () -> SendHandler.checkToken(token(42, true), TO, false, true));
        assertEquals(ErrorCodes.STREAM, e.code());
        assertEquals(
                "the resume token is for a raw stream, but box/sink/laptop/tank/home@zrepl_2 is encrypted with the"
                        + " box's own key and leaves the box only plain, as it arrived; discard the partial receive"
                        + " (zfs receive -A) and restore it afresh",
                e.getMessage());
    }

    @Test
    void aTokenForAnotherSnapshotIsRefused() throws Exception {
        RemoteException e =
                assertThrows(RemoteException.class, () -> SendHandler.checkToken(token(43, true), TO, true, true));
        assertEquals(ErrorCodes.STREAM, e.code());
        assertTrue(e.getMessage().contains("(guid differs)"), e::getMessage);
    }

    /** docs/protocol.md: a base that is not older is refused with {@code stream}, as a token that does not fit. */
    @Test
    void aBaseThatIsNotOlderIsAStreamRefusal() {
        ZfsVersion newer = new ZfsVersion(TO.filesystem(), VersionType.SNAPSHOT, "zrepl_3", 43, 8, Instant.EPOCH);
        RemoteException e = assertThrows(RemoteException.class, () -> SendHandler.checkBase(newer, TO));
        assertEquals(ErrorCodes.STREAM, e.code());
        assertEquals(
                "incremental base box/sink/laptop/tank/home@zrepl_3 is not older than box/sink/laptop/tank/home@zrepl_2",
                e.getMessage());
        assertThrows(RemoteException.class, () -> SendHandler.checkBase(TO, TO));
        assertDoesNotThrow(() -> SendHandler.checkBase(TO, newer));
    }

    @Test
    void aResumedIncrementalsBaseMustBeAnOlderVersionOfTheSameFilesystem() throws Exception {
        ZfsVersion base = new ZfsVersion(TO.filesystem(), VersionType.BOOKMARK, "zrepl_1", 41, 5, Instant.EPOCH);
        ZfsVersion newer = new ZfsVersion(TO.filesystem(), VersionType.SNAPSHOT, "zrepl_3", 43, 9, Instant.EPOCH);
        java.util.List<ZfsVersion> versions = java.util.List.of(base, TO, newer);
        ResumeToken full = ResumeToken.decode(ResumeTokens.of(42, 0, TO.fullName(), 4096, false));
        assertDoesNotThrow(() -> SendHandler.checkTokenBase(full, versions, TO));
        ResumeToken fromBase = ResumeToken.decode(ResumeTokens.of(42, 41, TO.fullName(), 4096, false));
        assertDoesNotThrow(() -> SendHandler.checkTokenBase(fromBase, versions, TO));
        for (long foreign : new long[] {43, 99}) {
            ResumeToken t = ResumeToken.decode(ResumeTokens.of(42, foreign, TO.fullName(), 4096, false));
            RemoteException e = assertThrows(RemoteException.class, () -> SendHandler.checkTokenBase(t, versions, TO));
            assertEquals(ErrorCodes.STREAM, e.code());
            assertTrue(e.getMessage().contains("no older snapshot or bookmark of " + TO.filesystem()), e.getMessage());
        }
    }
}
