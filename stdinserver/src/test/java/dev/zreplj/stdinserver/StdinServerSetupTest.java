package dev.zreplj.stdinserver;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.zreplj.config.Config;
import dev.zreplj.config.Global;
import dev.zreplj.config.RecvOptions;
import dev.zreplj.config.ServeLimits;
import dev.zreplj.config.SinkJob;
import dev.zreplj.protocol.ErrorReply;
import dev.zreplj.protocol.FrameReader;
import dev.zreplj.protocol.FrameType;
import dev.zreplj.protocol.FrameWriter;
import dev.zreplj.protocol.Hello;
import dev.zreplj.protocol.RemoteException;
import dev.zreplj.protocol.Wire;
import dev.zreplj.zfs.DatasetName;
import dev.zreplj.zfs.Zfs;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The paths that end before any zfs call: client id, config lookup, handshake. */
class StdinServerSetupTest {
    @TempDir
    Path state;

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    private Config config() {
        SinkJob sink = new SinkJob(
                "sink", DatasetName.of("backup/sink"), List.of("laptop", "server1"), RecvOptions.defaults(), List.of());
        return new Config(Path.of("/etc/zreplj/zreplj.yml"), new Global(state, null), List.of(sink));
    }

    private int run(String clientId, byte[] stdin) {
        Zfs noZfs = new Zfs(Path.of("/nonexistent/zfs"));
        return new StdinServer(
                        config(),
                        clientId,
                        noZfs,
                        new ByteArrayInputStream(stdin),
                        out,
                        new PrintStream(err, true, StandardCharsets.UTF_8))
                .run();
    }

