package dev.zreplj.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.zreplj.files.testing.FullDisk;
import dev.zreplj.replication.FilesystemResult;
import dev.zreplj.replication.FilesystemResult.Outcome;
import dev.zreplj.zfs.DatasetName;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class JobStatusStoreTest {
    @TempDir
    Path dir;

    private static FilesystemResult fs(String name, Outcome outcome) {
        return new FilesystemResult(DatasetName.of(name), outcome, 0, 0, outcome == Outcome.FAILED ? "boom" : "@s");
    }

    /**
     * A full state disk kept the pass before in the file: a pass that failed (or whose outcome is unknown) read as
     * the last pass, all ok, in status and in zreplj_pass_failed, for as long as the disk stayed full.
     */
    @Test
    void aPassThatCouldNotRecordOnAFullDiskMarksTheFileUntilAPassRecordsAgain() throws Exception {
        try (FullDisk disk = FullDisk.mount(dir.resolve("diskfull-agent"))) {
            JobStatusStore store = new JobStatusStore(disk.dir());
            store.record(
                    new PushPass.Result("j", Optional.empty(), List.of(fs("p/a", Outcome.REPLICATED)), null),
                    Instant.ofEpochSecond(1_800_000_000L));
            assertTrue(!store.read("j").orElseThrow().failed());

            disk.fill();
            PushPass.Result failed = new PushPass.Result(
                    "j", Optional.empty(), List.of(fs("p/a", Outcome.FAILED)), "connect: no session with the box");
            Instant later = Instant.ofEpochSecond(1_800_000_600L);
            IOException full = assertThrows(IOException.class, () -> store.record(failed, later));
            assertEquals(store.file("j") + ": No space left on device; free space there", full.getMessage());
            store.markUnrecorded("j", later);

            JobStatusStore.JobStatus shown = store.read("j").orElseThrow();
            assertEquals(1_800_000_000L, shown.lastRun(), "the pass before, as it was");
            assertTrue(shown.failed(), "but not all ok");
            assertEquals(
                    List.of("the pass of 2027-01-15T08:10:00Z could not record its status in " + store.file("j")
                            + " (the agent's log says why, e.g. a full disk): free space there; until a pass"
                            + " records again, this status is the one of the pass before it"),
                    shown.stageFailures());

            disk.free();
            store.record(
                    new PushPass.Result("j", Optional.empty(), List.of(fs("p/a", Outcome.UP_TO_DATE)), null),
                    Instant.ofEpochSecond(1_800_001_200L));
            JobStatusStore.JobStatus again = store.read("j").orElseThrow();
            assertEquals(List.of(), again.stageFailures(), "the next pass that records clears the mark");
            assertEquals(1_800_001_200L, again.lastSuccess());
        }
    }

    /**
     * The box user owns the state directory (on a machine with both roles) and can put a {@code jobs} of its own in
     * place of root's, holding a status that says the last pass succeeded: 'zreplj status' said OK. Now it refuses
     * to read a status from a directory that is not root's, and the pass that follows does not write into it.
     */
    @Test
    void aStatusInADirectoryAnotherUserCouldHaveWrittenIsNeitherReadNorWritten() throws Exception {
        JobStatusStore store = new JobStatusStore(dir);
        Instant at = Instant.ofEpochSecond(1_800_000_000L);
        store.record(new PushPass.Result("j", Optional.empty(), List.of(fs("p/a", Outcome.REPLICATED)), null), at);
        Path jobs = store.file("j").getParent();
        Files.setOwner(
                jobs, jobs.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName("nobody"));

        IOException read = assertThrows(IOException.class, () -> store.read("j"));
        assertEquals(
                jobs + ": it is nobody's, not root's, so what it holds may not be what root wrote there; zreplj does"
                        + " not read it; remove the directory (the next pass makes it again as root's)",
                read.getMessage());
        String forged = Files.readString(store.file("j"));
        PushPass.Result failed = new PushPass.Result(
                "j", Optional.empty(), List.of(fs("p/a", Outcome.FAILED)), "connect: no session with the box");
        IOException written = assertThrows(IOException.class, () -> store.record(failed, at.plusSeconds(600)));
        assertEquals(read.getMessage(), written.getMessage());
        assertEquals(forged, Files.readString(store.file("j")), "nothing written there");
    }

    @Test
    void lastSuccessSurvivesLaterFailures() throws IOException {
        JobStatusStore store = new JobStatusStore(dir);
        store.record(
                new PushPass.Result(
                        "j",
                        Optional.empty(),
                        List.of(fs("p/a", Outcome.REPLICATED), fs("p/b", Outcome.UP_TO_DATE)),
                        null),
                Instant.ofEpochSecond(100));
        store.record(
                new PushPass.Result(
                        "j", Optional.empty(), List.of(fs("p/a", Outcome.FAILED), fs("p/b", Outcome.UP_TO_DATE)), null),
                Instant.ofEpochSecond(200));

        JobStatusStore.JobStatus status = store.read("j").orElseThrow();
        assertEquals(200, status.lastRun());
        assertEquals(
                List.of(
                        new JobStatusStore.FilesystemStatus(
                                "p/a", "FAILED", "p/a: failed after 0 steps: boom", 200, 100, 0L, -1L),
                        new JobStatusStore.FilesystemStatus(
                                "p/b", "UP_TO_DATE", "p/b: up to date (@s)", 200, 200, 0L, -1L)),
                status.filesystems());
        assertEquals(100L, status.lastSuccess(), "the job's last pass that failed nowhere");
    }

    @Test
    void aJobThatNeverSucceededHasLastSuccessZeroAndADamagedFileUnknown() throws IOException {
        JobStatusStore store = new JobStatusStore(dir);
        PushPass.Result failed = new PushPass.Result("j", Optional.empty(), List.of(fs("p/a", Outcome.FAILED)), null);
        store.record(failed, Instant.ofEpochSecond(100));
        assertEquals(0L, store.read("j").orElseThrow().lastSuccess(), "never");

        java.nio.file.Files.writeString(store.file("j"), "{");
        store.record(failed, Instant.ofEpochSecond(200));
        assertNull(store.read("j").orElseThrow().lastSuccess(), "the history is lost: unknown, not never");
    }

    @Test
    void recordsTheBytesSentAndTheEstimate() throws IOException {
        JobStatusStore store = new JobStatusStore(dir);
        store.record(
                new PushPass.Result(
                        "j",
                        Optional.empty(),
                        List.of(new FilesystemResult(
                                DatasetName.of("p/a"),
                                Outcome.REPLICATED,
                                2,
                                5_000_000,
                                "",
                                4_900_000,
                                null,
                                List.of())),
                        null),
                Instant.ofEpochSecond(100));
        JobStatusStore.FilesystemStatus a =
                store.read("j").orElseThrow().filesystems().get(0);
        assertEquals(5_000_000L, a.bytes());
        assertEquals(4_900_000L, a.estimatedBytes());
        assertEquals("p/a: replicated 2 steps, 4.8 MiB of 4.7 MiB estimated", a.message());
    }

    @Test
    void aPassThatFailedAsAWholeKeepsEveryFilesystemsHistory() throws IOException {
        JobStatusStore store = new JobStatusStore(dir);
        store.record(
                new PushPass.Result("j", Optional.empty(), List.of(fs("p/a", Outcome.REPLICATED)), null),
                Instant.ofEpochSecond(100));
        store.record(
                new PushPass.Result("j", Optional.empty(), List.of(), "ssh: connection refused"),
                Instant.ofEpochSecond(300));

        JobStatusStore.JobStatus status = store.read("j").orElseThrow();
        assertEquals("ssh: connection refused", status.error());
        assertEquals(
                List.of(new JobStatusStore.FilesystemStatus("p/a", "FAILED", "ssh: connection refused", 300, 100)),
                status.filesystems());
    }

    @Test
    void aFilesystemNewToTheFilterEntersTheStatusAsNeverReplicatedEvenWhenThePassFailsAsAWhole() throws IOException {
        JobStatusStore store = new JobStatusStore(dir);
        store.record(
                new PushPass.Result("j", Optional.empty(), List.of(fs("p/a", Outcome.REPLICATED)), null),
                Instant.ofEpochSecond(100));
        store.record(
                new PushPass.Result(
                        "j",
                        Optional.of("zrepl_2"),
                        List.of(),
                        "connect: no session with the backup box: ssh: connection refused",
                        List.of(),
                        null,
                        List.of("connect: no session with the backup box: ssh: connection refused"),
                        List.of(),
                        java.util.Map.of(),
                        List.of("p/a", "p/new"),
                        Optional.empty()),
                Instant.ofEpochSecond(300));

        String error = "connect: no session with the backup box: ssh: connection refused";
        assertEquals(
                List.of(
                        new JobStatusStore.FilesystemStatus("p/a", "FAILED", error, 300, 100, null, null, 300L, null),
                        new JobStatusStore.FilesystemStatus("p/new", "FAILED", error, 300, 0, null, null, 300L, null)),
                store.read("j").orElseThrow().filesystems());
    }

    @Test
    void recordsEveryFailedStageOfTheLastPass() throws IOException {
        JobStatusStore store = new JobStatusStore(dir);
        List<String> failures = List.of(
                "snapshot: taking @zrepl_1 of 1 filesystem failed: out of space",
                "prune: the receiver was not pruned: the box is unreachable");
        store.record(
                new PushPass.Result(
                        "j", Optional.empty(), List.of(fs("p/a", Outcome.UP_TO_DATE)), null, List.of(), null, failures),
                Instant.ofEpochSecond(100));
        assertEquals(failures, store.read("j").orElseThrow().stageFailures());

        store.record(
                new PushPass.Result("j", Optional.empty(), List.of(fs("p/a", Outcome.UP_TO_DATE)), null),
                Instant.ofEpochSecond(200));
        assertEquals(List.of(), store.read("j").orElseThrow().stageFailures(), "a clean pass clears them");
    }

    @Test
    void aFileFromAnOlderZreplJHasNoStageFailures() throws IOException {
        JobStatusStore store = new JobStatusStore(dir);
        Files.createDirectories(store.file("old").getParent());
        Files.writeString(store.file("old"), "{\"job\":\"old\",\"lastRun\":100,\"error\":null,\"filesystems\":[]}");
        assertEquals(List.of(), store.read("old").orElseThrow().stageFailures());
    }

    @Test
    void missingAndCorruptFiles() throws IOException {
        JobStatusStore store = new JobStatusStore(dir);
        assertEquals(Optional.empty(), store.read("nothing"));
        Files.createDirectories(store.file("bad").getParent());
        Files.writeString(store.file("bad"), "{not json");
        IOException e = assertThrows(IOException.class, () -> store.read("bad"));
        assertTrue(e.getMessage().startsWith(store.file("bad") + ": unreadable status file"), e.getMessage());
    }

    /**
     * A time no clock gives (a hand edit, a flipped byte) made status fail as a whole on the first Instant it
     * formatted: UNKNOWN for every job and client, a critical one among them hidden, and no file named.
     */
    @Test
    void aTimeOutsideWhatAClockGivesIsADamagedFile() throws IOException {
        JobStatusStore store = new JobStatusStore(dir);
        Files.createDirectories(store.file("j").getParent());
        for (String time : List.of("9223372036854775807", "-9223372036854775808", "-1")) {
            for (String field : List.of("lastRun", "lastAttempt", "lastSuccess", "lastSnapshot", "newestOnBox")) {
                Files.writeString(
                        store.file("j"),
                        "{\"job\":\"j\",\"lastRun\":" + (field.equals("lastRun") ? time : "1")
                                + ",\"filesystems\":[{\"filesystem\":\"p/a\",\"outcome\":\"FAILED\",\"message\":\"m\","
                                + "\"lastAttempt\":" + (field.equals("lastAttempt") ? time : "1")
                                + ",\"lastSuccess\":" + (field.equals("lastSuccess") ? time : "1")
                                + ",\"lastSnapshot\":" + (field.equals("lastSnapshot") ? time : "1")
                                + ",\"newestOnBox\":" + (field.equals("newestOnBox") ? time : "1") + "}]}");
                IOException e = assertThrows(IOException.class, () -> store.read("j"), field + " " + time);
                assertTrue(
                        e.getMessage().startsWith(store.file("j") + ": unreadable status file (" + field),
                        e.getMessage());
            }
        }
    }

    /**
     * The schedule counts from when the job's last snapshot round began (SnapshotStage): the file keeps it through
     * the passes that take none, and the next pass reads it back with the filesystems recorded.
     */
    @Test
    void theLastSnapshotRoundIsKeptUntilTheNextAndReadBackForThePass() throws IOException {
        JobStatusStore store = new JobStatusStore(dir);
        assertEquals(JobHistory.NONE, store.history("j"));
        SnapshotRound round = new SnapshotRound("zrepl_20270115_080000_000", 1_800_000_000L);
        store.record(
                new PushPass.Result(
                        "j",
                        Optional.of(round.name()),
                        List.of(fs("p/a", Outcome.REPLICATED)),
                        null,
                        List.of(),
                        null,
                        List.of(),
                        List.of(),
                        java.util.Map.of(),
                        List.of("p/a"),
                        Optional.of(round)),
                Instant.ofEpochSecond(1_800_000_050L));
        store.record(
                new PushPass.Result("j", Optional.empty(), List.of(fs("p/a", Outcome.UP_TO_DATE)), null),
                Instant.ofEpochSecond(1_800_000_600L));
        assertEquals(round, store.read("j").orElseThrow().lastSnapshotRound());
        assertEquals(new JobHistory(java.util.Set.of(DatasetName.of("p/a")), Optional.of(round)), store.history("j"));
        // When the snapshot was taken: the round's start, not the end of the pass that sent it (50 s later here; hours
        // for a first send), which made the snapshot look that much younger in status and the metrics.
        assertEquals(
                1_800_000_000L,
                store.read("j").orElseThrow().filesystems().get(0).lastSnapshot());

        Files.writeString(
                store.file("j"),
                "{\"job\":\"j\",\"lastRun\":1,\"filesystems\":[],\"lastSnapshotRound\":{\"name\":\"s\","
                        + "\"started\":-1}}");
        IOException e = assertThrows(IOException.class, () -> store.read("j"));
        assertEquals(
                store.file("j") + ": unreadable status file (lastSnapshotRound.started -1 is no time); the next pass"
                        + " replaces it",
                e.getMessage());
        assertEquals(JobHistory.NONE, store.history("j"), "a pass goes on without it");
    }

    /**
     * A round that took no snapshot (a fatal pre_snapshot hook kept every filesystem out) is kept until a round takes
     * one, through passes that ran none, and read back for the next pass's schedule.
     */
    @Test
    void aRoundInVainIsKeptUntilARoundTakesASnapshot() throws IOException {
        JobStatusStore store = new JobStatusStore(dir);
        SnapshotRound inVain = new SnapshotRound("zrepl_20270115_090000_000", 1_800_003_600L);
        store.record(roundResult(Optional.empty(), Optional.of(inVain)), Instant.ofEpochSecond(1_800_003_610L));
        store.record(roundResult(Optional.empty(), Optional.empty()), Instant.ofEpochSecond(1_800_003_700L));
        assertEquals(inVain, store.read("j").orElseThrow().lastRoundInVain());
        assertEquals(Optional.of(inVain), store.history("j").lastRoundInVain());

        SnapshotRound taken = new SnapshotRound("zrepl_20270115_100000_000", 1_800_007_200L);
        store.record(roundResult(Optional.of(taken), Optional.empty()), Instant.ofEpochSecond(1_800_007_210L));
        assertEquals(null, store.read("j").orElseThrow().lastRoundInVain());
        assertEquals(new JobHistory(java.util.Set.of(DatasetName.of("p/a")), Optional.of(taken)), store.history("j"));

        Files.writeString(
                store.file("j"),
                "{\"job\":\"j\",\"lastRun\":1,\"filesystems\":[],\"lastRoundInVain\":{\"started\":5}}");
        IOException e = assertThrows(IOException.class, () -> store.read("j"));
        assertEquals(
                store.file("j") + ": unreadable status file (a lastRoundInVain without its name); the next pass"
                        + " replaces it",
                e.getMessage());
    }

    private static PushPass.Result roundResult(Optional<SnapshotRound> taken, Optional<SnapshotRound> inVain) {
        return new PushPass.Result(
                "j",
                taken.map(SnapshotRound::name),
                List.of(fs("p/a", taken.isPresent() ? Outcome.REPLICATED : Outcome.FAILED)),
                null,
                List.of(),
                null,
                inVain.isPresent() ? List.of("snapshot: a pre_snapshot hook with err_is_fatal failed") : List.of(),
                List.of(),
                java.util.Map.of(),
                List.of("p/a"),
                taken,
                inVain,
                Optional.empty());
    }

    /** A damaged file failed every later pass's record, freezing status and metrics: the next pass replaces it. */
    @Test
    void aDamagedFileIsReplacedByTheNextPass() throws IOException {
        JobStatusStore store = new JobStatusStore(dir);
        Files.createDirectories(store.file("j").getParent());
        Files.writeString(store.file("j"), "");
        store.record(
                new PushPass.Result("j", Optional.empty(), List.of(fs("p/a", Outcome.REPLICATED)), null),
                Instant.ofEpochSecond(300));
        JobStatusStore.JobStatus status = store.read("j").orElseThrow();
        assertEquals(300, status.lastRun());
        assertEquals(300, status.filesystems().get(0).lastSuccess());
    }

    @Test
    void recordsWhenASnapshotWasTakenAndKeepsItAcrossPassesWithout() throws IOException {
        JobStatusStore store = new JobStatusStore(dir);
        store.record(
                new PushPass.Result("j", Optional.of("zrepl_1"), List.of(fs("p/a", Outcome.REPLICATED)), null),
                Instant.ofEpochSecond(100));
        store.record(
                new PushPass.Result("j", Optional.empty(), List.of(fs("p/a", Outcome.UP_TO_DATE)), null),
                Instant.ofEpochSecond(200));
        assertEquals(100L, store.read("j").orElseThrow().filesystems().get(0).lastSnapshot());
        store.record(
                new PushPass.Result(
                        "j",
                        Optional.of("zrepl_2"),
                        List.of(),
                        "ssh: connection refused",
                        List.of(),
                        null,
                        List.of("ssh: connection refused"),
                        List.of(),
                        java.util.Map.of(),
                        List.of("p/a"),
                        Optional.empty()),
                Instant.ofEpochSecond(300));
        JobStatusStore.FilesystemStatus a =
                store.read("j").orElseThrow().filesystems().get(0);
        assertEquals(300L, a.lastSnapshot(), "the snapshot was taken although the box was unreachable");
        assertEquals(200, a.lastSuccess());
    }

    /** As the driver makes it: the filesystems the listing selected, and those with a result. */
    private static PushPass.Result pass(
            Optional<String> snapshot, List<FilesystemResult> filesystems, List<String> selected) {
        return new PushPass.Result(
                "j",
                snapshot,
                filesystems,
                null,
                List.of(),
                null,
                List.of(),
                List.of(),
                java.util.Map.of(),
                selected,
                Optional.empty());
    }

    @Test
    void anIdleCheckThatReportsOnlyAMissingFilesystemKeepsTheOthersAsTheyWere() throws IOException {
        JobStatusStore store = new JobStatusStore(dir);
        store.record(
                pass(
                        Optional.of("zrepl_1"),
                        List.of(fs("p/a", Outcome.REPLICATED), fs("p/b", Outcome.UP_TO_DATE)),
                        List.of("p/a", "p/b")),
                Instant.ofEpochSecond(100));
        // agent run's check: nothing due, nothing unreplicated; the USB pool the filter names is not imported.
        store.record(
                pass(Optional.empty(), List.of(fs("usb/backup", Outcome.FAILED)), List.of("p/a", "p/b")),
                Instant.ofEpochSecond(160));

        JobStatusStore.JobStatus status = store.read("j").orElseThrow();
        assertEquals(
                List.of(
                        new JobStatusStore.FilesystemStatus(
                                "p/a", "REPLICATED", "p/a: replicated 0 steps, 0 B, @s", 100, 100, 0L, -1L, 100L, null),
                        new JobStatusStore.FilesystemStatus(
                                "p/b", "UP_TO_DATE", "p/b: up to date (@s)", 100, 100, 0L, -1L, 100L, null),
                        new JobStatusStore.FilesystemStatus(
                                "usb/backup",
                                "FAILED",
                                "usb/backup: failed after 0 steps: boom",
                                160,
                                0,
                                0L,
                                -1L,
                                null,
                                null)),
                status.filesystems());
        assertEquals(100L, status.lastSuccess());
    }

    @Test
    void aFilesystemNoLongerSelectedDropsOut() throws IOException {
        JobStatusStore store = new JobStatusStore(dir);
        store.record(
                pass(
                        Optional.empty(),
                        List.of(fs("p/a", Outcome.REPLICATED), fs("p/b", Outcome.UP_TO_DATE)),
                        List.of("p/a", "p/b")),
                Instant.ofEpochSecond(100));
        store.record(
                pass(Optional.empty(), List.of(fs("p/a", Outcome.UP_TO_DATE)), List.of("p/a")),
                Instant.ofEpochSecond(200));
        assertEquals(
                List.of("p/a"),
                store.read("j").orElseThrow().filesystems().stream()
                        .map(JobStatusStore.FilesystemStatus::filesystem)
                        .toList());
    }

    @Test
    void aFilesystemTheSenderLacksGetsNoSnapshotTime() throws IOException {
        JobStatusStore store = new JobStatusStore(dir);
        store.record(
                pass(
                        Optional.of("zrepl_1"),
                        List.of(fs("p/a", Outcome.REPLICATED), fs("usb/backup", Outcome.FAILED)),
                        List.of("p/a")),
                Instant.ofEpochSecond(100));
        List<JobStatusStore.FilesystemStatus> status =
                store.read("j").orElseThrow().filesystems();
        assertEquals(100L, status.get(0).lastSnapshot());
        assertNull(status.get(1).lastSnapshot(), "usb/backup was not snapshotted: its pool is not imported");
    }

    @Test
    void aFailedPruneIsAStageFailureOfThePass() throws IOException {
        JobStatusStore store = new JobStatusStore(dir);
        store.record(
                new PushPass.Result(
                        "j",
                        Optional.empty(),
                        List.of(fs("p/a", Outcome.UP_TO_DATE)),
                        null,
                        List.of(),
                        new dev.zreplj.prune.PruneReport(false, List.of(), null, "cannot list the sender"),
                        List.of("prune: cannot list the sender")),
                Instant.ofEpochSecond(100));
        JobStatusStore.JobStatus status = store.read("j").orElseThrow();
        assertEquals(List.of("prune: cannot list the sender"), status.stageFailures());
        assertTrue(status.failed(), "every filesystem is up to date, but a failed stage is a failed pass");
    }

    @Test
    void aFileFromBeforeStageFailuresReadsAsNone() throws IOException {
        JobStatusStore store = new JobStatusStore(dir);
        Files.createDirectories(store.file("j").getParent());
        Files.writeString(
                store.file("j"),
                "{\"job\":\"j\",\"lastRun\":5,\"error\":null,\"filesystems\":[{\"filesystem\":"
                        + "\"p/a\",\"outcome\":\"UP_TO_DATE\",\"message\":\"m\",\"lastAttempt\":5,\"lastSuccess\":5}]}");
        JobStatusStore.JobStatus status = store.read("j").orElseThrow();
        assertEquals(List.of(), status.stageFailures());
        assertEquals(null, status.filesystems().get(0).lastSnapshot());
        assertEquals(false, status.failed());
    }

    @Test
    void aFilesystemWithoutASnapshotIsNoSuccess() throws IOException {
        // A new filesystem the filter selects, not snapshotted yet (or manual snapshotting and none taken):
        // nothing of it is on the box, so its last success must not read as "now".
        JobStatusStore store = new JobStatusStore(dir);
        store.record(
                new PushPass.Result(
                        "j",
                        Optional.empty(),
                        List.of(fs("p/a", Outcome.UP_TO_DATE), fs("p/new", Outcome.NO_SNAPSHOTS)),
                        null),
                Instant.ofEpochSecond(100));
        JobStatusStore.JobStatus status = store.read("j").orElseThrow();
        assertEquals(100, status.filesystems().get(0).lastSuccess());
        assertEquals(0, status.filesystems().get(1).lastSuccess(), "p/new was never replicated");

        // One replicated earlier whose sender snapshots are all gone keeps the time of its real last success.
        store.record(
                new PushPass.Result("j", Optional.empty(), List.of(fs("p/a", Outcome.NO_SNAPSHOTS)), null),
                Instant.ofEpochSecond(200));
        assertEquals(100, store.read("j").orElseThrow().filesystems().get(0).lastSuccess());
    }
}
