package dev.zreplj.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code box revoke}'s edit of authorized_keys: exactly the client's lines go, every other byte stays. */
class AuthorizedKeysLinesTest {
    private static final String KEY =
            "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIPWcwdzW8tpZKITNvFb7aCizOzZclR4n6AtqsD7oYowH";

    @TempDir
    Path dir;

    @Test
    void onlyTheClientsLinesGoAndEveryOtherByteStays() {
        String laptop = "command=\"/usr/bin/zreplj --config /etc/zreplj/zreplj.yml stdinserver laptop\",restrict " + KEY
                + " root@laptop";
        String recovery = "command=\"'/opt/my zreplj/bin/zreplj' --config /etc/zreplj/zreplj.yml stdinserver"
                + " --restore-only laptop\",restrict " + KEY + " recovery";
        String kept = "# the admin's own key, then other clients\r\n"
                + KEY + " admin@desk\n"
                + "\n"
                + "command=\"/usr/bin/zreplj stdinserver laptop2\",restrict " + KEY
                + " laptop2 (id has laptop as prefix)\n"
                + "command=\"/usr/bin/zreplj stdinserver laptop.old\",restrict " + KEY + "\n"
                + "from=\"10.0.0.0/8\",command=\"/usr/bin/zreplj stdinserver x-laptop\",no-pty " + KEY + "\n"
                + "command=\"echo stdinserver laptop; /bin/sh\",restrict " + KEY + " a command that only mentions it\n"
                + "  # command=\"/usr/bin/zreplj stdinserver laptop\",restrict " + KEY + " commented out\n";
        String file = "# the admin's own key, then other clients\r\n"
                + KEY + " admin@desk\n"
                + laptop + "\n"
                + "\n"
                + "command=\"/usr/bin/zreplj stdinserver laptop2\",restrict " + KEY
                + " laptop2 (id has laptop as prefix)\n"
                + "command=\"/usr/bin/zreplj stdinserver laptop.old\",restrict " + KEY + "\n"
                + "from=\"10.0.0.0/8\",command=\"/usr/bin/zreplj stdinserver x-laptop\",no-pty " + KEY + "\n"
                + "command=\"echo stdinserver laptop; /bin/sh\",restrict " + KEY + " a command that only mentions it\n"
                + "  # command=\"/usr/bin/zreplj stdinserver laptop\",restrict " + KEY + " commented out\n"
                + recovery; // the last line without a newline
        AuthorizedKeysLines.Removal r =
                AuthorizedKeysLines.withoutClient(file.getBytes(StandardCharsets.UTF_8), "laptop");
        assertEquals(List.of(laptop, recovery), r.removed());
        assertArrayEquals(kept.getBytes(StandardCharsets.UTF_8), r.kept());
    }

    @Test
    void optionsAroundTheCommandAndEscapedQuotesAreRead() {
        String withOptions = "no-pty,from=\"192.168.1.5\",command=\"zreplj --config \\\"/etc/z.yml\\\" stdinserver"
                + " laptop\",restrict,no-agent-forwarding " + KEY;
        String upper = "COMMAND=\"zreplj stdinserver laptop\" " + KEY;
        byte[] file = (withOptions + "\n" + upper + "\n").getBytes(StandardCharsets.UTF_8);
        assertEquals(
                List.of(withOptions, upper),
                AuthorizedKeysLines.withoutClient(file, "laptop").removed());
        assertEquals(0, AuthorizedKeysLines.withoutClient(file, "laptop").kept().length);
        assertEquals(List.of(), AuthorizedKeysLines.withoutClient(file, "lap").removed());
        assertEquals(
                List.of(), AuthorizedKeysLines.withoutClient(file, "laptop2").removed());
    }

    @Test
    void aFileWithoutTheClientIsLeftAsItIs() throws Exception {
        Path keys = Files.writeString(dir.resolve("authorized_keys"), KEY + " admin\n");
        AuthorizedKeysLines.Removal r = BoxRevokeCommand.removeLines(keys, "laptop");
        assertEquals(List.of(), r.removed());
        assertEquals(KEY + " admin\n", Files.readString(keys));
    }

    @Test
    void theFileIsReplacedWholeWithItsModeAndNoTempFileLeft() throws Exception {
        Path real = Files.createDirectory(dir.resolve("ssh"));
        Path keys = Files.writeString(
                real.resolve("authorized_keys"),
                "command=\"zreplj stdinserver laptop\",restrict " + KEY + " stolen\n" + KEY + " admin\n");
        Files.setPosixFilePermissions(keys, PosixFilePermissions.fromString("rw-------"));
        // sshd reads through a link (AuthorizedKeysFile may name one): the file is rewritten, the link stays.
        Path link = Files.createSymbolicLink(dir.resolve("link"), keys);
        AuthorizedKeysLines.Removal r = BoxRevokeCommand.removeLines(link, "laptop");
        assertEquals(1, r.removed().size());
        assertEquals(KEY + " admin\n", Files.readString(keys));
        assertTrue(Files.isSymbolicLink(link));
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(keys)));
        try (Stream<Path> files = Files.list(real)) {
            assertEquals(List.of(keys), files.toList(), "no temp file left behind");
        }
        assertFalse(Files.readString(keys).contains("stolen"));
    }

    /**
     * The box user owns its home: root's revoke followed a {@code .ssh} it had swapped for a link, and replaced the
     * file it pointed at (read at one path, renamed at another, a race away from putting the user's keys into
     * root's). A link on the way in a directory the box user can change is refused; nothing is changed.
     */
    @Test
    void aLinkTheBoxUserCouldHavePlantedOnTheWayIsNotFollowed() throws Exception {
        Path home = Files.createDirectory(dir.resolve("home"));
        Files.setOwner(
                home, home.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName("nobody"));
        Path elsewhere = Files.createDirectory(dir.resolve("elsewhere"));
        String content = "command=\"zreplj stdinserver laptop\",restrict " + KEY + " stolen\n" + KEY + " admin\n";
        Path victim = Files.writeString(elsewhere.resolve("authorized_keys"), content);
        Files.createSymbolicLink(home.resolve(".ssh"), elsewhere);
        IOException e = assertThrows(
                IOException.class, () -> BoxRevokeCommand.removeLines(home.resolve(".ssh/authorized_keys"), "laptop"));
        assertTrue(
                e.getMessage()
                        .startsWith(home.resolve(".ssh") + ": a symbolic link in " + home + ", which user nobody"),
                e.getMessage());
        assertEquals(content, Files.readString(victim));
    }

    @Test
    void theKeyOfARemovedLineIsPrintedWithoutItsOptions() {
        assertEquals(
                KEY + " root@laptop",
                BoxRevokeCommand.keyOf("command=\"zreplj stdinserver laptop\",restrict " + KEY + " root@laptop"));
    }
}