    private static byte[] clientHello(int protocol) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        FrameWriter w = new FrameWriter(b, Wire.MAX_CONTROL_FROM_CLIENT);
        w.writeMagic();
        w.control(FrameType.HELLO, new Hello(protocol, "test", List.of()));
        return b.toByteArray();
    }

    /** The server's output as a client reads it: greeting, then the error it sent. */
    private ErrorReply serverError() throws IOException {
        FrameReader r =
                new FrameReader(new ByteArrayInputStream(out.toByteArray()), "server", Wire.MAX_CONTROL_FROM_SERVER);
        r.readMagic();
        assertEquals(FrameType.HELLO, r.next());
        assertEquals(Wire.PROTOCOL_VERSION, r.json(Hello.class).protocol());
        assertEquals(FrameType.ERROR, r.next());
        ErrorReply e = r.json(ErrorReply.class);
        assertEquals(null, r.next());
        return e;
    }

    private String stderr() {
        String s = err.toString(StandardCharsets.UTF_8);
        assertEquals(1, s.lines().count(), "exactly one line on stderr: " + s);
        return s.strip();
    }

    @Test
    void invalidClientIdExitsTwoAndTellsTheClient() throws IOException {
        assertEquals(2, run("../x", clientHello(Wire.PROTOCOL_VERSION)));
        assertEquals(
                "zreplj stdinserver: invalid CLIENT_ID: CLIENT_ID '../x' contains '/'; allowed are letters,"
                        + " digits and _ - . : (fix the forced command in authorized_keys)",
                stderr());
        assertEquals("client", serverError().code());
    }

    /**
     * {@code box revoke}'s record in this boot, and a channel the box cannot place under an sshd connection (this
     * test's JVM runs under none): refused as a connection opened before, with one line saying what to do.
     */
    @Test
    void aRevokedClientsChannelIsRefusedWhenItsConnectionMayPredateTheRevocation() throws IOException {
        Revocation.write(state, "laptop", Revocation.now());
        assertEquals(1, run("laptop", clientHello(Wire.PROTOCOL_VERSION)));
        String message = "client 'laptop' was revoked on the box at "
                + Revocation.read(state, "laptop").orElseThrow().at()
                + " (zreplj box revoke) and the box cannot tell when this SSH connection was opened (no sshd process"
                + " found); connect again with a key the box's authorized_keys still holds";
        assertEquals("zreplj stdinserver: " + message + " (refused the channel)", stderr());
        assertEquals(new ErrorReply("forbidden", message, ""), serverError());
    }

    /** A record of an earlier boot cuts nothing off: every connection since is newer than it. */
    @Test
    void aRevocationOfAnEarlierBootRefusesNothing() throws IOException {
        Revocation.write(state, "laptop", new Revocation("an-earlier-boot", 5, java.time.Instant.EPOCH));
        run("laptop", clientHello(Wire.PROTOCOL_VERSION));
        assertEquals(false, err.toString(StandardCharsets.UTF_8).contains("revoked"), err::toString);
    }

    /** An SSH sink serving 'laptop' and a local sink (listener 'usb') whose one client is 'local_backup'. */
    private Config withLocalSink() {
        SinkJob ssh = new SinkJob(
                "sink", DatasetName.of("backup/sink"), List.of("laptop"), RecvOptions.defaults(), List.of());
        SinkJob local = new SinkJob(
                "usb_sink",
                DatasetName.of("usb/sink"),
                List.of("local_backup"),
                RecvOptions.defaults(),
                List.of(),
                ServeLimits.defaults(),
                true,
                "usb");
        return new Config(Path.of("/etc/zreplj/zreplj.yml"), new Global(state, null), List.of(ssh, local));
    }

    private int run(Config config, String clientId, Optional<String> listener) throws IOException {
        return new StdinServer(
                        config,
                        clientId,
                        new Zfs(Path.of("/nonexistent/zfs")),
                        new ByteArrayInputStream(clientHello(Wire.PROTOCOL_VERSION)),
                        out,
                        new PrintStream(err, true, StandardCharsets.UTF_8),
                        () -> {},
                        false,
                        listener)
                .run();
    }

    /** A forced command naming a local sink's client finds no sink: those clients are not SSH's to serve. */
    @Test
    void aForcedCommandCannotReachALocalSink() throws IOException {
        assertEquals(1, run(withLocalSink(), "local_backup", Optional.empty()));
        String message = "client 'local_backup' is not listed in any sink job's serve.client_identities in"
                + " /etc/zreplj/zreplj.yml";
        assertEquals("zreplj stdinserver: " + message, stderr());
        assertEquals(new ErrorReply("client", message, ""), serverError());
    }

    /** The local transport's child serves only its listener's sink, and only a client of it. */
    @Test
    void aLocalListenerServesOnlyItsOwnClients() throws IOException {
        assertEquals(1, run(withLocalSink(), "laptop", Optional.of("usb")));
        String message = "client 'laptop' is not the client_identity of any push job that connects to local"
                + " listener 'usb' in /etc/zreplj/zreplj.yml";
        assertEquals("zreplj stdinserver: " + message, stderr());
        assertEquals(new ErrorReply("client", message, ""), serverError());
    }

    @Test
    void anUnknownLocalListener() throws IOException {
        assertEquals(1, run(withLocalSink(), "local_backup", Optional.of("sink")));
        String message = "no sink job serves local listener 'sink' in /etc/zreplj/zreplj.yml";
        assertEquals("zreplj stdinserver: " + message, stderr());
        assertEquals(new ErrorReply("client", message, ""), serverError());
    }

    @Test
    void unlistedClientExitsOne() throws IOException {
        assertEquals(1, run("desktop", clientHello(Wire.PROTOCOL_VERSION)));
        String message = "client 'desktop' is not listed in any sink job's serve.client_identities in"
                + " /etc/zreplj/zreplj.yml";
        assertEquals("zreplj stdinserver: " + message, stderr());
        assertEquals(new ErrorReply("client", message, ""), serverError());
    }

    /**
     * A restore with a key whose client no sink job serves: the box greets without 'restore' and says why in the
     * ERROR after the client's HELLO. The restore must print that, not blame serve.restore or the box's version
     * (docs/troubleshooting.md: the admin fixes client_identities or the id in the authorized_keys line).
     */
    @Test
    void aRestoreOfAClientTheBoxDoesNotServeSaysSoNotThatRestoresAreOff() throws Exception {
        PipedServer box = new PipedServer(config(), new Zfs(Path.of("/nonexistent/zfs")), "desktop");
        box.client.handshake();
        RemoteException e = assertThrows(RemoteException.class, box.client::requireRestore);
        assertEquals("client", e.code());
        assertEquals(
                "client 'desktop' is not listed in any sink job's serve.client_identities in /etc/zreplj/zreplj.yml",
                e.getMessage());
        assertEquals(1, box.exitCode());
    }

    @Test
    void garbageOnStdinExitsOneWithOneLine() {
        assertEquals(1, run("laptop", "SSH-2.0-OpenSSH_9.2\r\nls -la\n".getBytes(StandardCharsets.US_ASCII)));
        assertEquals(
                "zreplj stdinserver: client 'laptop': the client does not speak the zreplj protocol: it sent"
                        + " 'SSH-2.0-' instead of the protocol greeting",
                stderr());
    }

    @Test
    void emptyStdinExitsOne() {
        assertEquals(1, run("laptop", new byte[0]));
        assertEquals(
                "zreplj stdinserver: client 'laptop': the client closed the connection before the handshake", stderr());
    }

    @Test
    void truncatedHelloExitsOne() throws IOException {
        byte[] hello = clientHello(Wire.PROTOCOL_VERSION);
        assertEquals(1, run("laptop", java.util.Arrays.copyOf(hello, hello.length - 3)));
        assertEquals(
                true,
                stderr().startsWith("zreplj stdinserver: client 'laptop': the client closed the"
                        + " connection inside a HELLO frame ("),
                err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void protocolMismatchNamesBothVersions() throws IOException {
        assertEquals(1, run("laptop", clientHello(7)));
        String message = "protocol mismatch: the backup box speaks zreplj protocol 3 (zreplj " + Wire.softwareVersion()
                + "), the agent speaks 7" + " (zreplj test); update zreplj on the backup box to the agent's version";
        assertEquals("zreplj stdinserver: client 'laptop': " + message, stderr());
        assertEquals(new ErrorReply("version", message, ""), serverError());
    }

    @Test
    void aVersionOneAgentIsToldTheMismatchNotADecodingError() throws IOException {
        // Exactly what a zreplj 0.1 agent sends: its HELLO has no "job".
        byte[] json = "{\"protocol\":1,\"software\":\"0.1.0\",\"capabilities\":[]}".getBytes(StandardCharsets.UTF_8);
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        b.write("ZREPLJ\0\n".getBytes(StandardCharsets.US_ASCII));
        b.write(new byte[] {0x01, 0, 0, 0, (byte) json.length});
        b.write(json);
        assertEquals(1, run("laptop", b.toByteArray()));
        String message = "protocol mismatch: the backup box speaks zreplj protocol 3 (zreplj " + Wire.softwareVersion()
                + "), the agent speaks 1" + " (zreplj 0.1.0); update zreplj on the agent to the backup box's version";
        assertEquals("zreplj stdinserver: client 'laptop': " + message, stderr());
        assertEquals(new ErrorReply("version", message, ""), serverError());
    }

    @Test
    void aJobNameThatCannotBeAHoldTagIsRefused() throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        FrameWriter w = new FrameWriter(b, Wire.MAX_CONTROL_FROM_CLIENT);
        w.writeMagic();
        w.control(FrameType.HELLO, new Hello(Wire.PROTOCOL_VERSION, "test", List.of(), "a b"));
        assertEquals(1, run("laptop", b.toByteArray()));
        String message = "the agent's HELLO names an invalid job: job name 'a b' contains ' '; allowed are letters,"
                + " digits and _ - . :";
        assertEquals("zreplj stdinserver: client 'laptop': " + message, stderr());
        assertEquals(new ErrorReply("protocol", message, ""), serverError());
    }
}
