package dev.zreplj.cli;

import static dev.zreplj.cli.EndToEnd.assertContains;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.zreplj.cli.openzfs.OpenZfsLab;
import dev.zreplj.zfs.DatasetName;
import dev.zreplj.zfs.ResumeToken;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Resumable steps on OpenZFS 2.3 in the lab guest: an agent killed mid-stream leaves a partial receive
 * on the box, and the next run resumes it from the box's token instead of sending everything again; a
 * partial receive of a snapshot the sender has since destroyed is discarded and replaced by a full send.
 */
@Tag("openzfs")
class OpenZfsResumeIT {
    private static final String FILTER = "\"SRC/home<\": true";
    private static final Pattern SENT = Pattern.compile("replicated (\\d+) steps?, ([0-9.]+) (B|KiB|MiB|GiB)");

    @Test
    void killedAgentResumesFromTheBoxTokenAndSendsOnlyTheRest() throws Exception {
        try (LabEndToEnd e = new LabEndToEnd(OpenZfsLab.connect(), FILTER)) {
            DatasetName home = e.createFilesystem(e.src().child("home"));
            e.writeRandomFile(home, "big.bin", 200 << 20);
            String target = e.jail().child(home.value()).value();

            long readWhenKilled = e.killAgentWhenReceived(target, 100L << 20, "agent", "once", "--snapshot");
            List<String> snapshots = e.snapshotNames(home);
            assertEquals(1, snapshots.size(), snapshots::toString);
            String snapshot = snapshots.get(0);
            long fullSize = streamSize(e, home.value() + "@" + snapshot);
            String tokenText = e.pools
                    .zfs("get", "-H", "-o", "value", "receive_resume_token", target)
                    .strip();
            ResumeToken token = ResumeToken.decode(tokenText);
            assertEquals(e.pools.guid(home.value() + "@" + snapshot), token.toGuid());
            assertEquals(0, token.fromGuid());
            assertTrue(token.bytes() > 0, token::toString);

            EndToEnd.Run next = e.agent("agent", "once");
            System.out.println(next.stdout());
            assertEquals(0, next.exit(), next::toString);
            assertContains(next.stdout(), home.value() + ": replicated 1 step, ", next);
            assertContains(next.stdout(), "resumed @" + snapshot + " at " + token.bytes() + " bytes", next);
            long secondRun = sentBytes(next.stdout(), home.value());
            System.out.printf(
                    "resume acceptance: full stream %d bytes; the box's recv had read %d bytes when the"
                            + " agent was killed, its resume token says %d bytes received; the second run sent %d bytes"
                            + " (%.1f%% of the full stream)%n",
                    fullSize, readWhenKilled, token.bytes(), secondRun, 100.0 * secondRun / fullSize);
            assertTrue(secondRun < fullSize * 7 / 10, "second run sent " + secondRun + " of " + fullSize + " bytes");
            assertTrue(secondRun > 0, next::toString);

            assertEquals(
                    PushSuite.expectedOnBox(e, e.snapshotsWithGuids(home)),
                    e.snapshotsWithGuids(e.jail()),
                    "the box's snapshot has the sender's guid");
            assertEquals("-", e.get(target, "receive_resume_token"), "no partial receive left");
            assertEquals("no", e.get(target, "mounted"));
        }
    }

    @Test
    void partialReceiveOfASnapshotTheSenderDestroyedIsDiscarded() throws Exception {
        try (LabEndToEnd e = new LabEndToEnd(OpenZfsLab.connect(), FILTER)) {
            DatasetName home = e.createFilesystem(e.src().child("home"));
            e.writeRandomFile(home, "data.bin", 12 << 20);
            String target = e.jail().child(home.value()).value();

            long started = System.nanoTime();
            e.killAgentWhenReceived(target, 3L << 20, "agent", "once", "--snapshot");
            System.out.printf(
                    "stale token: first run cut after %d s%n", (System.nanoTime() - started) / 1_000_000_000L);
            String old = e.snapshotNames(home).get(0);
            ResumeToken token = ResumeToken.decode(e.pools
                    .zfs("get", "-H", "-o", "value", "receive_resume_token", target)
                    .strip());
            assertEquals(home.value() + "@" + old, token.toName());
            e.pools.zfs("destroy", home.value() + "@" + old);
            // with the job's prefix, so that no new snapshot is due on the next run
            e.pools.snapshot(home, "zrepl_fresh");

            started = System.nanoTime();
            EndToEnd.Run next = e.agent("agent", "once");
            System.out.printf(
                    "stale token: second run took %d s:%n%s", (System.nanoTime() - started) / 1_000_000_000L, next);
            assertEquals(0, next.exit(), next::toString);
            assertContains(
                    next.stdout(),
                    "discarded a stale partial receive of @" + old + ": the sender no longer has it",
                    next);
            assertContains(next.stdout(), home.value() + ": replicated 1 step, ", next);
            assertEquals(List.of("zrepl_fresh"), e.snapshotNames(home));
            assertEquals(
                    PushSuite.expectedOnBox(e, e.snapshotsWithGuids(home)),
                    e.snapshotsWithGuids(e.jail()),
                    "a full send of the new snapshot, same guid");
            assertEquals("-", e.get(target, "receive_resume_token"));
        }
    }

    private static long streamSize(LabEndToEnd e, String snapshot) {
        String out = e.pools.zfs("send", "-nvP", snapshot);
        Matcher m = Pattern.compile("(?m)^size\\s+(\\d+)$").matcher(out);
        assertTrue(m.find(), out);
        return Long.parseLong(m.group(1));
    }

    /** The bytes the report line of {@code fs} gives, back from its one-decimal binary unit. */
    private static long sentBytes(String report, String fs) {
        String line = report.lines()
                .filter(l -> l.strip().startsWith(fs + ": "))
                .findFirst()
                .orElseThrow();
        Matcher m = SENT.matcher(line);
        assertTrue(m.find(), line);
        double value = Double.parseDouble(m.group(2));
        int shift = switch (m.group(3)) {
            case "KiB" -> 10;
            case "MiB" -> 20;
            case "GiB" -> 30;
            default -> 0;
        };
        return (long) (value * (1L << shift));
    }
}
