package dev.zreplj.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.zreplj.agent.PushPass;
import dev.zreplj.prune.PruneReport;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class AgentJobsSummaryTest {
    @Test
    void aStageFailureThatIsThePassErrorIsPrintedOnceOnTheJobLine() {
        String connect =
                "connect: no session with the backup box: ssh: cannot connect to root@box:22: connection refused";
        PushPass.Result r = new PushPass.Result(
                "laptop",
                Optional.of("zrepl_20261201_093000_000"),
                List.of(),
                connect,
                List.of(),
                new PruneReport(false, List.of(), "no session with the backup box (see the connect failure)", null),
                List.of(connect));

        assertEquals(
                "job laptop: failed: " + connect + "; took snapshot @zrepl_20261201_093000_000\n"
                        + "  prune receiver: skipped: no session with the backup box (see the connect failure)\n",
                print(r));
    }

    @Test
    void stageFailuresBesideThePassErrorAreEachPrinted() {
        PushPass.Result r = new PushPass.Result(
                "laptop",
                Optional.empty(),
                List.of(),
                null,
                List.of("the backlog cap"),
                null,
                List.of("snapshot: taking @zrepl_x of 1 filesystem failed: out of space"));

        assertEquals(
                "job laptop: 0 filesystems, 0 failed\n"
                        + "  failed: snapshot: taking @zrepl_x of 1 filesystem failed: out of space\n"
                        + "  warning: the backlog cap\n",
                print(r));
    }

    private static String print(PushPass.Result r) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8)) {
            AgentJobs.printSummary(r, false, out);
        }
        return bytes.toString(StandardCharsets.UTF_8);
    }
}
