package dev.zreplj.cli;

import static dev.zreplj.cli.EndToEnd.assertContains;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import dev.zreplj.cli.openzfs.OpenZfsLab;
import dev.zreplj.zfs.DatasetName;
import dev.zreplj.zfs.ResumeToken;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * initial_replication 'fail' on OpenZFS 2.3, in the lab guest: a first full send cut while another value was set
 * leaves the box a resume token for a filesystem without snapshots. 'fail' refuses to start an initial
 * replication, not to finish one the user let start, so the next pass resumes it (zrepl resumes first too);
 * it used to be a conflict on every pass, for good.
 */
@Tag("openzfs")
class OpenZfsInitialFailResumeIT {
    private static final String FILTER = "\"SRC/home<\": true";

    private static String tail(String initial) {
        return "    conflict_resolution:\n      initial_replication: " + initial + "\n" + EndToEnd.DEFAULT_JOB_TAIL;
    }

    @Test
    void aPartialFirstReceiveIsResumedUnderInitialReplicationFail() throws Exception {
        try (LabEndToEnd e = new LabEndToEnd(OpenZfsLab.connect(), FILTER, tail("most_recent"))) {
            DatasetName home = e.createFilesystem(e.src().child("home"));
            e.writeRandomFile(home, "data.bin", 12 << 20);
            String target = e.jail().child(home.value()).value();

            e.killAgentWhenReceived(target, 3L << 20, "agent", "once", "--snapshot");
            List<String> snapshots = e.snapshotNames(home);
            assertEquals(1, snapshots.size(), snapshots::toString);
            ResumeToken token = ResumeToken.decode(e.pools
                    .zfs("get", "-H", "-o", "value", "receive_resume_token", target)
                    .strip());
            assertEquals(0, token.fromGuid(), token::toString);
            assertEquals(List.of(), e.snapshotNames(DatasetName.of(target)), "the box has no snapshot yet");

            e.writeAgentConfig(FILTER, tail("fail"));
            EndToEnd.Run next = e.agent("agent", "once");
            System.out.println(next);
            assertEquals(0, next.exit(), next::toString);
            assertContains(next.stdout(), home.value() + ": replicated 1 step, ", next);
            assertContains(next.stdout(), "resumed @" + snapshots.get(0) + " at ", next);
            assertEquals(
                    PushSuite.expectedOnBox(e, e.snapshotsWithGuids(home)),
                    e.snapshotsWithGuids(e.jail()),
                    "the box's snapshot has the sender's guid");
            assertEquals("-", e.get(target, "receive_resume_token"), "no partial receive left");

            // A first replication of a filesystem the box has nothing of is still refused.
            DatasetName other = e.createFilesystem(e.src().child("home").child("new"));
            EndToEnd.Run refused = e.agent("agent", "once", "--snapshot");
            assertNotEquals(0, refused.exit(), refused::toString);
            assertContains(
                    refused.stdout() + refused.stderr(),
                    "the receiver has no copy yet and conflict_resolution.initial_replication is 'fail'",
                    refused);
            String otherOnBox = e.jail().child(other.value()).value();
            assertFalse(e.datasets(e.jail()).contains(otherOnBox), () -> otherOnBox + " was sent");
        }
    }
}
