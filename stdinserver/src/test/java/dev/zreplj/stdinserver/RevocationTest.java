package dev.zreplj.stdinserver;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Optional;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code box revoke}'s record, and which SSH connections it cuts off. */
class RevocationTest {
    private static final String BOOT = "5f7b6b2e-0000-4000-8000-000000000001";

    @TempDir
    Path dir;

    @Test
    void aConnectionOpenedBeforeTheRecordOrJustAfterItIsCoveredALaterOneNot() {
        Revocation r = new Revocation(BOOT, 100_000, Instant.parse("2026-12-07T00:20:01Z"));
        assertTrue(r.covers(BOOT, OptionalLong.of(50_000)), "opened before: the stolen key may have let it in");
        assertTrue(r.covers(BOOT, OptionalLong.of(100_099)), "within the margin of whole clock ticks");
        assertFalse(r.covers(BOOT, OptionalLong.of(100_100)), "opened after the key line was gone");
        assertTrue(r.covers(BOOT, OptionalLong.empty()), "unknown counts as before");
        assertFalse(r.covers("another-boot", OptionalLong.of(5)), "every connection since a reboot is newer");
        assertFalse(r.covers("another-boot", OptionalLong.empty()));
    }

    @Test
    void theRecordReadsBackAndAMissingOneIsNone() throws IOException {
        assertEquals(Optional.empty(), Revocation.read(dir, "laptop"));
        Revocation r = new Revocation(BOOT, 123_456, Instant.parse("2026-12-07T00:20:01Z"));
        Revocation.write(dir, "laptop", r);
        assertEquals(Optional.of(r), Revocation.read(dir, "laptop"));
        assertEquals(
                "boot_id " + BOOT + "\nuptime_centis 123456\nat 2026-12-07T00:20:01Z\n",
                Files.readString(dir.resolve("revoked/laptop")));
        assertEquals(Optional.empty(), Revocation.read(dir, "laptop2"));
    }

    @Test
    void aDamagedRecordIsAnErrorNamingTheFix() throws IOException {
        Files.createDirectories(dir.resolve("revoked"));
        Files.writeString(dir.resolve("revoked/laptop"), "boot_id x\nuptime_centis many\n");
        IOException e = assertThrows(IOException.class, () -> Revocation.read(dir, "laptop"));
        assertEquals(
                dir.resolve("revoked/laptop") + ": not a revocation record zreplj wrote; run 'zreplj box revoke"
                        + " laptop' again to write it anew",
                e.getMessage());
    }

    /**
     * Now is read in the clock the connections' start times are in: a fresh thread's own start. A box in a container
     * under lxcfs has a /proc/uptime of its own start (here 1000 s) while start times count from the host's boot (a
     * connection at tick 4,999,000): the record made by /proc/uptime was older than every connection, so the stolen
     * key's connection, opened before the revocation, went on being served.
     */
    @Test
    void nowIsTheClockOfTheConnectionsStartTimes() throws IOException {
        Path proc = Files.createDirectories(dir.resolve("proc/sys/kernel/random"));
        Files.writeString(proc.resolve("boot_id"), BOOT + "\n");
        Files.writeString(dir.resolve("proc/uptime"), "1000.00 1900.07\n");
        Files.createDirectories(dir.resolve("proc/thread-self"));
        Files.writeString(
                dir.resolve("proc/thread-self/stat"),
                "77 (revocation-clock) S 1 77 77 0 -1 4194368 0 0 0 0 0 0 0 0 20 0 1 0 5000000 0 0\n");
        Instant at = Instant.parse("2026-12-07T00:20:01Z");
        Revocation r = Revocation.now(dir.resolve("proc"), at);
        assertEquals(new Revocation(BOOT, 5_000_000, at), r);
        assertTrue(r.covers(BOOT, OptionalLong.of(4_999_000)), "opened before the revocation");
        assertFalse(r.covers(BOOT, OptionalLong.of(5_000_200)), "opened after it");
    }

    /** The real /proc: a fresh thread starts after this process did, by the same clock. */
    @Test
    void nowOnThisMachineIsAfterThisProcessStarted() throws IOException {
        long self = SshConnection.startTicks(Files.readString(Path.of("/proc/self/stat")));
        assertTrue(Revocation.now().uptimeCentis() >= self);
    }

    /** A /proc of: listener 10, connection 20 (opened at tick 500), its post-auth child 30, sh 40, java 50. */
    @Test
    void theConnectionStartsWithItsOldestSshdBelowTheListener() throws IOException {
        Path proc = dir.resolve("proc");
        process(proc, 10, "sshd", 1, 7, "sshd: /usr/sbin/sshd -D [listener] 0 of 10-100 startups");
        process(proc, 20, "sshd", 10, 500, "sshd: zreplj [priv]");
        process(proc, 30, "sshd", 20, 510, "sshd: zreplj@notty");
        process(proc, 40, "sh", 30, 511, "sh -c zreplj stdinserver laptop");
        process(proc, 50, "java", 40, 512, "java -jar zreplj.jar");
        assertEquals(OptionalLong.of(500), SshConnection.startCentis(proc, 50));
        // OpenSSH 9.8 and later: the per-connection processes are sshd-session.
        process(proc, 20, "sshd-session", 10, 600, "sshd-session: zreplj [priv]");
        process(proc, 30, "sshd-session", 20, 610, "sshd-session: zreplj@notty");
        assertEquals(OptionalLong.of(600), SshConnection.startCentis(proc, 50));
        // Not under sshd at all (run by hand).
        process(proc, 40, "bash", 1, 5, "-bash");
        assertEquals(OptionalLong.empty(), SshConnection.startCentis(proc, 50));
    }

    @Test
    void aCommandNameWithSpacesAndParenthesesIsReadWhole() throws IOException {
        Path proc = dir.resolve("proc");
        process(proc, 10, "sshd", 1, 7, "sshd: [listener]");
        process(proc, 20, "sshd", 10, 500, "sshd: root@notty");
        process(proc, 30, "a (b) c", 20, 900, "x");
        assertEquals(OptionalLong.of(500), SshConnection.startCentis(proc, 30));
    }

    private static void process(Path proc, long pid, String comm, long ppid, long start, String cmdline)
            throws IOException {
        Path d = Files.createDirectories(proc.resolve(String.valueOf(pid)));
        StringBuilder stat = new StringBuilder(pid + " (" + comm + ") S " + ppid);
        // fields 5..21, then starttime (22), then a few more
        for (int f = 5; f <= 21; f++) stat.append(" 0");
        stat.append(' ').append(start).append(" 0 0 0\n");
        Files.writeString(d.resolve("stat"), stat);
        Files.writeString(d.resolve("cmdline"), cmdline.replace(' ', '\0'));
    }
}
