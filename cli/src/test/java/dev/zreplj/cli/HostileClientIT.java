package dev.zreplj.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.zreplj.protocol.ErrorReply;
import dev.zreplj.protocol.FrameReader;
import dev.zreplj.protocol.FrameType;
import dev.zreplj.protocol.FrameWriter;
import dev.zreplj.protocol.Hello;
import dev.zreplj.protocol.ReceiveCommand;
import dev.zreplj.protocol.ReceiveResult;
import dev.zreplj.protocol.SinkClient;
import dev.zreplj.protocol.Wire;
import dev.zreplj.zfs.DatasetName;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A compromised client against the box through the real sshd and the built launcher as the forced command
 * (issue 12): what only a real stdinserver process shows, its stdin a pipe from sshd that a stalled client
 * leaves silent, and one client's cap on channels.
 */
@Tag("system")
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class HostileClientIT {
    private static final String LIMITS = "      zreplj: {stream_timeout: 3s, max_channels: 2}\n";

    @TempDir
    Path tmp;

    private int sessions;

    /** A raw ssh session to the box's forced command: the hostile client writes the protocol itself. */
    private Process ssh(EndToEnd e) throws IOException {
        Path err = tmp.resolve("ssh-" + (++sessions) + ".err");
        return e.rawSession(e.sshd.clientKey(), err);
    }

    private static String stderrOf(Path tmp, int session) throws IOException {
        return Files.readString(tmp.resolve("ssh-" + session + ".err"));
    }

    private static String boxLog(EndToEnd e) throws IOException {
        Path log = e.dir.resolve("box-state/log/stdinserver.log");
        return Files.exists(log) ? Files.readString(log) : "(none)";
    }

    private static byte[] send(EndToEnd e, String snapshot) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(e.pools.zfsBinary().toString(), "send", snapshot)
                .redirectError(ProcessBuilder.Redirect.DISCARD)
                .start();
        byte[] out = p.getInputStream().readAllBytes();
        assertEquals(0, p.waitFor());
        return out;
    }

    @Test
    void aStalledReceiverIsCutByTheBoxAndARetryReceives() throws Exception {
        try (EndToEnd e = new EndToEnd(tmp, "\"SRC<\": true", EndToEnd.DEFAULT_JOB_TAIL, LIMITS)) {
            DatasetName a = e.pools.createFilesystem(e.src.child("a"));
            e.pools.writeRandomFile(a, "data", 4 << 20);
            String s1 = e.pools.snapshot(a, "zrepl_1");
            long guid = e.pools.guid(s1);
            byte[] full = send(e, s1);
            String target = e.jail.child(a.value()).value();

            Process stalled = ssh(e);
            FrameWriter w = new FrameWriter(stalled.getOutputStream(), Wire.MAX_CONTROL_FROM_CLIENT);
            w.writeMagic();
            w.control(FrameType.HELLO, new Hello(Wire.PROTOCOL_VERSION, "hostile", List.of()));
            w.control(FrameType.RECV, new ReceiveCommand(a.value(), "zrepl_1", guid, null, false, false));
            byte[] chunk = FrameWriter.newDataBuffer();
            int part = 256 << 10;
            System.arraycopy(full, 0, chunk, FrameWriter.DATA_OFFSET, part);
            w.data(chunk, part);
            w.flush();
            FrameReader r = new FrameReader(stalled.getInputStream(), "server", Wire.MAX_CONTROL_FROM_SERVER);
            r.readMagic();
            assertEquals(FrameType.HELLO, r.next());
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (!e.receiving(target)) {
                if (System.nanoTime() > deadline) {
                    stalled.destroyForcibly().waitFor();
                    throw new AssertionError("no zfs recv into " + target + "; ssh stderr: " + stderrOf(tmp, 1)
                            + "; box log: " + boxLog(e) + "; sshd log: " + e.sshd.log());
                }
                Thread.sleep(20);
            }
            long receivingAt = System.nanoTime();
            // The client now sends nothing more, and keeps its end open.
            assertTrue(stalled.waitFor(60, TimeUnit.SECONDS), "the box did not close the stalled channel");
            double seconds = (System.nanoTime() - receivingAt) / 1e9;
            assertEquals(1, stalled.exitValue(), stderrOf(tmp, 1));
            assertTrue(seconds >= 2.5, "closed after " + seconds + " s");
            assertNull(r.next(), "no reply: the channel just ends");
            assertTrue(
                    stderrOf(tmp, 1)
                            .contains("zreplj stdinserver: client 'laptop': the client sent nothing for 3s"
                                    + " while the box waited for the rest of its RECV request; closing the channel"),
                    stderrOf(tmp, 1));
            assertFalse(e.receiving(target), "zfs recv was stopped");
            String log = boxLog(e);
            assertTrue(
                    log.lines()
                            .anyMatch(l -> l.contains(" WARN client 'laptop' [pid ")
                                    && l.endsWith(
                                            "the client sent nothing for 3s while the box waited for the rest of its RECV"
                                                    + " request; closing the channel")),
                    log);
            stalled.getOutputStream().close();

            Process retry = ssh(e);
            try (SinkClient client = new SinkClient(retry.getInputStream(), retry.getOutputStream())) {
                client.handshake();
                assertEquals(
                        new ReceiveResult(full.length, guid),
                        client.receive(
                                new ReceiveCommand(a.value(), "zrepl_1", guid, null, false, false),
                                new ByteArrayInputStream(full)));
            }
            assertTrue(retry.waitFor(60, TimeUnit.SECONDS));
            assertEquals(0, retry.exitValue(), stderrOf(tmp, 2));
            assertEquals(guid, e.pools.guid(target + "@zrepl_1"));
        }
    }

    @Test
    void oneClientGetsNoMoreChannelsThanItsCap() throws Exception {
        try (EndToEnd e = new EndToEnd(tmp, "\"SRC<\": true", EndToEnd.DEFAULT_JOB_TAIL, LIMITS)) {
            List<Process> open = new ArrayList<>();
            List<SinkClient> clients = new ArrayList<>();
            for (int i = 0; i < 2; i++) {
                Process p = ssh(e);
                SinkClient c = new SinkClient(p.getInputStream(), p.getOutputStream());
                c.handshake();
                assertEquals(List.of(), c.listFilesystems());
                open.add(p);
                clients.add(c);
            }
            Process third = ssh(e);
            // Read the refusal without sending a request first: the server exits right after it.
            FrameWriter w = new FrameWriter(third.getOutputStream(), Wire.MAX_CONTROL_FROM_CLIENT);
            w.writeMagic();
            w.control(FrameType.HELLO, new Hello(Wire.PROTOCOL_VERSION, "hostile", List.of(Wire.BUSY_GREETING)));
            w.flush();
            FrameReader r = new FrameReader(third.getInputStream(), "server", Wire.MAX_CONTROL_FROM_SERVER);
            r.readMagic();
            assertEquals(FrameType.ERROR, r.next(), "in place of the box's HELLO");
            ErrorReply busy = r.json(ErrorReply.class);
            assertEquals("busy", busy.code());
            String cap = "client 'laptop' already has its maximum of 2 channels open on the box"
                    + " (serve.zreplj.max_channels of sink job 'backups'); close some or raise the cap";
            assertEquals(cap, busy.message());
            assertTrue(third.waitFor(60, TimeUnit.SECONDS));
            assertEquals(1, third.exitValue());
            // A client that does not list busy-greeting (an agent from before it) is refused as well, after a HELLO
            // that offers nothing: the ERROR comes as the reply to its first request.
            Process older = ssh(e);
            FrameWriter ow = new FrameWriter(older.getOutputStream(), Wire.MAX_CONTROL_FROM_CLIENT);
            ow.writeMagic();
            ow.control(FrameType.HELLO, new Hello(Wire.PROTOCOL_VERSION, "older", List.of(Wire.DESTROY_FAILED)));
            ow.empty(FrameType.LIST);
            ow.flush();
            FrameReader or = new FrameReader(older.getInputStream(), "server", Wire.MAX_CONTROL_FROM_SERVER);
            or.readMagic();
            assertEquals(FrameType.HELLO, or.next());
            assertEquals(List.of(), or.hello().capabilities());
            assertEquals(FrameType.ERROR, or.next(), "the reply to its LIST");
            assertEquals(new ErrorReply("busy", cap, ""), or.json(ErrorReply.class));
            assertTrue(older.waitFor(60, TimeUnit.SECONDS));
            assertEquals(1, older.exitValue());

            clients.get(0).close();
            assertTrue(open.get(0).waitFor(60, TimeUnit.SECONDS));
            assertEquals(0, open.get(0).exitValue());
            Process fourth = ssh(e);
            try (SinkClient c4 = new SinkClient(fourth.getInputStream(), fourth.getOutputStream())) {
                c4.handshake();
                assertEquals(List.of(), c4.listFilesystems(), "a freed channel slot is taken again");
            }
            assertTrue(fourth.waitFor(60, TimeUnit.SECONDS));
            assertEquals(0, fourth.exitValue());
            clients.get(1).close();
            assertTrue(open.get(1).waitFor(60, TimeUnit.SECONDS));
            assertEquals(0, open.get(1).exitValue());
        }
    }
}
