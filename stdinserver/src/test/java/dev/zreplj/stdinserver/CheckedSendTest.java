package dev.zreplj.stdinserver;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.zreplj.protocol.RemoteException;
import dev.zreplj.protocol.SendCommand;
import dev.zreplj.zfs.DatasetName;
import dev.zreplj.zfs.VersionType;
import dev.zreplj.zfs.testing.ResumeTokens;
import org.junit.jupiter.api.Test;

/** SEND's names get exactly RECV's and DESTROY's jail checks, plus the base and the resume token's own name. */
class CheckedSendTest {
    private final Jail jail = new Jail(DatasetName.of("backup/sink/laptop"));

    private String refused(SendCommand cmd) {
        RemoteException e = assertThrows(RemoteException.class, () -> CheckedSend.check(jail, cmd));
        assertEquals("jail", e.code());
        return e.getMessage();
    }

    @Test
    void aFullAnIncrementalAndAResumedSendInsideTheJail() throws RemoteException {
        CheckedSend full = CheckedSend.check(jail, new SendCommand("tank/home", "s2", null, null));
        assertEquals(DatasetName.of("backup/sink/laptop/tank/home"), full.filesystem());
        assertEquals("s2", full.snapshot());
        assertNull(full.from());
        CheckedSend snap = CheckedSend.check(jail, new SendCommand("tank/home", "s2", "@s1", null));
        assertEquals(VersionType.SNAPSHOT, snap.fromType());
        assertEquals("s1", snap.from());
        CheckedSend mark = CheckedSend.check(jail, new SendCommand("tank/home", "s2", "#b1", null));
        assertEquals(VersionType.BOOKMARK, mark.fromType());
        String token = ResumeTokens.of(42, 0, "backup/sink/laptop/tank/home@s2", 1000);
        assertEquals(
                42,
                CheckedSend.check(jail, new SendCommand("tank/home", "s2", null, token))
                        .token()
                        .toGuid());
    }

    @Test
    void namesOutsideTheJailAreRefused() {
        assertEquals(
                "dataset path '../other/x' is invalid: dataset name component '..' is not allowed",
                refused(new SendCommand("../other/x", "s", null, null)));
        assertEquals("no dataset path given", refused(new SendCommand(null, "s", null, null)));
        assertEquals("no snapshot given", refused(new SendCommand("tank", null, null, null)));
        refused(new SendCommand("tank", "../s", null, null));
        refused(new SendCommand("tank", "a@b", null, null));
        refused(new SendCommand("tank", "-R", null, null));
        refused(new SendCommand("/backup/sink/other/x", "s", null, null));
        refused(new SendCommand("tank\nx", "s", null, null));
    }

    @Test
    void theBaseIsASnapshotOrBookmarkNameOfTheSameFilesystem() {
        assertEquals(
                "incremental base 'other/x@s' is not '@snapshot' or '#bookmark' of the same filesystem",
                refused(new SendCommand("tank", "s2", "other/x@s", null)));
        refused(new SendCommand("tank", "s2", "@..", null));
        refused(new SendCommand("tank", "s2", "@", null));
        refused(new SendCommand("tank", "s2", "@../../other/x@s", null));
        refused(new SendCommand("tank", "s2", "#a/b", null));
        refused(new SendCommand("tank", "s2", "@-i", null));
        refused(new SendCommand("tank", "s2", "@" + "x".repeat(300), null));
    }

    @Test
    void aResumeTokenMustNameExactlyTheRequestedSnapshotInTheJail() {
        String other = ResumeTokens.of(42, 0, "backup/sink/other/tank/home@s2", 1000);
        assertEquals(
                "the resume token is for backup/sink/other/tank/home@s2, not for tank/home@s2 in the jail"
                        + " backup/sink/laptop",
                refused(new SendCommand("tank/home", "s2", null, other)));
        refused(new SendCommand(
                "tank/home", "s1", null, ResumeTokens.of(42, 0, "backup/sink/laptop/tank/home@s2", 1000)));
        refused(new SendCommand(
                "tank/home", "s2", null, ResumeTokens.of(42, 0, "backup/sink/laptop/tank/home/child@s2", 1000)));
        assertEquals(
                "a resumed send takes its base from the token; name no incremental base with it",
                refused(new SendCommand(
                        "tank/home", "s2", "@s1", ResumeTokens.of(42, 0, "backup/sink/laptop/tank/home@s2", 1000))));
        refused(new SendCommand("tank/home", "s2", null, "1-2-3-zz"));
        refused(new SendCommand("tank/home", "s2", null, "1-abc-10-00; rm -rf /"));
        refused(new SendCommand("tank/home", "s2", null, ""));
    }
}
