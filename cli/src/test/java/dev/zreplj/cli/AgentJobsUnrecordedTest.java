package dev.zreplj.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.zreplj.agent.JobStatusStore;
import dev.zreplj.agent.PushPass;
import dev.zreplj.replication.FilesystemResult;
import dev.zreplj.zfs.DatasetName;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What the agent's log says 'zreplj status' shows after a pass whose status could not be written. */
class AgentJobsUnrecordedTest {
    private static final Instant AT = Instant.ofEpochSecond(1_800_000_000L);

    @TempDir
    Path dir;

    @Test
    void aMarkedFileIsWarnedAbout() throws Exception {
        JobStatusStore store = recorded();
        assertEquals(
                "'zreplj status' warns that this pass is not recorded until a pass records again",
                AgentJobs.unrecorded(store, "j", AT.plusSeconds(60)));
    }

    @Test
    void noFileMeansNoPassShown() {
        assertEquals(
                "'zreplj status' shows no pass of it",
                AgentJobs.unrecorded(new JobStatusStore(dir), "j", AT.plusSeconds(60)));
    }

    /**
     * jobs/ swapped by the box user (a machine with both roles): neither written nor marked, and status refuses to
     * read it. The line said "'zreplj status' still shows the pass before", where status said UNKNOWN.
     */
    @Test
    void aDirectoryStatusRefusesIsSaidToBeUnknown() throws Exception {
        JobStatusStore store = recorded();
        Path jobs = store.file("j").getParent();
        Files.setOwner(
                jobs, jobs.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName("nobody"));
        assertEquals(
                "'zreplj status' cannot read that file either, and reports the job UNKNOWN",
                AgentJobs.unrecorded(store, "j", AT.plusSeconds(60)));
    }

    private JobStatusStore recorded() throws Exception {
        JobStatusStore store = new JobStatusStore(dir);
        store.record(
                new PushPass.Result(
                        "j",
                        Optional.empty(),
                        List.of(new FilesystemResult(
                                DatasetName.of("p/a"), FilesystemResult.Outcome.UP_TO_DATE, 0, 0, "@s")),
                        null),
                AT);
        return store;
    }
}
