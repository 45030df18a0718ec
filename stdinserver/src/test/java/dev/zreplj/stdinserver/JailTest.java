package dev.zreplj.stdinserver;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.zreplj.protocol.RemoteException;
import dev.zreplj.zfs.DatasetName;
import java.util.List;
import org.junit.jupiter.api.Test;

class JailTest {
    private final Jail jail = new Jail(DatasetName.of("backup/sink/laptop"));

    private RemoteException refused(String path) {
        RemoteException e = assertThrows(RemoteException.class, () -> jail.resolve(path));
        assertEquals("jail", e.code());
        return e;
    }

    @Test
    void senderNamesLandInsideTheJail() throws RemoteException {
        assertEquals(DatasetName.of("backup/sink/laptop/tank/home"), jail.resolve("tank/home"));
        assertEquals(DatasetName.of("backup/sink/laptop/rpool"), jail.resolve("rpool"));
        assertEquals("tank/home", jail.pathOf(DatasetName.of("backup/sink/laptop/tank/home")));
    }

    @Test
    void theBoxsOwnPoolNameStaysInsideTheJail() throws RemoteException {
        // A sender's pool may be called like the box's; it still names a dataset below the jail.
        assertEquals(
                DatasetName.of("backup/sink/laptop/backup/sink/otherclient"), jail.resolve("backup/sink/otherclient"));
    }

    @Test
    void escapesAreRefused() {
        assertEquals(
                "dataset path '../x' is invalid: dataset name component '..' is not allowed",
                refused("../x").getMessage());
        assertEquals(
                "dataset path 'otherclient/..' is invalid: dataset name component '..' is not allowed",
                refused("otherclient/..").getMessage());
        assertEquals(
                "dataset path 'tank/../../otherclient' is invalid: dataset name component '..' is not allowed",
                refused("tank/../../otherclient").getMessage());
        assertEquals(
                "dataset path '/backup/sink/otherclient' is invalid: dataset name '/backup/sink/otherclient'"
                        + " has an empty component",
                refused("/backup/sink/otherclient").getMessage());
        assertEquals(
                "dataset path 'tank/home@snap' is invalid: dataset name 'tank/home@snap' must not contain '@' or"
                        + " '#'",
                refused("tank/home@snap").getMessage());
        assertEquals(
                "dataset path 'tank#b' is invalid: dataset name 'tank#b' must not contain '@' or '#'",
                refused("tank#b").getMessage());
        assertEquals("no dataset path given", refused(null).getMessage());
        assertEquals(
                "dataset path '' is invalid: dataset name is empty", refused("").getMessage());
        refused(".");
        refused("tank/./x");
        refused("tank//x");
        refused("tank/");
        refused("-o/x");
        refused("tank/-F");
        refused("tank/a ");
        refused("tank/ a");
        refused("tank/a\nb");
        refused("1tank");
    }

    @Test
    void controlCharactersAreShownEscaped() {
        assertEquals(
                "dataset path 'a\\x0ab' is invalid: dataset name component 'a\\x0ab' contains '\\x0a'; allowed"
                        + " are letters, digits, spaces and _ - . :",
                refused("a\nb").getMessage());
    }

    @Test
    void tooLongAfterJoiningIsRefused() {
        String path = "t" + "/abcdefghi".repeat(24); // 241 characters: valid alone, too long in the jail
        RemoteException e = refused(path);
        assertEquals(true, e.getMessage().contains("is longer than 255 characters"), e.getMessage());
        // The client knows only its own name: what the box adds, and by how much it is over, say what to shorten.
        String jailed = "backup/sink/laptop/" + path;
        assertEquals(true, jailed.length() > 255, jailed);
        assertEquals(
                true,
                e.getMessage()
                        .endsWith("is longer than 255 characters (" + jailed.length() + ") on the box, which puts"
                                + " 'backup/sink/laptop/' before the filesystem's name: shorten the filesystem's"
                                + " name by " + (jailed.length() - 255) + ", or exclude it from the job's filter"),
                e.getMessage());
    }

    @Test
    void snapshotNamesAreChecked() throws RemoteException {
        Jail.validateSnapshotName("zrepl_20240101_000000_000");
        assertThrows(RemoteException.class, () -> Jail.validateSnapshotName("a@b"));
        assertThrows(RemoteException.class, () -> Jail.validateSnapshotName("a/b"));
        assertThrows(RemoteException.class, () -> Jail.validateSnapshotName("-x"));
        assertThrows(RemoteException.class, () -> Jail.validateSnapshotName(""));
        assertThrows(RemoteException.class, () -> Jail.validateSnapshotName(null));
    }

    @Test
    void snapshotRequestsCheckEverySnapshotNameAndTheFullLength() throws Exception {
        Jail jail = new Jail(DatasetName.of("backup/sink/laptop"));
        assertEquals(DatasetName.of("backup/sink/laptop/tank/a"), jail.resolve("tank/a", List.of("s1", "s2")));
        assertEquals(
                DatasetName.of("backup/sink/laptop/tank/my docs"),
                jail.resolve("tank/my docs", List.of("s 1")),
                "spaces inside names, as ZFS and zrepl allow them");
        for (String bad : List.of("", "a@b", "a/b", "-x", "..", "a ", " a", "a\tb")) {
            RemoteException e =
                    assertThrows(RemoteException.class, () -> jail.resolve("tank/a", List.of("s1", bad)), bad);
            assertEquals("jail", e.code(), bad);
        }
        String longName = "s".repeat(255 - "backup/sink/laptop/tank/a@".length());
        jail.resolve("tank/a", List.of(longName));
        RemoteException tooLong =
                assertThrows(RemoteException.class, () -> jail.resolve("tank/a", List.of(longName + "s")));
        assertEquals("jail", tooLong.code());
        assertEquals(
                true,
                tooLong.getMessage()
                        .endsWith("is longer than 255 characters (256) on the box, which puts 'backup/sink/laptop/'"
                                + " before the filesystem's name: shorten the filesystem's name by 1, or exclude it"
                                + " from the job's filter"),
                tooLong.getMessage());
        assertThrows(RemoteException.class, () -> jail.resolve("../desktop/a", List.of("s1")));
    }
}
