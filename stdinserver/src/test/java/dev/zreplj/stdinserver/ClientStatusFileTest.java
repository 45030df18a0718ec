package dev.zreplj.stdinserver;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ClientStatusFileTest {
    @TempDir
    Path state;

    /** docs/monitoring.md: clients/ is the box user's, mode 0750, whatever umask sshd gave the forced command. */
    @Test
    void theDirectoriesItMakesAreClosedToOthers() throws Exception {
        Path deeper = state.resolve("moved/state");
        ClientStatusFile.record(deeper, "laptop", "tank/a", "s1", 1L, Instant.parse("2024-01-01T00:00:00Z"));
        for (Path dir : List.of(deeper.getParent(), deeper, deeper.resolve("clients"))) {
            // Exactly 0750 under the usual umask 022; a stricter umask may take more, never give more.
            String mode = PosixFilePermissions.toString(Files.getPosixFilePermissions(dir));
            assertEquals("rwx", mode.substring(0, 3), dir::toString);
            assertEquals(
                    "----",
                    mode.substring(4, 5) + mode.substring(6),
                    dir + ": no group write, nothing for others: " + mode);
        }
    }

    /** box forget runs as root in clients/, which the box user owns and may plant links in. */
    @Test
    void nothingIsWrittenThroughALinkPlantedInClients() throws Exception {
        ClientStatusFile.record(state, "laptop", "tank/a", "s1", 1L, Instant.parse("2024-01-01T00:00:00Z"));
        ClientStatusFile.record(state, "laptop", "tank/b", "s1", 2L, Instant.parse("2024-01-01T00:00:00Z"));
        Path victim = Files.writeString(state.resolve("victim"), "precious\n");
        Files.createSymbolicLink(state.resolve("clients/.laptop.json.tmp"), victim);
        assertEquals(true, ClientStatusFile.forget(state, "laptop", "tank/a"));
        assertEquals("precious\n", Files.readString(victim));
        assertEquals(
                Map.of("tank/b", new ClientStatusFile.Received("s1", "2", "2024-01-01T00:00:00Z")),
                ClientStatusFile.read(state, "laptop").filesystems());

        Files.delete(state.resolve("clients/laptop.lock"));
        Files.createSymbolicLink(state.resolve("clients/laptop.lock"), state.resolve("created-by-root"));
        assertThrows(java.io.IOException.class, () -> ClientStatusFile.forget(state, "laptop", "tank/b"));
        assertEquals(false, Files.exists(state.resolve("created-by-root")));
    }

    /** docs/cli.md: box forget of what is not recorded changes nothing; it left a lock file for any name given. */
    @Test
    void forgettingForAClientWithoutARecordChangesNothing() throws Exception {
        Files.createDirectories(state.resolve("clients"));
        assertEquals(false, ClientStatusFile.forget(state, "nosuch", "tank/a"));
        try (var left = Files.list(state.resolve("clients"))) {
            assertEquals(List.of(), left.toList());
        }
    }

    @Test
    void eachFilesystemKeepsItsLastReceiveAndNothingElseIsLeftBehind() throws Exception {
        assertNull(ClientStatusFile.read(state, "laptop"));
        ClientStatusFile.record(state, "laptop", "tank/a", "s1", -1L, Instant.parse("2024-01-01T00:00:00Z"));
        ClientStatusFile.record(state, "laptop", "tank/b", "x1", 5L, Instant.parse("2024-01-01T00:01:00Z"));
        ClientStatusFile.record(state, "laptop", "tank/a", "s2", 7L, Instant.parse("2024-01-01T00:02:00Z"));
        assertEquals(
                new ClientStatusFile.ClientStatus(
                        "laptop",
                        Map.of(
                                "tank/a", new ClientStatusFile.Received("s2", "7", "2024-01-01T00:02:00Z"),
                                "tank/b", new ClientStatusFile.Received("x1", "5", "2024-01-01T00:01:00Z"))),
                ClientStatusFile.read(state, "laptop"));
        ClientStatusFile.record(state, "laptop", "tank/c", "c", -1L, Instant.parse("2024-01-01T00:03:00Z"));
        assertEquals(
                "18446744073709551615",
                ClientStatusFile.read(state, "laptop")
                        .filesystems()
                        .get("tank/c")
                        .guid(),
                "guid as zfs prints it");
        try (var files = Files.list(state.resolve("clients"))) {
            assertEquals(
                    List.of("laptop.json", "laptop.lock"),
                    files.map(p -> p.getFileName().toString()).sorted().toList());
        }
    }

    /** box forget on a damaged file said only "zreplj: no JSON value": not which file, nor what to do. */
    /** Root's status on the box quoted the start of whatever a link the box user planted pointed at. */
    @Test
    void aLinkPlantedForTheFileIsNotReadThrough() throws Exception {
        Path file = ClientStatusFile.path(state, "laptop");
        Files.createDirectories(file.getParent());
        Path secret = state.resolve("secret");
        Files.writeString(secret, "topsecret:x:0:0\n");
        Files.createSymbolicLink(file, secret);
        java.io.IOException e = assertThrows(java.io.IOException.class, () -> ClientStatusFile.read(state, "laptop"));
        assertEquals(
                file + ": a symbolic link, which zreplj never reads as a state file; remove it (the next pass or"
                        + " receive writes it again)",
                e.getMessage());
    }

    @Test
    void forgetOnADamagedFileNamesItAndWhatToDo() throws Exception {
        Path file = ClientStatusFile.path(state, "laptop");
        Files.createDirectories(file.getParent());
        Files.writeString(file, "");
        java.io.IOException e =
                assertThrows(java.io.IOException.class, () -> ClientStatusFile.forget(state, "laptop", "tank/a"));
        assertEquals(
                file + ": unreadable status file (no JSON value); the client's next receive replaces it, with"
                        + " only the entry of the filesystem it receives",
                e.getMessage());
    }

    /** A damaged file failed every later receive's record, freezing the client's status: it is replaced. */
    @Test
    void aDamagedFileIsReplacedByTheNextReceive() throws Exception {
        java.nio.file.Files.createDirectories(
                ClientStatusFile.path(state, "laptop").getParent());
        java.nio.file.Files.writeString(ClientStatusFile.path(state, "laptop"), "garbage");
        ClientStatusFile.record(state, "laptop", "tank/a", "s2", 7L, Instant.parse("2024-01-01T00:02:00Z"));
        assertEquals(
                java.util.Set.of("tank/a"),
                ClientStatusFile.read(state, "laptop").filesystems().keySet());
        assertEquals(
                "s2",
                ClientStatusFile.read(state, "laptop")
                        .filesystems()
                        .get("tank/a")
                        .snapshot());
    }

    /** docs/box.md: a receive that failed for lack of space stays in the file until that filesystem's next one. */
    @Test
    void aReceiveWithoutSpaceIsRecordedUntilTheNextReceiveOrForget() throws Exception {
        Instant t0 = Instant.parse("2024-01-01T00:00:00Z");
        ClientStatusFile.record(state, "laptop", "tank/a", "s1", 1L, t0);
        ClientStatusFile.recordNoSpace(state, "laptop", "tank/a", "out of space", t0.plusSeconds(60));
        ClientStatusFile.recordNoSpace(state, "laptop", "tank/new", "quota\nexceeded\n", t0.plusSeconds(61));
        ClientStatusFile.ClientStatus status = ClientStatusFile.read(state, "laptop");
        assertEquals(
                Map.of(
                        "tank/a", new ClientStatusFile.Failed("out of space", "2024-01-01T00:01:00Z"),
                        "tank/new", new ClientStatusFile.Failed("quota\\x0aexceeded\\x0a", "2024-01-01T00:01:01Z")),
                status.failed(),
                "zfs's words as one printable line");
        assertEquals(
                Map.of("tank/a", new ClientStatusFile.Received("s1", "1", "2024-01-01T00:00:00Z")),
                status.filesystems());

        ClientStatusFile.record(state, "laptop", "tank/a", "s2", 2L, t0.plusSeconds(120));
        assertEquals(
                List.of("tank/new"),
                List.copyOf(ClientStatusFile.read(state, "laptop").failed().keySet()));
        assertEquals(true, ClientStatusFile.forget(state, "laptop", "tank/new"), "a failure alone can be forgotten");
        assertEquals(Map.of(), ClientStatusFile.read(state, "laptop").failed());
    }

    /** A client at its quota can make up names without end: the file keeps the newest failures only. */
    @Test
    void failuresWithoutSpaceAreBoundedKeepingTheNewest() throws Exception {
        Instant t0 = Instant.parse("2024-01-01T00:00:00Z");
        for (int i = 0; i <= ClientStatusFile.MAX_FAILED; i++) {
            ClientStatusFile.recordNoSpace(state, "laptop", "tank/f" + i, "out of space", t0.plusSeconds(i));
        }
        Map<String, ClientStatusFile.Failed> failed =
                ClientStatusFile.read(state, "laptop").failed();
        assertEquals(ClientStatusFile.MAX_FAILED, failed.size());
        assertEquals(false, failed.containsKey("tank/f0"));
        assertEquals(true, failed.containsKey("tank/f" + ClientStatusFile.MAX_FAILED));
    }
}
