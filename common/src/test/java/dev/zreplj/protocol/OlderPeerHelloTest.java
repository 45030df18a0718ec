package dev.zreplj.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The magic and HELLO that older zreplj builds wrote ({@code golden/<date>-<commit>/}, captured from the
 * builds of those commits: the box's stdinserver's stdout, the agent's first bytes on its channel). The current
 * code must shake hands with them, and must use only what the older peer listed: an agent upgraded before its box,
 * or a box before its agents, replicates on.
 */
class OlderPeerHelloTest {
    private static byte[] golden(String version, String name) throws IOException {
        try (InputStream in = OlderPeerHelloTest.class.getResourceAsStream("/golden/" + version + "/" + name)) {
            if (in == null) {
                throw new IllegalStateException("missing test resource golden/" + version + "/" + name);
            }
            return in.readAllBytes();
        }
    }

    private static SinkClient handshakeWith(byte[] serverBytes) throws IOException {
        SinkClient client = new SinkClient(
                new ByteArrayInputStream(serverBytes), new ByteArrayOutputStream(), () -> {}, StreamCompression.AUTO);
        client.handshake("lap");
        return client;
    }

    @Test
    void theBoxOf2026_11_30OffersOnlyZstdAndTheAgentUsesNothingElse() throws Exception {
        SinkClient client = handshakeWith(golden("2026-11-30-d242988", "server-hello.bin"));
        Hello box = client.serverHello();
        assertEquals(Wire.PROTOCOL_VERSION, box.protocol());
        assertEquals(List.of(Wire.ZSTD_DATA), box.capabilities());
        assertTrue(client.compressing());
    }

    @Test
    void theBoxOf2026_12_02IsUnderstood() throws Exception {
        SinkClient client = handshakeWith(golden("2026-12-02-c2fc9b4", "server-hello.bin"));
        assertEquals(
                List.of(
                        Wire.RESTORE,
                        Wire.ZSTD_DATA,
                        Wire.SEND_PROPERTIES,
                        Wire.SNAPSHOT_SERIES,
                        Wire.LIST_DETAILS,
                        Wire.LIST_ROOTS),
                client.serverHello().capabilities());
    }

    @Test
    void theAgentOf2026_12_02IsReadAsTheBoxReadsAHello() throws Exception {
        FrameReader r = new FrameReader(
                new ByteArrayInputStream(golden("2026-12-02-c2fc9b4", "client-hello.bin")),
                "client",
                Wire.MAX_CONTROL_FROM_CLIENT);
        r.readMagic();
        assertEquals(FrameType.HELLO, r.next());
        Hello agent = r.hello();
        assertEquals(new Hello(Wire.PROTOCOL_VERSION, "dev", List.of(), "lap"), agent);
    }
}
