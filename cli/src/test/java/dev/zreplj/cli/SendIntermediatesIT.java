package dev.zreplj.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.zreplj.protocol.ReceiveCommand;
import dev.zreplj.protocol.ReceiveSeries;
import dev.zreplj.protocol.RemoteException;
import dev.zreplj.protocol.SinkClient;
import dev.zreplj.zfs.DatasetName;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Several snapshots in one {@code zfs send -I} stream, through the real sshd and the built launcher on
 * zfs-fuse: an honest agent pass sends five new snapshots as one stream and the box ends with their guids;
 * a hostile client's series that smuggles another filesystem's substream, carries one snapshot too many or
 * one too few is stopped at that substream, the ones before it stay received, and the next honest pass goes
 * on from there.
 */
@Tag("system")
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class SendIntermediatesIT {
    @TempDir
    Path tmp;

    private int sessions;

    private Process ssh(EndToEnd e) throws IOException {
        Path err = tmp.resolve("ssh-" + (++sessions) + ".err");
        return e.rawSession(e.sshd.clientKey(), err);
    }

    private static byte[] send(EndToEnd e, String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(e.pools.zfsBinary().toString(), "send"));
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command)
                .redirectError(ProcessBuilder.Redirect.DISCARD)
                .start();
        byte[] out = p.getInputStream().readAllBytes();
        assertEquals(0, p.waitFor(), command + " failed");
        return out;
    }

    private static String boxLog(EndToEnd e) throws IOException {
        Path log = e.dir.resolve("box-state/log/stdinserver.log");
        return Files.exists(log) ? Files.readString(log) : "(none)";
    }

    /** A hostile client's RECV_SERIES over its own ssh session; returns the box's refusal. */
    private RemoteException hostile(
            EndToEnd e, DatasetName fs, long base, List<ReceiveSeries.Snapshot> snaps, byte[] stream) throws Exception {
        Process p = ssh(e);
        RemoteException refused;
        try (SinkClient client = new SinkClient(p.getInputStream(), p.getOutputStream())) {
            client.handshake();
            ReceiveSeries.Snapshot last = snaps.get(snaps.size() - 1);
            refused = assertThrows(
                    RemoteException.class,
                    () -> client.receiveSeries(
                            new ReceiveSeries(
                                    new ReceiveCommand(fs.value(), last.name(), last.guid(), base, false, false),
                                    snaps),
                            new ByteArrayInputStream(stream)));
        }
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), "the box went on serving after the refusal");
        assertEquals("stream", refused.code());
        return refused;
    }

    private static ReceiveSeries.Snapshot snap(EndToEnd e, DatasetName fs, String name) {
        return new ReceiveSeries.Snapshot(name, e.pools.guid(fs.value() + "@" + name));
    }

    /** The test's own snapshots on the box (s1...), not the agent's first one. */
    private static List<String> ours(EndToEnd e, DatasetName copy) {
        return e.snapshotNames(copy).stream().filter(n -> n.matches("s[0-9]+")).toList();
    }

    private static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.writeBytes(p);
        }
        return out.toByteArray();
    }

    @Test
    void fiveSnapshotsGoAsOneStreamAndHostileSeriesStopAtTheirFirstWrongSubstream() throws Exception {
        try (EndToEnd e = new EndToEnd(tmp, "\"SRC<\": true")) {
            DatasetName a = e.pools.createFilesystem(e.src.child("a"));
            DatasetName b = e.pools.createFilesystem(e.src.child("b"));
            e.pools.writeRandomFile(a, "data", 256 << 10);
            e.pools.snapshot(a, "s0");
            e.pools.snapshot(b, "x1");
            EndToEnd.Run first = e.agent("agent", "once");
            assertEquals(0, first.exit(), first::toString);

            // The honest pass: five new snapshots of a, one stream.
            for (int i = 1; i <= 5; i++) {
                e.pools.writeRandomFile(a, "f" + i, 32 << 10);
                e.pools.snapshot(a, "s" + i);
            }
            EndToEnd.Run five = e.agent("agent", "once");
            assertEquals(0, five.exit(), five::toString);
            DatasetName copyA = e.jail.child(a.value());
            // The first pass took the agent's own snapshot and sent it alone (initial_replication most_recent).
            assertEquals(
                    e.snapshotsWithGuids(a).replace(a.value(), copyA.value()).replaceFirst(".*@s0\t.*\n", ""),
                    e.snapshotsWithGuids(copyA),
                    "the same snapshots with the same guids");
            EndToEnd.assertContains(five.stdout(), a + ": replicated 5 steps", five);
            String log = boxLog(e);
            assertTrue(log.contains("received 5 snapshots up to " + copyA + "@s5"), log);
            assertEquals(
                    1,
                    log.lines()
                            .filter(l -> l.contains("received") && l.contains(copyA.value()) && !l.contains("@zrepl_"))
                            .count(),
                    "one receive for the five:\n" + log);

            // Hostile: s6, then b's substream where s7 should be; s6 arrives, nothing of b or s7.
            for (int i = 6; i <= 9; i++) {
                e.pools.writeRandomFile(a, "f" + i, 32 << 10);
                e.pools.snapshot(a, "s" + i);
            }
            e.pools.writeRandomFile(b, "g", 32 << 10);
            e.pools.snapshot(b, "x2");
            long s5 = e.pools.guid(a + "@s5");
            byte[] series = send(e, "-I", a + "@s5", a + "@s7");
            byte[] six = send(e, "-i", a + "@s5", a + "@s6");
            byte[] foreign = send(e, "-i", b + "@x1", b + "@x2");
            int record = 312;
            byte[] smuggled = concat(
                    Arrays.copyOf(series, 2 * record),
                    six,
                    foreign,
                    Arrays.copyOfRange(series, series.length - record, series.length));
            RemoteException r = hostile(e, a, s5, List.of(snap(e, a, "s6"), snap(e, a, "s7")), smuggled);
            assertEquals(
                    "the zfs send -I stream is not the one requested: substream 2 names '" + b + "@x2', the"
                            + " request expects '" + a + "@s7'; zfs recv was stopped",
                    r.getMessage());
            assertEquals(List.of("s1", "s2", "s3", "s4", "s5", "s6"), ours(e, copyA), "s6 arrived");
            assertFalse(e.snapshotNames(e.jail.child(b.value())).contains("x2"), "nothing of b arrived");
            assertFalse(e.receiving(copyA.value()), "zfs recv is gone");
            log = boxLog(e);
            assertTrue(log.contains("received 1 of the 2 snapshots of the series, up to " + copyA + "@s6"), log);

            // Hostile: one snapshot too many (s9 after the requested s7, s8): s7 and s8 arrive, s9 does not.
            long s6 = e.pools.guid(a + "@s6");
            byte[] upTo8 = send(e, "-I", a + "@s6", a + "@s8");
            byte[] extra = concat(
                    Arrays.copyOf(upTo8, 2 * record),
                    send(e, "-i", a + "@s6", a + "@s7"),
                    send(e, "-i", a + "@s7", a + "@s8"),
                    send(e, "-i", a + "@s8", a + "@s9"),
                    Arrays.copyOfRange(upTo8, upTo8.length - record, upTo8.length));
            r = hostile(e, a, s6, List.of(snap(e, a, "s7"), snap(e, a, "s8")), extra);
            assertEquals(
                    "the zfs send -I stream is not the one requested: it holds a substream after the 2"
                            + " requested; zfs recv was stopped",
                    r.getMessage());
            assertEquals(List.of("s1", "s2", "s3", "s4", "s5", "s6", "s7", "s8"), ours(e, copyA));

            // Hostile: one too few (the header promises s10, only s9's substream follows): refused at the final
            // END, before which zfs recv had whole substreams only; s9 arrives.
            e.pools.writeRandomFile(a, "f10", 32 << 10);
            e.pools.snapshot(a, "s10");
            long s8 = e.pools.guid(a + "@s8");
            byte[] promise = send(e, "-I", a + "@s8", a + "@s10");
            byte[] short9 = concat(
                    Arrays.copyOf(promise, 2 * record),
                    send(e, "-i", a + "@s8", a + "@s9"),
                    Arrays.copyOfRange(promise, promise.length - record, promise.length));
            r = hostile(e, a, s8, List.of(snap(e, a, "s9"), snap(e, a, "s10")), short9);
            assertEquals(
                    "the zfs send -I stream is not the one requested: it ends after 1 of the 2 requested"
                            + " snapshots; @s10 is missing; zfs recv was stopped",
                    r.getMessage());
            assertTrue(e.snapshotNames(copyA).contains("s9"), e.snapshotNames(copyA)::toString);
            assertFalse(e.snapshotNames(copyA).contains("s10"), e.snapshotNames(copyA)::toString);

            // Nothing left behind blocks the next honest pass.
            EndToEnd.Run after = e.agent("agent", "once");
            assertEquals(0, after.exit(), after::toString);
            assertEquals(
                    e.snapshotsWithGuids(a).replace(a.value(), copyA.value()).replaceFirst(".*@s0\t.*\n", ""),
                    e.snapshotsWithGuids(copyA));
            DatasetName copyB = e.jail.child(b.value());
            assertEquals(e.pools.guid(b + "@x2"), e.pools.guid(copyB + "@x2"), "b's own x2 arrived honestly");
        }
    }
}
