package dev.zreplj.cli;

import static dev.zreplj.cli.EndToEnd.assertContains;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.zreplj.cli.openzfs.OpenZfsLab;
import dev.zreplj.zfs.DatasetName;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Names at zfs's 255-character limit on OpenZFS 2.3, in the lab guest, with a job name of the longest length
 * configcheck allows (100): the replication cursor bookmark {@code fs#zrepl_CURSOR_G_<16 hex>_J_<job>} adds 135
 * characters to the filesystem's name, the box's jail adds {@code root_fs/CLIENT/}. A filesystem whose names
 * fit is replicated and pruned as any other; one whose cursor or box name would not fit is not sent, every pass
 * says so in one line that names what to shorten, and the others go on. Before, the cursor's name killed the
 * replication worker (a Java stack trace on stderr, the filesystem missing from the summary, sent again and
 * again without a cursor), and the box's refusal gave no hint.
 */
@Tag("openzfs")
class OpenZfsLongNamesIT {
    private static final String JOB = "j".repeat(100);
    private static final String TAIL = EndToEnd.KEEP_LAST_ONE_TAIL;

    @Test
    void namesAtTheLimitWorkAndNamesOverItAreNamedOnceWithWhatToShorten() {
        try (LabEndToEnd e = new LabEndToEnd(OpenZfsLab.connect(), "\"SRC/d<\": true", TAIL)) {
            e.replaceInAgentConfig("name: laptop_to_box", "name: " + JOB);
            // A sink root_fs that makes the jail 118 characters: the box adds 119 to every name it receives.
            DatasetName root = e.createFilesystem(e.dst()
                    .child("s"
                            .repeat(118
                                    - "/".length()
                                    - EndToEnd.CLIENT.length()
                                    - e.dst().value().length()
                                    - 1)));
            e.writeSinkConfig(root, "");
            DatasetName jail = root.child(EndToEnd.CLIENT);
            assertEquals(118, jail.value().length());
            DatasetName d = e.createFilesystem(e.src().child("d"));
            int base = d.value().length() + 1;
            // its cursor bookmark 235 characters, its snapshots on the box 245
            DatasetName fits = e.createFilesystem(d.child("a".repeat(100 - base)));
            // fs#zrepl_CURSOR_G_<16>_J_<100> is 256 characters for a 121-character filesystem
            DatasetName over = e.createFilesystem(d.child("b".repeat(121 - base)));
            // its cursor bookmark 255 characters exactly, but its snapshots on the box 265
            DatasetName far = e.createFilesystem(d.child("c".repeat(120 - base)));
            String fitsOnBox = jail.child(fits.value()).value();

            for (int pass = 1; pass <= 2; pass++) {
                EndToEnd.Run r = e.agent("agent", "once", "--snapshot");
                System.out.println("pass " + pass + ": " + r);
                assertEquals(1, r.exit(), r::toString);
                assertFalse(r.stderr().contains("Exception"), r::toString);
                assertFalse(r.stderr().contains("attempt 2 of"), () -> "a name too long is not retried: " + r);
                assertContains(r.stdout(), "4 filesystems, 2 failed", r);
                assertContains(r.stdout(), fits + ": replicated 1 step", r);
                assertContains(
                        r.stdout(),
                        over + ": failed after 0 steps: not sent: its replication cursor bookmark would be 256"
                                + " characters, over zfs's 255: shorten the filesystem's name or the job's name (100"
                                + " characters) by 1, or exclude the filesystem from the job's filter",
                        r);
                assertContains(r.stdout(), far + ": failed after 0 steps: ", r);
                assertContains(
                        r.stdout(),
                        "is longer than 255 characters (265) on the box, which puts '" + jail + "/' before the"
                                + " filesystem's name: shorten the filesystem's name by 10, or exclude it from the"
                                + " job's filter",
                        r);
            }
            List<String> cursor = e.zfs("list", "-H", "-o", "name", "-t", "bookmark", fits.value())
                    .lines()
                    .toList();
            assertEquals(1, cursor.size(), cursor::toString);
            assertEquals(235, cursor.get(0).length(), cursor::toString);
            assertEquals(1, e.snapshotNames(fits).size(), "the sender pruned the replicated snapshot");
            assertEquals(
                    e.snapshotNames(fits), e.snapshotNames(DatasetName.of(fitsOnBox)), "the box pruned to its newest");
            assertEquals(2, e.snapshotNames(over).size(), "not_replicated keeps what never reached the box");
            assertEquals(2, e.snapshotNames(far).size());
            List<String> onBox = e.datasets(jail);
            assertTrue(
                    onBox.stream().noneMatch(n -> n.contains("bbb") || n.contains("ccc")),
                    () -> "nothing of them was received: " + onBox);
        }
    }

    /**
     * A spot check of raw sends at the limit: an encrypted filesystem whose cursor bookmark is 255 characters
     * exactly, its first raw stream cut, resumed by the next pass from the box's token; still encrypted there.
     */
    @Test
    void aRawSendAtTheLimitIsResumedAfterACut() throws Exception {
        try (LabEndToEnd e = new LabEndToEnd(
                OpenZfsLab.connect(), "\"SRC/d<\": true", "    send:\n      encrypted: true\n" + TAIL)) {
            e.replaceInAgentConfig("name: laptop_to_box", "name: " + JOB);
            DatasetName d = e.src().child("d");
            e.pools.createEncrypted(d, "long names passphrase");
            DatasetName secret =
                    e.createFilesystem(d.child("e".repeat(120 - d.value().length() - 1)));
            e.writeRandomFile(secret, "data.bin", 12 << 20);
            String target = e.jail().child(secret.value()).value();

            e.killAgentWhenReceived(target, 3L << 20, "agent", "once", "--snapshot");
            String token = e.get(target, "receive_resume_token");
            assertTrue(token.length() > 1, token);
            EndToEnd.Run next = e.agent("agent", "once");
            System.out.println(next);
            assertEquals(0, next.exit(), next::toString);
            assertContains(next.stdout(), secret + ": replicated 1 step", next);
            assertContains(next.stdout(), "resumed @", next);
            assertEquals("-", e.get(target, "receive_resume_token"));
            assertEquals("aes-256-gcm", e.get(target, "encryption"));
            assertEquals("unavailable", e.get(target, "keystatus"), "sent raw: the box has no key");
            List<String> cursor = e.zfs("list", "-H", "-o", "name", "-t", "bookmark", secret.value())
                    .lines()
                    .toList();
            assertEquals(1, cursor.size(), cursor::toString);
            assertEquals(255, cursor.get(0).length(), cursor::toString);
        }
    }
}
