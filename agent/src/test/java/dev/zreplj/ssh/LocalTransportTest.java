package dev.zreplj.ssh;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.zreplj.config.Connect;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The local transport's channel: the launcher that started the agent, as the sink's stdinserver. */
class LocalTransportTest {
    @TempDir
    Path dir;

    private String saved;

    @BeforeEach
    void save() {
        saved = System.getProperty(LocalTransport.LAUNCHER_PROPERTY);
    }

    @AfterEach
    void restore() {
        if (saved == null) System.clearProperty(LocalTransport.LAUNCHER_PROPERTY);
        else System.setProperty(LocalTransport.LAUNCHER_PROPERTY, saved);
    }

    private static Connect local(Path config) {
        return Connect.local("usb", "local_backup", config, 1);
    }

    @Test
    void withoutTheLauncherItSaysHowToRunIt() {
        System.clearProperty(LocalTransport.LAUNCHER_PROPERTY);
        TransportException e =
                assertThrows(TransportException.class, () -> SshTransport.connect(local(Path.of("/etc/z.yml"))));
        assertEquals(
                "the local transport runs the sink's 'zreplj stdinserver' through the zreplj launcher, which did not"
                        + " start this process (no -Dzreplj.launcher); run zreplj through its bin/zreplj",
                e.getMessage());
        // configcheck says the same, without starting anything.
        assertThrows(TransportException.class, () -> SshTransport.check(local(Path.of("/etc/z.yml"))));
    }

    @Test
    void aLauncherThatIsGone() {
        System.setProperty(
                LocalTransport.LAUNCHER_PROPERTY, dir.resolve("gone/zreplj").toString());
        TransportException e =
                assertThrows(TransportException.class, () -> SshTransport.connect(local(Path.of("/etc/z.yml"))));
        assertEquals(
                "the local transport runs the sink's 'zreplj stdinserver' through " + dir.resolve("gone/zreplj")
                        + ", which is not an executable file (moved or upgraded while the agent ran?); restart the"
                        + " agent",
                e.getMessage());
    }

    /** Each channel is the launcher with the same config, the listener and the client; the SSH command is moot. */
    @Test
    void aChannelIsTheLaunchersStdinserver() throws Exception {
        Path launcher = dir.resolve("zreplj");
        Files.writeString(launcher, "#!/bin/sh\necho \"$@\"\ncat\n");
        Files.setPosixFilePermissions(launcher, PosixFilePermissions.fromString("rwx------"));
        System.setProperty(LocalTransport.LAUNCHER_PROPERTY, launcher.toString());
        try (SshTransport t = SshTransport.connect(local(Path.of("/etc/z.yml")))) {
            assertEquals("local listener 'usb' as client 'local_backup'", t.connectTarget());
            SshChannel c = t.openChannel("zreplj stdinserver", Duration.ofSeconds(5));
            c.stdin().write("over the pipe\n".getBytes(StandardCharsets.UTF_8));
            c.stdin().close();
            assertEquals(0, c.waitForExit(Duration.ofSeconds(10)));
            assertEquals(
                    "--config /etc/z.yml stdinserver --local-listener usb local_backup\nover the pipe\n",
                    new String(c.stdout().readAllBytes(), StandardCharsets.UTF_8));
            c.close();
        }
    }

    /** A child that refuses its config before speaking: its own line, and what to run. */
    @Test
    void aChildThatFailsToStartSaysWhy() throws Exception {
        Path launcher = dir.resolve("zreplj");
        Files.writeString(launcher, "#!/bin/sh\necho 'zreplj: /etc/z.yml:3:5: unknown key' >&2\nexit 2\n");
        Files.setPosixFilePermissions(launcher, PosixFilePermissions.fromString("rwx------"));
        System.setProperty(LocalTransport.LAUNCHER_PROPERTY, launcher.toString());
        try (SshTransport t = SshTransport.connect(local(Path.of("/etc/z.yml")))) {
            SshChannel c = t.openChannel("zreplj stdinserver", Duration.ofSeconds(5));
            IOException e = c.startFailure(new IOException("the box closed the channel"));
            assertEquals(
                    "the local stdinserver for local listener 'usb' as client 'local_backup' failed to start (exit 2):"
                            + " zreplj: /etc/z.yml:3:5: unknown key; run 'zreplj configcheck'",
                    e.getMessage());
            assertTrue(t.isOpen());
        }
    }
}
